/**
 * npm run bench, read side (issue #3): rebuild every projection from 1,000,000 events against a plain read
 * of the same events, peak RSS of the rebuilding process, and timeline pages of 50 for a customer with
 * 10,000 events. The rebuild runs in a child process of its own so that its peak RSS is its own.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { PROJECTIONS } from '../projections/catalog';
import { createSqliteEventStore } from '../src/adapters/sqlite/sqlite-event-store';
import { ProjectionEngine } from '../src/application/read-models/projection-engine';
import { createSqliteReadStore } from '../src/adapters/sqlite/sqlite-read-store';
import { ReadModels } from '../src/application/read-models/read-models';
import { appendHistory } from '../test/support/customer-history';
import { formatRate, mib, peakRssOfThisProcessBytes, percentile, timed } from './measure';

const EVENTS = Number(process.env.BENCH_REBUILD_EVENTS ?? 1_000_000);
const BIG_CUSTOMER_EVENTS = 10_000;

async function rebuildChild(eventsFile: string, readsFile: string): Promise<void> {
  const events = createSqliteEventStore({ file: eventsFile });
  const plain = await timed(async () => {
    let read = 0;
    for (let after = 0; ;) {
      const page = await events.readAll({ afterPosition: after, maxCount: 1000 });
      if (page.length === 0) return read;
      read += page.length;
      after = page[page.length - 1]!.position;
    }
  });
  const reads = createSqliteReadStore(readsFile);
  const engine = new ProjectionEngine(events, reads, PROJECTIONS, pino({ level: 'warn' }));
  const rebuild = await timed(async () => {
    await engine.start();
    await engine.caughtUp(3_600_000);
  });
  await engine.stop();

  const readModels = new ReadModels(reads, engine);
  const latencies: number[] = [];
  let cursor: [string, number] | undefined;
  for (let i = 0; i < 2000; i++) {
    const start = process.hrtime.bigint();
    const page = await readModels.timeline({
      where: { customerId: 'big' },
      sort: [
        ['occurredAt', -1],
        ['position', -1],
      ],
      after: cursor,
      limit: 51,
    });
    latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
    const last = page[49];
    cursor = last && page.length > 50 ? [last.occurredAt, last.position] : undefined;
  }
  latencies.sort((a, b) => a - b);
  process.stdout.write(
    JSON.stringify({
      plainRead: { events: plain.result, seconds: plain.seconds },
      rebuild: { seconds: rebuild.seconds },
      timeline: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
      peakRss: peakRssOfThisProcessBytes(),
    }),
  );
  await events.close();
  await reads.close();
}

async function main(): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'ledger-bench-read-'));
  const eventsFile = join(directory, 'events.db');
  const store = createSqliteEventStore({ file: eventsFile });
  console.log(
    `read side: seeding ${EVENTS.toLocaleString('en-US')} events (one customer with ${BIG_CUSTOMER_EVENTS.toLocaleString('en-US')})...`,
  );
  const customers = Math.floor((EVENTS - BIG_CUSTOMER_EVENTS) / 100);
  const seeded = await timed(
    async () =>
      (await appendHistory(store, customers, 100, 1000)) +
      (await appendHistory(store, 1, BIG_CUSTOMER_EVENTS, 1000, () => 'big')),
  );
  await store.close();
  console.log(`seeded ${seeded.result.toLocaleString('en-US')} events in ${seeded.seconds.toFixed(1)} s\n`);

  const output = execFileSync(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', __filename, 'child', eventsFile, join(directory, 'reads.db')],
    {
      maxBuffer: 1 << 20,
    },
  ).toString();
  const result = JSON.parse(output) as {
    plainRead: { events: number; seconds: number };
    rebuild: { seconds: number };
    timeline: { p50: number; p99: number };
    peakRss: number;
  };
  const plainRate = result.plainRead.events / result.plainRead.seconds;
  const rebuildRate = result.plainRead.events / result.rebuild.seconds;
  console.log(`plain read of the log          ${formatRate(plainRate)}`);
  console.log(
    `rebuild of all ${PROJECTIONS.length} projections    ${formatRate(rebuildRate)}  (${(rebuildRate / plainRate).toFixed(2)}x the plain read, ${result.rebuild.seconds.toFixed(1)} s)`,
  );
  console.log(
    `timeline page of 50, 10k-event customer: p50 ${result.timeline.p50.toFixed(2)} ms, p99 ${result.timeline.p99.toFixed(2)} ms (store query, 2000 pages)`,
  );
  console.log(`peak RSS of the rebuilding process: ${mib(result.peakRss)}`);
  console.log('\ntargets (issue #3, this 2-core machine):');
  const check = (label: string, met: boolean, figure: string) =>
    console.log(`  [${met ? 'met' : 'MISSED'}] ${label}: ${figure}`);
  check('rebuild >= 50,000 events/s', rebuildRate >= 50_000, formatRate(rebuildRate));
  check('rebuild peak RSS <= 512 MB', result.peakRss <= 512 * 1024 * 1024, mib(result.peakRss));
  check('timeline page p99 <= 10 ms', result.timeline.p99 <= 10, `${result.timeline.p99.toFixed(2)} ms`);
  rmSync(directory, { recursive: true, force: true });
}

if (process.argv[2] === 'child') void rebuildChild(process.argv[3]!, process.argv[4]!);
else void main();
