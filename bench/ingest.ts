/**
 * npm run bench, write side (issues #2 and #12): each figure against its target.
 *
 *  ceiling  raw better-sqlite3 insert of the same serialized rows, 1000 per transaction, WAL, synchronous=FULL,
 *           a table with only an integer primary key
 *  (a)      appends through the EventStore port: single events (sequential and 32 in flight), batches of 100, 1000
 *  (b)      HTTP single-touchpoint ingest, 32 concurrent clients (autocannon), against the real service process
 *           (compiled, as `npm run start:prod` runs it, after a warm-up of BENCH_WARM_UP_SECONDS); each HTTP run
 *           BENCH_HTTP_ROUNDS times, the round of median throughput reported with the range of all
 *  (c)      HTTP batch ingest, 1000 touchpoints a request
 */
import autocannon from 'autocannon';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { createSqliteEventStore } from '../src/adapters/sqlite/sqlite-event-store';
import { NewEvent } from '../src/ports/event-store.port';
import { LedgerProcess } from '../test/support/ledger-process';
import {
  formatRate,
  Measurement,
  mib,
  peakRssOfThisProcessBytes,
  percentile,
  postLoad,
  rate,
  rawInsertCeiling,
  withLatencies,
} from './measure';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000);
const HTTP_SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 10);
/** Load before the measured HTTP runs, not measured: the service's JIT and lazily loaded code settle first. */
const WARM_UP_SECONDS = Number(process.env.BENCH_WARM_UP_SECONDS ?? 3);
/** Rounds of each HTTP run: the round of median throughput is reported (with the range), the machine being shared. */
const HTTP_ROUNDS = Number(process.env.BENCH_HTTP_ROUNDS ?? 3);
const directory = mkdtempSync(join(tmpdir(), 'ledger-bench-'));

function purchaseEvent(index: number): NewEvent {
  return {
    eventId: uuidv7(),
    type: 'PurchaseCompleted',
    schemaVersion: 1,
    data: {
      orderId: `A-${index}`,
      items: [
        {
          sku: `SKU-${index % 5000}`,
          quantity: 1 + (index % 4),
          unitPrice: { amountMinor: 1999, currency: 'EUR' },
        },
      ],
      total: { amountMinor: 1999 * (1 + (index % 4)), currency: 'EUR' },
    },
    metadata: {
      occurredAt: '2026-11-20T10:00:00.000Z',
      recordedAt: new Date().toISOString(),
      actor: 'bench',
      channel: 'web',
      correlationId: uuidv7(),
      causationId: uuidv7(),
    },
  };
}

async function ceiling(): Promise<Measurement> {
  const { db, seconds } = await rawInsertCeiling(join(directory, 'ceiling.db'), EVENTS, (index) => ({
    streamId: `customer-${index % 1000}`,
    ...purchaseEvent(index),
  }));
  db.close();
  return { name: 'ceiling: raw better-sqlite3 insert, 1000/tx', events: EVENTS, seconds };
}

async function storePort(): Promise<Measurement[]> {
  const results: Measurement[] = [];
  const single = async (concurrency: number, count: number) => {
    const store = createSqliteEventStore({ file: join(directory, `port-single-${concurrency}.db`) });
    const { seconds, latenciesMs } = await withLatencies(count, concurrency, (index) =>
      store.append([
        { streamId: `customer-${index % 1000}`, expectedRevision: 'any', events: [purchaseEvent(index)] },
      ]),
    );
    await store.close();
    results.push({
      name: `(a) port: single-event appends, ${concurrency} in flight`,
      events: count,
      seconds,
      p50Ms: percentile(latenciesMs, 50),
      p99Ms: percentile(latenciesMs, 99),
    });
  };
  await single(1, Math.min(EVENTS, 5_000));
  await single(32, Math.min(EVENTS, 50_000));
  for (const batchSize of [100, 1000]) {
    const store = createSqliteEventStore({ file: join(directory, `port-batch-${batchSize}.db`) });
    const batches = Math.floor(EVENTS / batchSize);
    const prepared = Array.from({ length: batches }, (_, b) =>
      Array.from({ length: batchSize }, (_, i) => purchaseEvent(b * batchSize + i)),
    );
    const { seconds, latenciesMs } = await withLatencies(batches, 1, (b) =>
      store.append([{ streamId: `customer-${b % 1000}`, expectedRevision: 'any', events: prepared[b]! }]),
    );
    await store.close();
    results.push({
      name: `(a) port: batches of ${batchSize}`,
      events: batches * batchSize,
      seconds,
      p50Ms: percentile(latenciesMs, 50),
      p99Ms: percentile(latenciesMs, 99),
      extra: 'latency per batch',
    });
  }
  return results;
}

function touchpointJson(customerId: string, index: number): string {
  return JSON.stringify({
    customerId,
    type: 'purchase',
    channel: 'web',
    occurredAt: '2026-11-20T10:00:00Z',
    data: {
      orderId: `A-${index}`,
      items: [{ sku: `SKU-${index % 5000}`, quantity: 2, unitPrice: { amount: 19.99, currency: 'EUR' } }],
    },
  });
}

/** HTTP ingest against a service that folds projections itself, or an ingest-only one (projections: off). */
async function http(
  projections: 'on' | 'off',
): Promise<{ measurements: Measurement[]; serverPeakRss: number }> {
  const service = await LedgerProcess.start({
    DATA_DIR: join(directory, `service-${projections}`),
    PORT: 30000 + Math.floor(Math.random() * 10000),
    LEDGER_MASTER_KEY: randomBytes(32).toString('base64'),
    LEDGER_PROJECTIONS: projections,
  });
  const mode = projections === 'on' ? 'projections in process' : 'ingest-only instance';
  let counter = 0;
  const singles = (duration: number) =>
    postLoad({
      baseUrl: service.baseUrl,
      path: '/v1/touchpoints',
      connections: 32,
      duration,
      body: () => touchpointJson(`http-${counter % 20000}`, counter++),
    });
  const batchTemplate = JSON.stringify({
    touchpoints: Array.from({ length: 1000 }, (_, i) => JSON.parse(touchpointJson(`batch-@@-${i % 100}`, i))),
  });
  let batchCounter = 0;
  const batches = () =>
    postLoad({
      baseUrl: service.baseUrl,
      path: '/v1/touchpoints/batch',
      connections: 4,
      duration: HTTP_SECONDS,
      timeout: 60,
      body: () => batchTemplate.replaceAll('@@', String(batchCounter++ % 50)),
    });
  if (WARM_UP_SECONDS > 0) await singles(WARM_UP_SECONDS);
  const singleRounds: autocannon.Result[] = [];
  const batchRounds: autocannon.Result[] = [];
  // Singles first: a round of batches leaves projections a backlog that a folding service then works through.
  for (let round = 0; round < HTTP_ROUNDS; round++) singleRounds.push(await singles(HTTP_SECONDS));
  for (let round = 0; round < HTTP_ROUNDS; round++) batchRounds.push(await batches());
  const serverPeakRss = await service.peakRssBytes();
  await service.kill('SIGTERM');
  return {
    serverPeakRss,
    measurements: [
      medianRound(`(b) HTTP single, 32 clients, ${mode}`, singleRounds, 1, 'req/s'),
      medianRound(
        `(c) HTTP batch 1000, 4 clients, ${mode}`,
        batchRounds,
        1000,
        'events/s',
        'latency per batch',
      ),
    ],
  };
}

/** The round of median throughput, with the range of every round's throughput and p99 beside it. */
function medianRound(
  name: string,
  rounds: readonly autocannon.Result[],
  eventsPerRequest: number,
  unit: string,
  note?: string,
): Measurement {
  const whole = (value: number) => Math.round(value).toLocaleString('en-US');
  const perSecond = (result: autocannon.Result) => (result['2xx'] * eventsPerRequest) / result.duration;
  const byRate = [...rounds].sort((a, b) => perSecond(a) - perSecond(b));
  const median = byRate[Math.floor((byRate.length - 1) / 2)]!;
  const p99s = rounds.map((result) => result.latency.p99).sort((a, b) => a - b);
  const errors = rounds.reduce((sum, result) => sum + result.non2xx + result.errors + result.timeouts, 0);
  const range =
    rounds.length > 1
      ? `median of ${rounds.length} rounds (${whole(perSecond(byRate[0]!))}-${whole(perSecond(byRate[byRate.length - 1]!))} ${unit}, p99 ${p99s[0]}-${p99s[p99s.length - 1]} ms), `
      : '';
  return {
    name,
    events: median['2xx'] * eventsPerRequest,
    seconds: median.duration,
    p50Ms: median.latency.p50,
    p99Ms: median.latency.p99,
    extra: `${range}${errors} errors${note ? `, ${note}` : ''}`,
  };
}

async function main(): Promise<void> {
  console.log(
    `ledger benchmark: ${EVENTS.toLocaleString('en-US')} events for the store, ${HTTP_SECONDS}s per HTTP run, ${HTTP_ROUNDS} rounds each\n`,
  );
  const rawCeiling = await ceiling();
  const port = await storePort();
  const inProcess = await http('on');
  const ingestOnly = await http('off');
  const all = [rawCeiling, ...port, ...inProcess.measurements, ...ingestOnly.measurements];

  const pad = (text: string, width: number) => text.padEnd(width);
  console.log(
    pad('measurement', 58) + pad('events/s', 14) + pad('p50 ms', 9) + pad('p99 ms', 9) + 'x ceiling  notes',
  );
  for (const m of all) {
    console.log(
      pad(m.name, 58) +
        pad(formatRate(rate(m)), 14) +
        pad(m.p50Ms?.toFixed(2) ?? '-', 9) +
        pad(m.p99Ms?.toFixed(2) ?? '-', 9) +
        pad((rate(m) / rate(rawCeiling)).toFixed(2), 11) +
        (m.extra ?? ''),
    );
  }
  const batch1000 = port.find((m) => m.name.includes('batches of 1000'))!;
  const batch100 = port.find((m) => m.name.includes('batches of 100'))!;
  console.log('\ntargets (issues #2 and #12, this 2-core machine; #12 raised the HTTP ones):');
  const check = (label: string, met: boolean, figure: string) =>
    console.log(`  [${met ? 'met' : 'MISSED'}] ${label}: ${figure}`);
  check(
    'store-port batch appends >= 40% of the raw ceiling',
    rate(batch1000) / rate(rawCeiling) >= 0.4,
    `batches of 1000 at ${((100 * rate(batch1000)) / rate(rawCeiling)).toFixed(0)}%, of 100 at ${((100 * rate(batch100)) / rate(rawCeiling)).toFixed(0)}%`,
  );
  for (const { measurements } of [inProcess, ingestOnly]) {
    const [single, batch] = measurements as [Measurement, Measurement];
    check(`${batch.name}: >= 25,000 events/s`, rate(batch) >= 25_000, formatRate(rate(batch)));
    check(
      `${single.name}: >= 3,000 req/s at p99 <= 15 ms`,
      rate(single) >= 3000 && (single.p99Ms ?? Infinity) <= 15,
      `${formatRate(rate(single))} at p99 ${single.p99Ms} ms`,
    );
  }
  console.log(
    `\npeak RSS: benchmark process ${mib(peakRssOfThisProcessBytes())}, service process ${mib(Math.max(inProcess.serverPeakRss, ingestOnly.serverPeakRss))}`,
  );
  rmSync(directory, { recursive: true, force: true });
}

void main();
