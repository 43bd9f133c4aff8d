import { Command } from 'commander';
import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { Pseudonyms } from '../../../privacy/pseudonyms';
import { ReadModels } from '../../../application/read-models/read-models';
import { runWhatIf, WhatIfModule } from '../what-if';
import { LEDGER_CONFIG, LedgerConfig } from '../../../config/ledger-config';
import { EVENT_STORE, EventStore } from '../../../ports/event-store.port';
import { PROJECTION_ENGINE, ProjectionEngine } from '../../../application/read-models/projection-engine';
import { READ_STORE, ReadStore } from '../../../ports/read-store.port';
import { RunLedger } from '../ledger-run';
import { print } from '../terminal-output';

export function addWhatIfCommand(program: Command, runLedger: RunLedger): void {
  program
    .command('what-if')
    .description(
      'Fold a projection module over history without touching live read models; diff against the live one (pseudonymous; customers without analytics and profiling consent left out)',
    )
    .argument('<module>', 'a .ts/.js file exporting `projection` (and optionally `label`, `liveLabel`)')
    .option('--from <instant>', 'occurredAt from')
    .option('--to <instant>', 'occurredAt to')
    .option('--out <file>', 'write the what-if documents as NDJSON')
    .action(async (modulePath: string, options: { from?: string; to?: string; out?: string }) => {
      const module = (await import(resolve(modulePath))) as WhatIfModule;
      const report = await runLedger(
        async (app) => {
          const engine = app.get<ProjectionEngine>(PROJECTION_ENGINE);
          const config = app.get<LedgerConfig>(LEDGER_CONFIG);
          const out = options.out ? createWriteStream(options.out, { mode: 0o600 }) : undefined;
          const asOf = options.to ?? new Date().toISOString();
          const pseudonyms = app.get(Pseudonyms);
          const readModels = app.get(ReadModels);
          const live = engine.names().includes(module.projection.name)
            ? engine.collection(module.projection.name)
            : undefined;
          const result = await runWhatIf(
            module,
            app.get<EventStore>(EVENT_STORE),
            { reads: app.get<ReadStore>(READ_STORE), collection: live },
            options,
            { asOf, ledgerCurrency: config.ledgerCurrency },
            {
              pseudonymOf: (customerId) => pseudonyms.of(customerId),
              consentGiven: async (customerId) =>
                (await readModels.consentGiven(customerId, 'analytics', asOf)) &&
                (await readModels.consentGiven(customerId, 'profiling', asOf)),
            },
            (id, doc) => out?.write(`${JSON.stringify({ id, doc })}\n`),
          );
          out?.end();
          return result;
        },
        { fold: false },
      );
      print(report);
    });
}
