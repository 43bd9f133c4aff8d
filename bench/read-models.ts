/**
 * npm run bench, read side (issues #3 and #12): rebuild the four original projections, then all of them, from
 * 1,000,000 events (BENCH_REBUILD_EVENTS), against a plain read and parse of the same events in the same run;
 * peak RSS of each; timeline pages of 50 for a customer with 10,000 events. Each measurement runs in a child
 * process of its own so that its peak RSS is its own.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { PROJECTIONS, toProjectedEvent } from '../projections/catalog';
import { timelineProjection } from '../projections/timeline.projection';
import { createSqliteEventStore } from '../src/adapters/sqlite/sqlite-event-store';
import { ProjectionEngine } from '../src/application/read-models/projection-engine';
import { createSqliteReadStore } from '../src/adapters/sqlite/sqlite-read-store';
import { ReadModels } from '../src/application/read-models/read-models';
import { appendHistory } from '../test/support/customer-history';
import { formatRate, mib, peakRssOfThisProcessBytes, percentile, timed } from './measure';

const EVENTS = Number(process.env.BENCH_REBUILD_EVENTS ?? 1_000_000);
const BIG_CUSTOMER_EVENTS = 10_000;

/** The projections issue #12's rebuild target names: the four the ledger started with. */
const ORIGINAL_FOUR = ['timeline', 'customer-summary', 'loyalty', 'funnel'];

interface ChildResult {
  readonly events: number;
  readonly seconds: number;
  /** Peak RSS of the child, and its RSS once its code was loaded, before it read anything. */
  readonly peakRss: number;
  readonly loadedRss: number;
  readonly timeline?: { p50: number; p99: number };
}

/** A plain read and parse of the whole log, page by page through the port: the baseline of the rebuilds. */
async function plainReadChild(eventsFile: string): Promise<ChildResult> {
  const loadedRss = process.memoryUsage().rss;
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
  // The event store is left open: the child ends once it has written its figures.
  return { events: plain.result, seconds: plain.seconds, peakRss: peakRssOfThisProcessBytes(), loadedRss };
}

/**
 * The floor of any rebuild that keeps a timeline: the read store writing the timeline's documents for the whole
 * log (1000 a transaction, as a rebuild commits) and building its indexes, timed alone: reading the log and
 * making the documents are not counted.
 */
async function timelineWritesChild(eventsFile: string, readsFile: string): Promise<ChildResult> {
  const loadedRss = process.memoryUsage().rss;
  const events = createSqliteEventStore({ file: eventsFile });
  const reads = createSqliteReadStore(readsFile);
  const collection = 'timeline-alone';
  await reads.ensureCollection(collection, timelineProjection.indexes, { deferIndexes: true });
  let seconds = 0;
  let written = 0;
  for (let after = 0; ;) {
    const page = await events.readAll({ afterPosition: after, maxCount: 1000 });
    if (page.length === 0) break;
    after = page[page.length - 1]!.position;
    const writes = page.flatMap((event) => {
      const projected = toProjectedEvent(event);
      return projected ? [{ id: projected.eventId, doc: timelineProjection.evolve(null, projected) }] : [];
    });
    seconds += (await timed(() => reads.commit([{ collection, writes }], {}))).seconds;
    written += writes.length;
  }
  seconds += (await timed(() => reads.buildIndexes(collection))).seconds;
  await reads.close();
  return { events: written, seconds, peakRss: peakRssOfThisProcessBytes(), loadedRss };
}

/** A rebuild of the named projections (all when none are named) into an empty read store. */
async function rebuildChild(eventsFile: string, readsFile: string, names?: string[]): Promise<ChildResult> {
  const loadedRss = process.memoryUsage().rss;
  const projections = names ? PROJECTIONS.filter((p) => names.includes(p.name)) : PROJECTIONS;
  const events = createSqliteEventStore({ file: eventsFile });
  const reads = createSqliteReadStore(readsFile);
  const engine = new ProjectionEngine(events, reads, projections, pino({ level: 'warn' }));
  const rebuild = await timed(async () => {
    await engine.start();
    await engine.caughtUp(3_600_000);
  });
  await engine.stop();
  const peakRss = peakRssOfThisProcessBytes();
  const timeline = await timelinePages(new ReadModels(reads, engine));
  const folded = await events.lastPosition();
  await reads.close();
  // The event store is left open: the child ends once it has written its figures.
  return { events: folded, seconds: rebuild.seconds, peakRss, loadedRss, timeline };
}

async function timelinePages(readModels: ReadModels): Promise<{ p50: number; p99: number }> {
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
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** Runs one measurement in a child process of its own, so that its peak RSS is its own. */
function inChild(...args: string[]): ChildResult {
  // Compiled (`npm run bench`) as the product runs; from the sources through ts-node when run as a .ts file.
  const loader = __filename.endsWith('.ts') ? ['-r', 'ts-node/register/transpile-only'] : [];
  const output = execFileSync(process.execPath, [...loader, __filename, 'child', ...args], {
    maxBuffer: 1 << 20,
  }).toString();
  return JSON.parse(output) as ChildResult;
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

  const plain = inChild('plain', eventsFile);
  const four = inChild('rebuild', eventsFile, join(directory, 'reads-4.db'), ORIGINAL_FOUR.join(','));
  const all = inChild('rebuild', eventsFile, join(directory, 'reads-all.db'));
  const timelineWrites = inChild('timeline-writes', eventsFile, join(directory, 'reads-timeline.db'));
  const plainRate = plain.events / plain.seconds;
  console.log(
    `plain read and parse of the log       ${formatRate(plainRate)}  (${plain.seconds.toFixed(1)} s, peak RSS ${mib(plain.peakRss)})`,
  );
  console.log(
    `timeline writes alone (floor)         ${formatRate(timelineWrites.events / timelineWrites.seconds)}  (${timelineWrites.seconds.toFixed(1)} s: the read store writing one timeline document per event and its indexes, nothing read or folded)`,
  );
  const row = (label: string, result: ChildResult) => {
    const rate = result.events / result.seconds;
    console.log(
      `${label.padEnd(38)}${formatRate(rate)}  (${(rate / plainRate).toFixed(2)}x the plain read, ${result.seconds.toFixed(1)} s, peak RSS ${mib(result.peakRss)}, ${mib(result.loadedRss)} of it code loaded before reading)`,
    );
    return rate;
  };
  const fourRate = row(`rebuild of the ${ORIGINAL_FOUR.length} original projections`, four);
  const allRate = row(`rebuild of all ${PROJECTIONS.length} projections`, all);
  console.log(
    `timeline page of 50, 10k-event customer: p50 ${all.timeline!.p50.toFixed(2)} ms, p99 ${all.timeline!.p99.toFixed(2)} ms (store query, 2000 pages)`,
  );
  console.log('\ntargets (issue #12, this 2-core machine):');
  const check = (label: string, met: boolean, figure: string) =>
    console.log(`  [${met ? 'met' : 'MISSED'}] ${label}: ${figure}`);
  for (const [label, rate, result] of [
    [`${ORIGINAL_FOUR.length} projections`, fourRate, four],
    [`all ${PROJECTIONS.length}`, allRate, all],
  ] as const) {
    check(`rebuild of ${label} >= 75,000 events/s`, rate >= 75_000, formatRate(rate));
    check(
      `rebuild of ${label} >= 0.6x the plain read and parse`,
      rate >= 0.6 * plainRate,
      `${(rate / plainRate).toFixed(2)}x`,
    );
    check(
      `rebuild of ${label} peak RSS <= 256 MiB`,
      result.peakRss <= 256 * 1024 * 1024,
      mib(result.peakRss),
    );
  }
  check('timeline page p99 <= 10 ms', all.timeline!.p99 <= 10, `${all.timeline!.p99.toFixed(2)} ms`);
  console.log(
    `\n  0.6x the plain read leaves ${(plain.seconds / 0.6).toFixed(1)} s for a rebuild of ${plain.events.toLocaleString('en-US')} events; ` +
      `writing the timeline alone takes ${timelineWrites.seconds.toFixed(1)} s and reading the log ${plain.seconds.toFixed(1)} s.`,
  );
  rmSync(directory, { recursive: true, force: true });
}

async function child([kind, eventsFile, readsFile, names]: string[]): Promise<void> {
  const result =
    kind === 'plain'
      ? await plainReadChild(eventsFile!)
      : kind === 'timeline-writes'
        ? await timelineWritesChild(eventsFile!, readsFile!)
        : await rebuildChild(eventsFile!, readsFile!, names ? names.split(',') : undefined);
  process.stdout.write(JSON.stringify(result));
}

if (process.argv[2] === 'child') void child(process.argv.slice(3));
else void main();
