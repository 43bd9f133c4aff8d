/** Small measuring helpers for the benchmark: percentiles, rates, memory, the raw SQLite ceiling. */
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { canonicalJson, GENESIS_HASH } from '../src/ports/hash-chain';

/** The repository's root, whether the benchmark runs compiled (dist/bench, `npm run bench`) or from sources. */
export const REPO_ROOT = join(__dirname, '..', ...(__filename.endsWith('.js') ? ['..'] : []));
/** The public datasets shared by the workspace (REES46, UCI Online Retail, Olist, CFPB, NPS). */
export const SHARED_DATA = join(REPO_ROOT, '..', 'shared', 'data');

export function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return 0;
  return sortedMs[Math.min(sortedMs.length - 1, Math.floor((p / 100) * sortedMs.length))]!;
}

export interface Measurement {
  readonly name: string;
  readonly events: number;
  readonly seconds: number;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  readonly extra?: string;
}

export function rate(measurement: Measurement): number {
  return measurement.events / measurement.seconds;
}

export async function timed<T>(run: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const start = process.hrtime.bigint();
  const result = await run();
  return { result, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

/** Runs `count` operations with `concurrency` in flight, recording each one's latency. */
export async function withLatencies(
  count: number,
  concurrency: number,
  operation: (index: number) => Promise<unknown>,
): Promise<{ seconds: number; latenciesMs: number[] }> {
  const latenciesMs: number[] = [];
  let next = 0;
  const { seconds } = await timed(async () => {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          const index = next++;
          const start = process.hrtime.bigint();
          await operation(index);
          latenciesMs.push(Number(process.hrtime.bigint() - start) / 1e6);
        }
      }),
    );
  });
  return { seconds, latenciesMs: latenciesMs.sort((a, b) => a - b) };
}

/** Loads `baseUrl` + `path` with JSON POSTs from `connections` clients for `duration` s; `body` makes each one. */
export function postLoad(options: {
  readonly baseUrl: string;
  readonly path: string;
  readonly connections: number;
  readonly duration: number;
  readonly body: () => string;
  readonly timeout?: number;
}): Promise<autocannon.Result> {
  const { baseUrl, path, connections, duration, body, timeout } = options;
  return new Promise((resolve, reject) =>
    autocannon(
      {
        url: baseUrl,
        connections,
        duration,
        ...(timeout !== undefined && { timeout }),
        requests: [
          {
            method: 'POST',
            path,
            headers: { 'content-type': 'application/json' },
            setupRequest: (request) => ({ ...request, body: body() }),
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    ),
  );
}

export function peakRssOfThisProcessBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

export function formatRate(perSecond: number): string {
  return `${Math.round(perSecond).toLocaleString('en-US')}/s`;
}

/** What the ceiling inserts of each event: the columns our event store writes, computed by nothing. */
export interface CeilingRow {
  readonly streamId: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: unknown;
}

/**
 * The raw better-sqlite3 ceiling: the same rows our event store writes (a fixed hash, a stream revision from the
 * row's index, integer key only), 1000 per transaction, WAL and synchronous=FULL. Leaves the database open in
 * `file` for a read ceiling, and returns it with the seconds the inserts took.
 */
export async function rawInsertCeiling(
  file: string,
  count: number,
  rowAt: (index: number) => CeilingRow,
): Promise<{ db: Database.Database; seconds: number }> {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE events (position INTEGER PRIMARY KEY, stream_id TEXT, stream_revision INTEGER, event_id BLOB,
    type TEXT, schema_version INTEGER, data TEXT, metadata TEXT, prev_hash BLOB, hash BLOB)`);
  const insert = db.prepare('INSERT INTO events VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const hash = Buffer.from(GENESIS_HASH, 'hex');
  const rows = Array.from({ length: count }, (_, index) => {
    const row = rowAt(index);
    const eventId = Buffer.from(uuidv7().replace(/-/g, ''), 'hex');
    const [data, metadata] = [canonicalJson(row.data), canonicalJson(row.metadata)];
    return [row.streamId, index, eventId, row.type, 1, data, metadata, hash, hash] as const;
  });
  const insertMany = db.transaction((batch: typeof rows) => {
    for (const row of batch) insert.run(...row);
  });
  const { seconds } = await timed(async () => {
    for (let start = 0; start < rows.length; start += 1000) insertMany(rows.slice(start, start + 1000));
  });
  return { db, seconds };
}

/** The queries behind the analyst dashboard's first paint, as the page asks them. */
export const DASHBOARD_QUERIES = [
  '/v1/analytics/funnel',
  '/v1/analytics/loyalty',
  '/v1/analytics/rfm',
  '/v1/analytics/cohorts',
  '/v1/analytics/satisfaction',
  '/v1/analytics/complaints',
];

/** Lines of JSON written to a file in order, waiting for the stream to drain: `lines` counts them. */
export function ndjsonWriter(file: string) {
  const out = createWriteStream(file);
  const writer = {
    lines: 0,
    write(line: object): Promise<void> {
      writer.lines++;
      return out.write(`${JSON.stringify(line)}\n`)
        ? Promise.resolve()
        : new Promise<void>((resolve) => out.once('drain', () => resolve()));
    },
    end: () => new Promise<void>((resolve) => out.end(resolve)),
  };
  return writer;
}
