import { QueryBus } from '@nestjs/cqrs';
import { Command } from 'commander';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { AccessLog } from '../../../privacy/access-log';
import { ExportSubject } from '../../../application/gdpr/personal-data.queries';
import { actor, RunLedger, untilReadModelsFoldHead } from '../ledger-run';

export function addExportSubjectCommand(program: Command, runLedger: RunLedger): void {
  program
    .command('export-subject')
    .description('Subject access export (Art. 15/20) of one customer as JSON')
    .argument('<customerId>')
    .option('--out <file>', 'write to a file instead of stdout')
    .action(async (customerId: string, options: { out?: string }) => {
      await runLedger(async (app) => {
        await untilReadModelsFoldHead(app);
        const exported = await app.get(QueryBus).execute(new ExportSubject(customerId));
        await app.get(AccessLog).record(customerId, actor, 'export', 'cli:export-subject');
        // Written as it is read: the export of a long history is never held whole.
        await pipeline(
          exported,
          options.out ? createWriteStream(options.out, { mode: 0o600 }) : process.stdout,
          { end: Boolean(options.out) },
        );
        if (!options.out) process.stdout.write('\n');
      });
    });
}
