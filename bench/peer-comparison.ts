/**
 * npm run bench, side by side with a real peer (issue #12): our SQLite event store (through the EventStore port)
 * and Emmett's SQLite event store (@event-driven-io/emmett-sqlite, run from bench/peer/ with its own
 * node_modules) append and fold the same events, each against the raw better-sqlite3 ceiling measured here.
 *
 *  events   real REES46 store events (view -> ProductBrowsed, cart -> PurchaseCommitted, purchase ->
 *           PurchaseCompleted, USD), cycled, over 10,000 streams `customer-<n>`; identical type, data and
 *           metadata on both sides
 *  rows     single-event appends one at a time (p50/p99 per append), batches of 100 (one stream per batch),
 *           and one projection (events, purchases and revenue per stream) folded over everything both stores hold
 *  ceiling  raw better-sqlite3 insert of the same rows, 1000 per transaction, WAL, synchronous=FULL, integer key
 *           only (as in bench/ingest.ts); for the fold, a raw read of those rows in pages of 1000 with the same fold
 */
import { parse } from 'csv-parse/sync';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { createSqliteEventStore } from '../src/adapters/sqlite/sqlite-event-store';
import { EventStore } from '../src/ports/event-store.port';
import { formatRate, percentile, rawInsertCeiling, SHARED_DATA, timed } from './measure';
import { EventTemplate, FoldTotals, PeerResult, PeerRun, StreamTotals } from './peer/protocol';

const STREAMS = 10_000;
const BATCH_SIZE = 100;
const SINGLES = Number(process.env.BENCH_PEER_SINGLES ?? 2_000);
const BATCHES = Number(process.env.BENCH_PEER_BATCHES ?? 10_000);
const REES46 = join(SHARED_DATA, 'rees46-ecommerce-behavior/2019-Oct_first17434.csv');

interface Row {
  readonly events: number;
  readonly seconds: number;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
}

const perSecond = (row: Row) => row.events / row.seconds;

/** The stream of event i on every side: singles go round the streams, each batch goes to one stream. */
function streamOf(index: number): string {
  const key = index < SINGLES ? index : Math.floor((index - SINGLES) / BATCH_SIZE);
  return `customer-${key % STREAMS}`;
}

/** Minor units of a REES46 price (USD, two decimals), without going through floats twice. */
function cents(price: string): number {
  return Math.round(Number(price) * 100);
}

/** The ledger's stored events for the REES46 rows, as the CLI's rees46 import preset maps them. */
function rees46Templates(): EventTemplate[] {
  const rows = parse(readFileSync(REES46), { columns: true, skip_empty_lines: true }) as Record<
    string,
    string
  >[];
  const recordedAt = new Date().toISOString();
  return rows.flatMap((row, line): EventTemplate[] => {
    const metadata = {
      occurredAt: new Date(row.event_time!.replace(' UTC', 'Z')).toISOString(),
      recordedAt,
      actor: 'bench',
      channel: 'web',
    };
    const item = {
      sku: row.product_id,
      quantity: 1,
      unitPrice: { amountMinor: cents(row.price!), currency: 'USD' },
    };
    switch (row.event_type) {
      case 'view':
        return [
          {
            type: 'ProductBrowsed',
            data: {
              productId: row.product_id,
              category: row.category_code || row.category_id,
              sessionId: row.user_session,
            },
            metadata,
          },
        ];
      case 'cart':
        return [{ type: 'PurchaseCommitted', data: { cartId: row.user_session, items: [item] }, metadata }];
      case 'purchase':
        return [
          {
            type: 'PurchaseCompleted',
            data: { orderId: `rees46-line-${line + 2}`, items: [item], total: item.unitPrice },
            metadata,
          },
        ];
      default:
        return [];
    }
  });
}

async function ceiling(
  directory: string,
  eventAt: (index: number) => EventTemplate,
  total: number,
): Promise<{ insert: Row; fold: Row & { totals: FoldTotals } }> {
  const { db, seconds } = await rawInsertCeiling(join(directory, 'ceiling.db'), total, (index) => ({
    streamId: streamOf(index),
    ...eventAt(index),
  }));
  const page = db.prepare<[number], { position: number; stream_id: string; type: string; data: string }>(
    'SELECT position, stream_id, type, data FROM events WHERE position > ? ORDER BY position LIMIT 1000',
  );
  const folded = await timed(async () => {
    const totals = new StreamTotals();
    for (let after = 0; ;) {
      const rows = page.all(after);
      if (rows.length === 0) return totals.summary();
      for (const row of rows)
        totals.evolve(row.stream_id, row.type, JSON.parse(row.data) as Record<string, unknown>);
      after = rows[rows.length - 1]!.position;
    }
  });
  db.close();
  return {
    insert: { events: total, seconds },
    fold: { events: folded.result.events, seconds: folded.seconds, totals: folded.result },
  };
}

async function ours(
  directory: string,
  eventAt: (index: number) => EventTemplate,
): Promise<{ singles: Row; batches: Row; fold: Row & { totals: FoldTotals } }> {
  const store: EventStore = createSqliteEventStore({ file: join(directory, 'ours.db') });
  const newEvent = (index: number) => ({ eventId: uuidv7(), schemaVersion: 1, ...eventAt(index) });

  const latencies: number[] = [];
  const singles = await timed(async () => {
    for (let index = 0; index < SINGLES; index++) {
      const start = process.hrtime.bigint();
      await store.append([{ streamId: streamOf(index), expectedRevision: 'any', events: [newEvent(index)] }]);
      latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  });
  latencies.sort((a, b) => a - b);

  const batchLatencies: number[] = [];
  const batches = await timed(async () => {
    for (let batch = 0; batch < BATCHES; batch++) {
      const first = SINGLES + batch * BATCH_SIZE;
      const events = Array.from({ length: BATCH_SIZE }, (_, i) => newEvent(first + i));
      const start = process.hrtime.bigint();
      await store.append([{ streamId: streamOf(first), expectedRevision: 'any', events }]);
      batchLatencies.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  });
  batchLatencies.sort((a, b) => a - b);

  // The projection engine's read path: the catch-up part of subscribeToAll, pages of 1000 from readAll's query.
  const folded = await timed(async () => {
    const totals = new StreamTotals();
    for await (const message of store.subscribeToAll({ afterPosition: 0 })) {
      if (message.kind === 'caught-up') break;
      totals.evolve(message.event.streamId, message.event.type, message.event.data);
    }
    return totals.summary();
  });
  await store.close();
  return {
    singles: {
      events: SINGLES,
      seconds: singles.seconds,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
    },
    batches: {
      events: BATCHES * BATCH_SIZE,
      seconds: batches.seconds,
      p50Ms: percentile(batchLatencies, 50),
      p99Ms: percentile(batchLatencies, 99),
    },
    fold: { events: folded.result.events, seconds: folded.seconds, totals: folded.result },
  };
}

function peer(run: PeerRun): PeerResult {
  execFileSync(
    process.execPath,
    [
      '-r',
      'ts-node/register/transpile-only',
      join(__dirname, 'peer', 'emmett-bench.ts'),
      JSON.stringify(run),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return JSON.parse(readFileSync(run.resultFile, 'utf8')) as PeerResult;
}

function sameTotals(a: FoldTotals, b: FoldTotals): boolean {
  return (
    a.streams === b.streams &&
    a.events === b.events &&
    a.purchases === b.purchases &&
    a.revenueMinor === b.revenueMinor
  );
}

async function main(directory: string): Promise<void> {
  const templates = rees46Templates();
  const templatesFile = join(directory, 'templates.json');
  writeFileSync(templatesFile, JSON.stringify(templates));
  const eventAt = (index: number) => templates[index % templates.length]!;
  const total = SINGLES + BATCHES * BATCH_SIZE;
  console.log(
    `\npeer comparison: ${SINGLES.toLocaleString('en-US')} single appends + ${BATCHES.toLocaleString('en-US')} batches of ${BATCH_SIZE} ` +
      `over ${STREAMS.toLocaleString('en-US')} streams, then one fold over all ${total.toLocaleString('en-US')} events; ` +
      `${templates.length.toLocaleString('en-US')} REES46 events cycled\n`,
  );

  stage = 'ceiling';
  const raw = await ceiling(directory, eventAt, total);
  stage = 'ours';
  const ourSide = await ours(directory, eventAt);
  stage = 'peer';
  const peerSide = peer({
    directory,
    templatesFile,
    streams: STREAMS,
    singles: SINGLES,
    batches: BATCHES,
    batchSize: BATCH_SIZE,
    foldPageSize: 1000,
    resultFile: join(directory, 'peer-result.json'),
  });

  const synchronousNames = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];
  console.log(
    `ours: this repository's SQLite event store via the EventStore port (better-sqlite3), WAL, synchronous=FULL, ` +
      `hash chain, group commit`,
  );
  console.log(
    `peer: Emmett ${peerSide.versions.emmett} / emmett-sqlite ${peerSide.versions.emmettSqlite} (sqlite3 ${peerSide.versions.sqlite3}, ` +
      `SQLite ${peerSide.versions.sqlite}), journal_mode=${peerSide.journalMode.toUpperCase()}, ` +
      `synchronous=${synchronousNames[peerSide.synchronous] ?? peerSide.synchronous} (SQLite's default; Emmett sets none), ` +
      `a connection opened and closed per call; appends retried after SQLITE_BUSY on commit: ${peerSide.retriedAppends}`,
  );
  console.log(
    `ceiling: raw better-sqlite3 insert, 1000/tx, WAL, FULL ${formatRate(perSecond(raw.insert))}; ` +
      `raw read + fold, pages of 1000 ${formatRate(perSecond(raw.fold))}\n`,
  );

  const pad = (text: string, width: number) => text.padEnd(width);
  const latency = (row: Row) =>
    row.p50Ms === undefined ? '' : ` (p50 ${row.p50Ms.toFixed(2)}, p99 ${row.p99Ms!.toFixed(2)} ms)`;
  console.log(
    pad('row', 30) +
      pad('ours events/s', 34) +
      pad('peer events/s', 34) +
      pad('ours/peer', 11) +
      'ours/ceiling',
  );
  const rows: [string, Row, Row, Row][] = [
    ['single appends, 1 in flight', ourSide.singles, peerSide.singles, raw.insert],
    [`batches of ${BATCH_SIZE}, 1 in flight`, ourSide.batches, peerSide.batches, raw.insert],
    ['fold of one projection', ourSide.fold, peerSide.fold, raw.fold],
  ];
  for (const [name, our, their, ceilingRow] of rows) {
    console.log(
      pad(name, 30) +
        pad(formatRate(perSecond(our)) + latency(our), 34) +
        pad(formatRate(perSecond(their)) + latency(their), 34) +
        pad(`${(perSecond(our) / perSecond(their)).toFixed(2)}x`, 11) +
        `${(perSecond(our) / perSecond(ceilingRow)).toFixed(2)}x`,
    );
  }
  console.log('(batch latencies are per batch of 100)');
  const agree =
    sameTotals(ourSide.fold.totals, peerSide.fold.totals) && sameTotals(ourSide.fold.totals, raw.fold.totals);
  const t = ourSide.fold.totals;
  console.log(
    `fold answers ${agree ? 'agree' : 'DIFFER'}: ${t.streams} streams, ${t.events} events, ${t.purchases} purchases, ` +
      `USD ${(t.revenueMinor / 100).toFixed(2)}${agree ? '' : `; peer ${JSON.stringify(peerSide.fold.totals)}, ceiling ${JSON.stringify(raw.fold.totals)}`}`,
  );
  if (!agree) process.exitCode = 1;
}

const directory = mkdtempSync(join(tmpdir(), 'ledger-bench-peer-'));
let stage = 'start';
// An await that never settles lets Node exit quietly with code 0; say so instead of printing half a table.
process.once('beforeExit', () => {
  if (stage === 'done') return;
  console.error(`peer comparison: the event loop emptied during "${stage}" (a promise that never settles)`);
  rmSync(directory, { recursive: true, force: true });
  process.exitCode = 1;
});
main(directory)
  .then(() => (stage = 'done'))
  .catch((error: unknown) => {
    stage = 'done';
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => rmSync(directory, { recursive: true, force: true }));
