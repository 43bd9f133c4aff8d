import { Command } from 'commander';
import { join, resolve } from 'node:path';
import { IMPORT_PRESETS } from '../import-presets';
import { importTouchpoints } from '../import-touchpoints';
import { DEMO_FILES, demoDatasetsMissing, missingDemoFiles } from '../demo-datasets';
import { CustomerLedger } from '../../../application/customers/customer-ledger';
import { PROJECTION_ENGINE, ProjectionEngine } from '../../../application/read-models/projection-engine';
import { actor, RunLedger } from '../ledger-run';
import { progressBar, showBytes } from '../terminal-output';

/** The checkout's folder (this file is src/interfaces/cli/commands/ in it). */
const CHECKOUT = resolve(__dirname, '..', '..', '..', '..');

export function addDemoCommand(program: Command, runLedger: RunLedger): void {
  program
    .command('demo')
    .description(
      'Load the real public datasets (REES46, UCI Online Retail, NPS survey, CFPB complaints, Olist) into the store',
    )
    .option(
      '--datasets <dir>',
      'the folder holding the datasets (default: LEDGER_DATASETS, else ../shared/data beside the checkout)',
      process.env.LEDGER_DATASETS || resolve(CHECKOUT, '..', 'shared', 'data'),
    )
    .action(async (options: { datasets: string }) => {
      const missing = missingDemoFiles(options.datasets);
      if (missing.length > 0) {
        console.error(demoDatasetsMissing(options.datasets, missing));
        process.exitCode = 2;
        return;
      }
      await runLedger(async (app) => {
        for (const [preset, file] of DEMO_FILES) {
          const bar = progressBar(preset.padEnd(18));
          bar.start(1, 0, { unit: 'MiB' });
          const summary = await importTouchpoints({
            file: join(options.datasets, file),
            preset: IMPORT_PRESETS[preset]!({
              now: new Date().toISOString(),
              file: join(options.datasets, file),
            }),
            ledger: app.get(CustomerLedger),
            actor,
            onProgress: showBytes(bar),
          });
          bar.stop();
          const { accepted, duplicates, rejected } = summary;
          console.error(`${preset}: ${accepted} recorded, ${duplicates} already there, ${rejected} refused`);
        }
        await app.get<ProjectionEngine>(PROJECTION_ENGINE).caughtUp(600_000);
      });
      console.error(
        'done: `npm start`, then open http://127.0.0.1:3000/ (the rep page), http://127.0.0.1:3000/analytics.html (the analyst dashboard) or /docs',
      );
    });
}
