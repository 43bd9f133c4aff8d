import { Command, Option } from 'commander';
import {
  analystAudience,
  customerEvents,
  exportEvents,
  ExportFormat,
  openOutput,
  personalDataAudience,
} from '../replay';
import { Pseudonyms } from '../../../privacy/pseudonyms';
import { ReadModels } from '../../../application/read-models/read-models';
import { EVENT_STORE, EventStore } from '../../../ports/event-store.port';
import { AccessLog } from '../../../privacy/access-log';
import { PiiCipher } from '../../../privacy/pii-cipher';
import { actor, RunLedger } from '../ledger-run';
import { progressBar } from '../terminal-output';
import { list } from '../option-values';

export function addExportCommand(program: Command, runLedger: RunLedger): void {
  program
    .command('export')
    .description(
      'Replay events to NDJSON or CSV: for analysts (pseudonyms, no personal data, only customers with analytics consent) unless --include-personal-data',
    )
    .addOption(new Option('--format <format>', 'output format').choices(['ndjson', 'csv']).default('ndjson'))
    .option('--from <instant>', 'occurredAt from (ISO 8601)')
    .option('--to <instant>', 'occurredAt to (ISO 8601)')
    .option('--types <types>', 'comma-separated event types', list)
    .option('--customers <ids>', 'comma-separated customer ids or pseudonyms', list)
    .option(
      '--include-personal-data',
      'customer ids and decrypted personal data (for auditors and admins; every customer read is access-logged)',
    )
    .option('--out <file>', 'write to a file instead of stdout')
    .action(
      async (options: {
        format: ExportFormat;
        from?: string;
        to?: string;
        types?: string[];
        customers?: string[];
        includePersonalData?: boolean;
        out?: string;
      }) => {
        await runLedger(
          async (app) => {
            const store = app.get<EventStore>(EVENT_STORE);
            const bar = progressBar('exporting');
            bar.start(await store.lastPosition(), 0, { unit: 'events' });
            const out = openOutput(options.out);
            const pseudonyms = app.get(Pseudonyms);
            const customers = options.customers?.map((value) => pseudonyms.resolve(value) ?? value);
            const now = new Date().toISOString();
            const audience = options.includePersonalData
              ? personalDataAudience(app.get(PiiCipher), app.get(AccessLog), actor, `cli:export:${now}`)
              : analystAudience(pseudonyms, app.get(ReadModels), now);
            const { written, customersLeftOut } = await exportEvents(
              customerEvents(store, { ...options, customers }),
              {
                format: options.format,
                out,
                audience,
                onEvent: () => bar.increment(),
              },
            );
            bar.stop();
            if (options.out) await new Promise<void>((done) => out.end(() => done()));
            console.error(
              `${written} events written${customersLeftOut > 0 ? `; ${customersLeftOut} customers left out: analytics consent withdrawn` : ''}`,
            );
          },
          { fold: false },
        );
      },
    );
}
