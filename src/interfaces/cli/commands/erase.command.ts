import { CommandBus } from '@nestjs/cqrs';
import { Command } from 'commander';
import { createInterface } from 'node:readline/promises';
import { EraseCustomer } from '../../../application/gdpr/erase-customer.command';
import { actor, RunLedger } from '../ledger-run';
import { print } from '../terminal-output';

export function addEraseCommand(program: Command, runLedger: RunLedger): void {
  program
    .command('erase')
    .description('Erase a customer by crypto-shredding and print the report')
    .argument('<customerId>')
    .option('--yes', 'do not ask for confirmation')
    .option('--request-id <id>', 'the data-subject request id')
    .option('--reason <text>', 'why')
    .action(async (customerId: string, options: { yes?: boolean; requestId?: string; reason?: string }) => {
      if (!options.yes) {
        const prompt = createInterface({ input: process.stdin, output: process.stderr });
        const answer = await prompt.question(
          `Erase all personal data of ${customerId}? This cannot be undone. Type the customer id to confirm: `,
        );
        prompt.close();
        if (answer.trim() !== customerId) {
          console.error('not confirmed: nothing was erased');
          process.exitCode = 1;
          return;
        }
      }
      const now = new Date();
      print(
        await runLedger(async (app) =>
          app.get(CommandBus).execute(
            new EraseCustomer(
              customerId,
              { requestId: options.requestId, reason: options.reason },
              {
                actor,
                causationId: `cli:erase:${now.toISOString()}`,
                correlationId: options.requestId ?? `cli:erase`,
                now,
              },
            ),
          ),
        ),
      );
    });
}
