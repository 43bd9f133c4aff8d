import { Command, Option } from 'commander';
import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { ImportPreset, IMPORT_PRESETS, PresetContext } from '../import-presets';
import { importTouchpoints } from '../import-touchpoints';
import { CustomerLedger } from '../../../application/customers/customer-ledger';
import { actor, RunLedger } from '../ledger-run';
import { print, progressBar, showBytes } from '../terminal-output';

export function addImportCommand(program: Command, runLedger: RunLedger): void {
  program
    .command('import')
    .description(
      'Import touchpoints from NDJSON (API shape) or CSV with a preset mapping; re-running a file appends nothing twice',
    )
    .argument('<file>', 'input file, optionally .gz')
    .addOption(new Option('--preset <name>', 'CSV mapping preset').choices(Object.keys(IMPORT_PRESETS)))
    .option(
      '--mapping <module>',
      'CSV mapping module of your own (exports `preset({ now, file })` returning an ImportPreset)',
    )
    .option('--rejects <file>', 'write every rejected line with its reasons as NDJSON')
    .option('--batch <size>', 'touchpoints per atomic batch', (value) => Number(value), 1000)
    .action(
      async (
        file: string,
        options: { preset?: string; mapping?: string; rejects?: string; batch: number },
      ) => {
        const now = new Date().toISOString();
        const preset = options.mapping
          ? (
              (await import(resolve(options.mapping))) as { preset: (context: PresetContext) => ImportPreset }
            ).preset({ now, file })
          : options.preset
            ? IMPORT_PRESETS[options.preset]!({ now, file })
            : undefined;
        const rejects = options.rejects ? createWriteStream(options.rejects, { mode: 0o600 }) : undefined;
        const summary = await runLedger(async (app) => {
          const bar = progressBar('importing');
          bar.start(100, 0, { unit: 'MiB' });
          const result = await importTouchpoints({
            file,
            preset,
            ledger: app.get(CustomerLedger),
            actor,
            batchSize: options.batch,
            onProgress: showBytes(bar),
            onRejected: (rejection) => rejects?.write(`${JSON.stringify(rejection)}\n`),
          });
          bar.stop();
          return result;
        });
        rejects?.end();
        print(summary);
        if (summary.rejected > 0) process.exitCode = 1;
      },
    );
}
