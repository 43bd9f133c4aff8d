import { Command, Option } from 'commander';
import { customerAsOf } from '../replay';
import { LEDGER_CONFIG, LedgerConfig } from '../../../config/ledger-config';
import { EVENT_STORE } from '../../../ports/event-store.port';
import { RunLedger } from '../ledger-run';
import { print } from '../terminal-output';

export function addAsOfCommand(program: Command, runLedger: RunLedger): void {
  program
    .command('as-of')
    .description("A customer's timeline, loyalty and funnel stage as they stood at an instant")
    .argument('<customerId>')
    .requiredOption('--at <instant>', 'the instant (ISO 8601)')
    .addOption(
      new Option('--by <time>', 'which time decides what had happened')
        .choices(['occurredAt', 'recordedAt'])
        .default('occurredAt'),
    )
    .action(async (customerId: string, options: { at: string; by: 'occurredAt' | 'recordedAt' }) => {
      const at = new Date(options.at);
      if (Number.isNaN(at.getTime())) program.error('--at must be an ISO 8601 instant');
      print(
        await runLedger(
          async (app) =>
            customerAsOf(
              app.get(EVENT_STORE),
              customerId,
              at.toISOString(),
              options.by,
              app.get<LedgerConfig>(LEDGER_CONFIG).ledgerCurrency,
              app.get<LedgerConfig>(LEDGER_CONFIG).exchangeRates,
            ),
          { fold: false },
        ),
      );
    });
}
