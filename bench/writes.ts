/**
 * Write speed at scale (issue #20, item 4): how fast customers are registered through the batch endpoint and
 * touchpoints through the CLI import, on the embedded SQLite store, with the projections off (an ingest-only
 * instance) and on (folding in the same process).
 *
 *  (a) registration: BENCH_WRITES_CUSTOMERS customers as tracking-API identify messages, 1000 a request
 *      (`POST /tracking/v1/batch`, the one door that registers customers by the thousand), BENCH_WRITES_IN_FLIGHT
 *      requests in flight, in process through Fastify's inject (every step of a request but the socket)
 *  (b) CLI import: about five touchpoints per registered customer (browse, commit and purchase, surveys and
 *      complaints) from an NDJSON file, through `importTouchpoints` as `ledger import` runs it
 *
 * `npx tsc -p tsconfig.bench.json && node dist/bench/writes.js`; `node --cpu-prof --cpu-prof-dir=DIR ...` and
 * `node dist/bench/cpu-profile.js DIR/*.cpuprofile` for where the time goes. BENCH_WRITES_PROJECTIONS=off|on
 * runs only one of the two modes, BENCH_WRITES_STEPS=register|import only one of the two steps; `floor` adds
 * step (c), and `BENCH_WRITES_PROJECTIONS= BENCH_WRITES_STEPS=floor` runs it alone. The load average is printed
 * with every figure, and the CPU seconds of the process: the machine is shared.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CustomerLedger } from '../src/application/customers/customer-ledger';
import { PROJECTION_ENGINE, ProjectionEngine } from '../src/application/read-models/projection-engine';
import { importTouchpoints } from '../src/interfaces/cli/import-touchpoints';
import { LedgerTestApp } from '../test/support/ledger-app';
import { seededRandom } from '../test/fixtures/seeded-random';
import { ndjsonWriter, timed } from './measure';

const CUSTOMERS = Number(process.env.BENCH_WRITES_CUSTOMERS ?? 50_000);
const IN_FLIGHT = Number(process.env.BENCH_WRITES_IN_FLIGHT ?? 2);
const MODES = (process.env.BENCH_WRITES_PROJECTIONS ?? 'off,on')
  .split(',')
  .filter((mode): mode is 'off' | 'on' => mode === 'off' || mode === 'on');
const STEPS = (process.env.BENCH_WRITES_STEPS ?? 'register,import').split(',');
const BATCH = 1000;
const START = Date.UTC(2024, 0, 1);
const DAY = 86_400_000;
const WRITE_KEY = 'bench-writes-server-side-key-000000001';
const AUTHORIZATION = `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`;

const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
const whole = (value: number) => Math.round(value).toLocaleString('en-US');
/** CPU seconds this process used (user and system) since `since`: less sensitive to the other sessions' load. */
const cpuSince = (since: NodeJS.CpuUsage) => {
  const { user, system } = process.cpuUsage(since);
  return (user + system) / 1e6;
};

/** The identify messages registering customers `from` to `to` - 1, as a shop's backend would send them. */
function identifyBatch(run: string, from: number, to: number): string {
  const batch = [];
  for (let index = from; index < to; index++) {
    batch.push({
      type: 'identify',
      userId: `${run}-${index}`,
      messageId: `${run}-register-${index}`,
      timestamp: new Date(START + (index % 700) * DAY).toISOString(),
      traits: {
        email: `customer.${index}@${run}.example`,
        name: `Customer ${index}`,
        ...(index % 3 === 0 && { phone: `+44 20 7946 ${String(index % 10_000).padStart(4, '0')}` }),
      },
    });
  }
  return JSON.stringify({ batch });
}

/** The shop's touchpoints for the customers, about five each, as NDJSON in the API's shape. */
async function writeTouchpoints(run: string, customers: number, file: string): Promise<number> {
  const next = seededRandom(20);
  const out = ndjsonWriter(file);
  for (let index = 0; index < customers; index++) {
    const customerId = `${run}-${index}`;
    let at = START + (index % 700) * DAY + Math.floor(next() * DAY);
    const when = () => new Date((at += Math.floor(next() * 5 * DAY))).toISOString();
    const touch = (type: string, data: object) => out.write({ customerId, type, occurredAt: when(), data });
    for (let n = 1 + Math.floor(next() * 6); n > 0; n--) {
      await touch('browse', { productId: `p-${Math.floor(next() * 5000)}`, category: 'garden.tools' });
    }
    if (next() < 0.2) {
      const orderId = `${customerId}-o1`;
      const total = { amount: Math.floor(500 + next() * 30_000) / 100, currency: 'EUR' };
      await touch('commit', { orderId, value: total });
      await touch('purchase', { orderId, total });
    }
    if (next() < 0.05) await touch('survey', { kind: 'nps', score: Math.floor(next() * 11) });
    if (next() < 0.02) await touch('complaint', { complaintId: `${customerId}-k`, severity: 'medium' });
  }
  await out.end();
  return out.lines;
}

async function register(ledger: LedgerTestApp, run: string): Promise<void> {
  let nextBatch = 0;
  const batches = Math.ceil(CUSTOMERS / BATCH);
  const latencies: number[] = [];
  const cpu = process.cpuUsage();
  const { seconds } = await timed(() =>
    Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (nextBatch < batches) {
          const from = nextBatch++ * BATCH;
          const body = identifyBatch(run, from, Math.min(CUSTOMERS, from + BATCH));
          const started = process.hrtime.bigint();
          const answer = await ledger.post('/tracking/v1/batch', body, { authorization: AUTHORIZATION });
          latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
          if (answer.status !== 200)
            throw new Error(
              `batch at ${from}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 500)}`,
            );
        }
      }),
    ),
  );
  latencies.sort((a, b) => a - b);
  const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  console.log(
    `  (a) register ${whole(CUSTOMERS)} customers, batches of ${BATCH}, ${IN_FLIGHT} in flight: ${seconds.toFixed(1)} s, ` +
      `${whole(CUSTOMERS / seconds)} customers/s (CPU ${cpuSince(cpu).toFixed(1)} s); batch p50 ${whole(p(0.5))} ms, p99 ${whole(p(0.99))} ms (load ${load()})`,
  );
}

async function importShop(ledger: LedgerTestApp, run: string, directory: string): Promise<void> {
  const file = join(directory, `${run}.ndjson`);
  const events = await writeTouchpoints(run, CUSTOMERS, file);
  const cpu = process.cpuUsage();
  const imported = await timed(() =>
    importTouchpoints({ file, ledger: ledger.app.get(CustomerLedger), actor: 'bench' }),
  );
  const { accepted, rejected } = imported.result;
  if (rejected > 0 || accepted !== events)
    throw new Error(`import: ${accepted} of ${events} accepted: ${JSON.stringify(imported.result)}`);
  console.log(
    `  (b) CLI import of ${whole(events)} touchpoints: ${imported.seconds.toFixed(1)} s, ` +
      `${whole(events / imported.seconds)} events/s (CPU ${cpuSince(cpu).toFixed(1)} s) (load ${load()})`,
  );
}

async function measure(projections: 'off' | 'on'): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'ledger-writes-'));
  const ledger = await LedgerTestApp.start({
    dataDir: directory,
    runProjections: projections === 'on',
    apiKeys: [
      {
        principal: 'shop-backend',
        roles: ['ingest', 'rep'],
        keySha256: createHash('sha256').update(WRITE_KEY).digest('hex'),
      },
    ],
  });
  try {
    console.log(`\nprojections ${projections} (load ${load()})`);
    const run = `w${projections}`;
    if (STEPS.includes('register')) await register(ledger, run);
    if (STEPS.includes('import')) await importShop(ledger, run, directory);
    if (projections === 'on') {
      const folded = await timed(() =>
        ledger.app.get<ProjectionEngine>(PROJECTION_ENGINE).caughtUp(3_600_000),
      );
      console.log(`  projections caught up ${folded.seconds.toFixed(1)} s after the import (load ${load()})`);
    }
  } finally {
    await ledger.stop();
    rmSync(directory, { recursive: true, force: true });
  }
}

/**
 * (c) SQLite's own floor: BENCH_WRITES_FLOOR_ROWS rows of an import's size and shape inserted by a bare
 * better-sqlite3 loop (1000 a transaction, WAL, synchronous=FULL) into the events table's columns, with the
 * indexes the store keeps added one at a time: no JavaScript of the ledger's at all.
 */
function sqliteFloor(directory: string): void {
  const rows = Number(process.env.BENCH_WRITES_FLOOR_ROWS ?? 300_000);
  const data = JSON.stringify({ category: 'garden.tools', productId: 'p-1234' });
  const metadata = JSON.stringify({
    actor: 'bench',
    causationId: 'import:shop.ndjson',
    correlationId: 'import:shop.ndjson',
    occurredAt: '2025-03-04T10:11:12.000Z',
    recordedAt: '2026-12-08T00:09:04.000Z',
  });
  /** Each row's event id and two hashes, drawn before the clock starts. */
  const random = randomBytes(rows * 80);
  const variants = {
    'integer key only': '',
    '+ unique (stream, revision)': 'CREATE UNIQUE INDEX s ON events (stream_key, stream_revision);',
    '+ unique event id (random)':
      'CREATE UNIQUE INDEX s ON events (stream_key, stream_revision); CREATE UNIQUE INDEX e ON events (event_id);',
  };
  for (const [label, indexes] of Object.entries(variants)) {
    const db = new Database(join(directory, `floor-${label.length}.db`));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(`CREATE TABLE events (position INTEGER PRIMARY KEY AUTOINCREMENT, stream_key INTEGER NOT NULL,
      stream_revision INTEGER NOT NULL, event_id BLOB NOT NULL, type TEXT NOT NULL, schema_version INTEGER NOT NULL,
      data TEXT NOT NULL, metadata TEXT NOT NULL, prev_hash BLOB NOT NULL, hash BLOB NOT NULL); ${indexes}`);
    const insert =
      db.prepare(`INSERT INTO events (stream_key, stream_revision, event_id, type, schema_version,
      data, metadata, prev_hash, hash) VALUES (?, ?, ?, 'ProductBrowsed', 1, ?, ?, ?, ?)`);
    const bytes = (index: number, offset: number, size: number) =>
      random.subarray(index * 80 + offset, index * 80 + offset + size);
    const insertMany = db.transaction((from: number) => {
      for (let index = from; index < from + BATCH; index++) {
        insert.run(
          index >> 2,
          index & 3,
          bytes(index, 0, 16),
          data,
          metadata,
          bytes(index, 16, 32),
          bytes(index, 48, 32),
        );
      }
    });
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    for (let from = 0; from < rows; from += BATCH) insertMany(from);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    console.log(
      `  (c) SQLite floor, ${label.padEnd(28)} ${whole(rows / seconds)} rows/s, ` +
        `${((seconds * 1e6) / rows).toFixed(1)} us a row, CPU ${((cpuSince(cpu) * 1e6) / rows).toFixed(1)} us a row (load ${load()})`,
    );
    db.close();
  }
}

async function main(): Promise<void> {
  console.log(`bench writes: node ${process.version}, ${whole(CUSTOMERS)} customers, load ${load()}`);
  for (const mode of MODES) await measure(mode);
  if (STEPS.includes('floor')) {
    const directory = mkdtempSync(join(tmpdir(), 'ledger-floor-'));
    try {
      sqliteFloor(directory);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
