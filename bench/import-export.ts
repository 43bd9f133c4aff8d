/**
 * npm run bench, CLI side (issue #6): import events/s of the UCI Online Retail file (541,909 invoice lines,
 * 22,187 invoices) and of REES46, and export events/s to NDJSON, through the same code as `npm run ledger`.
 */
import { NestFactory } from '@nestjs/core';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { CliModule } from '../src/cli.module';
import { IMPORT_PRESETS } from '../src/interfaces/cli/import-presets';
import { importTouchpoints } from '../src/interfaces/cli/import-touchpoints';
import { analystAudience, customerEvents, exportEvents } from '../src/interfaces/cli/replay';
import { Pseudonyms } from '../src/privacy/pseudonyms';
import { ReadModels } from '../src/application/read-models/read-models';
import { loadConfig } from '../src/config/ledger-config';
import { CustomerLedger } from '../src/application/customers/customer-ledger';
import { EVENT_STORE, EventStore } from '../src/ports/event-store.port';
import { formatRate, mib, peakRssOfThisProcessBytes, SHARED_DATA, timed } from './measure';

async function main(): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'ledger-bench-cli-'));
  const config = loadConfig({
    DATA_DIR: directory,
    LEDGER_MASTER_KEY: randomBytes(32).toString('base64'),
    LEDGER_CURRENCY: 'GBP',
  });
  const app = await NestFactory.createApplicationContext(CliModule.forRoot(config, pino({ level: 'warn' })), {
    logger: false,
  });
  const ledger = app.get(CustomerLedger);
  console.log('\nimport and export (CLI code paths, projections folding alongside):');
  for (const [preset, file] of [
    ['uci-online-retail', 'uci-online-retail/online_retail.csv.gz'],
    ['rees46', 'rees46-ecommerce-behavior/2019-Oct_first17434.csv'],
  ] as const) {
    const { result, seconds } = await timed(() =>
      importTouchpoints({
        file: join(SHARED_DATA, file),
        preset: IMPORT_PRESETS[preset]!({ now: new Date().toISOString(), file: join(SHARED_DATA, file) }),
        ledger,
        actor: 'bench',
      }),
    );
    console.log(
      `import ${preset.padEnd(18)} ${formatRate(result.accepted / seconds)} events (${result.rows.toLocaleString('en-US')} rows, ${formatRate(result.rows / seconds)} rows, ${seconds.toFixed(1)} s)`,
    );
  }
  const store = app.get<EventStore>(EVENT_STORE);
  const out = createWriteStream('/dev/null');
  const pseudonyms = app.get(Pseudonyms);
  const readModels = app.get(ReadModels);
  const now = new Date().toISOString();
  const exported = await timed(() =>
    exportEvents(customerEvents(store), {
      format: 'ndjson',
      out,
      audience: analystAudience(pseudonyms, readModels, now),
    }),
  );
  console.log(
    `export to NDJSON (pseudonymised)   ${formatRate(exported.result.written / exported.seconds)} events (${exported.result.written.toLocaleString('en-US')} events)`,
  );
  console.log(`peak RSS of this process: ${mib(peakRssOfThisProcessBytes())}`);
  out.end();
  await app.close();
  rmSync(directory, { recursive: true, force: true });
}

void main();
