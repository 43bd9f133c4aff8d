/**
 * PostgreSQL scale-out of the projector (issue 20, item 6): catch-up of the same log by one projector
 * (`ledger project`), by one partitioned projector (`ledger project --partitioned`, every partition) and by two
 * partitioned projectors sharing the partitions; events/s of each and the machine's load around each run.
 *
 *   BENCH_DATABASE_URL=postgres://user@127.0.0.1:5432/postgres npx ts-node --transpile-only bench/postgres-partitioned-catch-up.ts
 *   bash .ci/postgres.sh sh -c 'BENCH_DATABASE_URL=$TEST_DATABASE_URL npx ts-node --transpile-only bench/postgres-partitioned-catch-up.ts'
 *
 * The URL names a server whose user may CREATE DATABASE: the run gets a fresh database, dropped afterwards.
 * BENCH_EVENTS (default 100,000) touchpoints are loaded first through one ingest-only service process (HTTP
 * batches of 1000, four clients, 2,000 customers of which 400 registered, a merge of two registered customers
 * every 10 batches); then each run starts from empty read models (every read-model table, checkpoint and lease
 * dropped) and is timed from its first commit until every projection has folded the head (the partitions'
 * checkpoints, or the single projector's).
 */
import { ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { PROJECTIONS } from '../projections/catalog';
import { startLedgerCli } from '../test/support/ledger-cli';
import { LedgerProcess } from '../test/support/ledger-process';

const SERVER_URL = process.env.BENCH_DATABASE_URL;
const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const CUSTOMERS = 2000;
/** Of those, registered first; merges pair them off (0 absorbs 1, 2 absorbs 3, ...). */
const REGISTERED = 400;
const BATCH = 1000;
const CLIENTS = 4;
const PARTITIONS = 8;

async function sql<T extends object>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

async function lastPosition(url: string): Promise<number> {
  const rows = await sql<{ head: string }>(url, 'SELECT max(position) AS head FROM events');
  return Number(rows[0]!.head);
}

const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

async function loadLog(ledger: LedgerProcess): Promise<void> {
  let sent = 0;
  let counter = 0;
  const touchpoint = (index: number) => {
    const n = counter++;
    const customerId = `bench-${index % CUSTOMERS}`;
    const kinds = ['browse', 'browse', 'browse', 'commit', 'purchase', 'survey'];
    const kind = kinds[n % kinds.length]!;
    const data =
      kind === 'browse'
        ? { productId: `p-${n % 300}`, category: 'shoes' }
        : kind === 'commit'
          ? { cartId: `cart-${n}`, value: { amount: 10 + (n % 90), currency: 'EUR' } }
          : kind === 'purchase'
            ? {
                orderId: `o-${n}`,
                items: [{ sku: `SKU-${n % 50}`, quantity: 1, unitPrice: { amount: 25, currency: 'EUR' } }],
              }
            : { kind: 'nps', score: n % 11 };
    const occurredAt = new Date(Date.UTC(2025, 0, 1) + n * 60_000).toISOString();
    return { customerId, type: kind, eventId: randomUUID(), occurredAt, channel: 'web', data };
  };
  // The first customers are registered (a merge joins registered records; the rest stay unregistered).
  for (let start = 0; start < REGISTERED; start += 20) {
    await Promise.all(
      Array.from({ length: 20 }, async (_, k) => {
        const index = start + k;
        const response = await ledger.post('/v1/customers', {
          customerId: `bench-${index}`,
          eventId: randomUUID(),
          occurredAt: new Date(Date.UTC(2024, 11, 1) + index * 60_000).toISOString(),
          name: `Bench ${index}`,
          email: `bench-${index}@catch-up.example`,
          country: 'DE',
        });
        if (response.status >= 300) throw new Error(`register: ${response.status} ${await response.text()}`);
      }),
    );
  }
  let merges = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (sent < EVENTS) {
        const start = sent;
        sent += BATCH;
        const body = { touchpoints: Array.from({ length: BATCH }, (_, k) => touchpoint(start + k * 7)) };
        let response = await ledger.post('/v1/touchpoints/batch', body);
        // Four clients write the same customers: a contended batch (503) is sent again, the same event ids.
        for (let attempt = 0; response.status === 503 && attempt < 20; attempt++) {
          response = await ledger.post('/v1/touchpoints/batch', body);
        }
        if (response.status >= 300) throw new Error(`batch: ${response.status} ${await response.text()}`);
        if ((start / BATCH) % 10 === 9) {
          const survivor = `bench-${(merges * 2) % REGISTERED}`;
          const duplicate = `bench-${(merges * 2 + 1) % REGISTERED}`;
          merges++;
          const merged = await ledger.post(`/v1/customers/${survivor}/merge`, { duplicateId: duplicate });
          if (merged.status >= 300) throw new Error(`merge: ${merged.status} ${await merged.text()}`);
        }
      }
    }),
  );
}

/** Drops every read model, checkpoint, projection state, lease and member: the next run folds from 0. */
async function emptyReadModels(url: string): Promise<void> {
  const tables = await sql<{ tablename: string }>(
    url,
    `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'rm\\_%'`,
  );
  for (const { tablename } of tables) await sql(url, `DROP TABLE ${tablename}`);
  await sql(url, 'DELETE FROM collections');
  await sql(url, 'DELETE FROM checkpoints');
  await sql(url, 'DELETE FROM projection_state');
  await sql(url, 'DROP TABLE IF EXISTS projector_leases, projector_members');
}

/** The position every projection has folded: the lowest partition checkpoint, or the single projector's. */
async function folded(url: string, partitioned: boolean): Promise<number> {
  const names = PROJECTIONS.flatMap((projection) =>
    partitioned
      ? Array.from({ length: PARTITIONS }, (_, partition) => `${projection.name}@g1#p${partition}`)
      : [`${projection.name}@g1`],
  );
  const rows = await sql<{ name: string; position: string }>(
    url,
    'SELECT name, position FROM checkpoints WHERE name = ANY($1::text[])',
    [names],
  );
  if (rows.length < names.length) return 0;
  return Math.min(...rows.map((row) => Number(row.position)));
}

/**
 * What reading costs: one pass over the whole log in pages of 1000 (what every partition would read if it
 * filtered the log itself), against every partition reading only its own events by the partition index; and
 * the index's size beside the table's.
 */
async function readCosts(url: string): Promise<string> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const pass = async (query: string, params: (after: number) => unknown[]) => {
      let rows = 0;
      for (let after = 0; ;) {
        const page = (await client.query<{ position: string }>(query, params(after))).rows;
        rows += page.length;
        if (page.length < 1000) return rows;
        after = Number(page[page.length - 1]!.position);
      }
    };
    const columns = 'position, stream_id, type, data, metadata';
    let started = Date.now();
    const whole = await pass(
      `SELECT ${columns} FROM events WHERE position > $1 ORDER BY position LIMIT 1000`,
      (after) => [after],
    );
    const wholeMs = Date.now() - started;
    started = Date.now();
    let own = 0;
    for (let partition = 0; partition < PARTITIONS; partition++) {
      own += await pass(
        `SELECT ${columns} FROM events WHERE partition = $2 AND position > $1 ORDER BY position LIMIT 1000`,
        (after) => [after, partition],
      );
    }
    const ownMs = Date.now() - started;
    const [sizes] = (
      await client.query<{ table: string; index: string }>(
        `SELECT pg_size_pretty(pg_table_size('events')) AS table, pg_size_pretty(pg_relation_size('events_by_partition')) AS index`,
      )
    ).rows;
    return (
      `reading: the whole log once ${whole.toLocaleString('en')} events in ${wholeMs} ms (${PARTITIONS} partitions ` +
      `filtering it would read it ${PARTITIONS} times); every partition by its index ${own.toLocaleString('en')} events ` +
      `in ${ownMs} ms; events table ${sizes!.table}, partition index ${sizes!.index}`
    );
  } finally {
    await client.end();
  }
}

async function anyCheckpoint(url: string): Promise<boolean> {
  return (await sql(url, 'SELECT 1 FROM checkpoints WHERE position > 0 LIMIT 1')).length > 0;
}

async function catchUp(
  url: string,
  directory: string,
  masterKey: string,
  processes: number,
  partitioned: boolean,
): Promise<{ seconds: number; startSeconds: number; loadBefore: string; loadAfter: string }> {
  await emptyReadModels(url);
  const head = await lastPosition(url);
  const loadBefore = load();
  const started = Date.now();
  const children: ChildProcessWithoutNullStreams[] = [];
  for (let index = 0; index < processes; index++) {
    const child = startLedgerCli(
      {
        DATA_DIR: join(directory, `projector-${index}`),
        LEDGER_MASTER_KEY: masterKey,
        DATABASE_URL: url,
        LOG_LEVEL: 'warn',
      },
      partitioned ? ['project', '--partitioned'] : ['project'],
    );
    child.stdin.end();
    child.stderr.on('data', () => undefined);
    child.stdout.on('data', () => undefined);
    children.push(child);
  }
  try {
    // Timed from the first commit, so that the processes' start (ts-node compiling) is left out.
    let firstCommit: number | undefined;
    while ((await folded(url, partitioned)) < head) {
      if (firstCommit === undefined && (await anyCheckpoint(url))) firstCommit = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const ended = Date.now();
    return {
      seconds: (ended - (firstCommit ?? started)) / 1000,
      startSeconds: ((firstCommit ?? ended) - started) / 1000,
      loadBefore,
      loadAfter: load(),
    };
  } finally {
    await Promise.all(
      children.map(
        (child) =>
          new Promise((resolve) => {
            child.once('exit', resolve);
            child.kill('SIGTERM');
          }),
      ),
    );
  }
}

async function main(): Promise<void> {
  if (!SERVER_URL) {
    console.log('postgres partitioned catch-up: skipped (BENCH_DATABASE_URL is not set)');
    return;
  }
  const name = `ledger_catch_up_${randomUUID().slice(0, 8)}`;
  await sql(SERVER_URL, `CREATE DATABASE ${name}`);
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const directory = mkdtempSync(join(tmpdir(), 'ledger-catch-up-'));
  const masterKey = randomBytes(32).toString('base64');
  try {
    const ledger = await LedgerProcess.start({
      DATA_DIR: join(directory, 'ingest'),
      PORT: 20000 + Math.floor(Math.random() * 20000),
      LEDGER_MASTER_KEY: masterKey,
      LEDGER_PROJECTIONS: 'off',
      DATABASE_URL: databaseUrl,
      more: { LEDGER_PROJECTION_PARTITIONS: String(PARTITIONS) },
    });
    const loadStarted = Date.now();
    try {
      await loadLog(ledger);
    } finally {
      await ledger.kill('SIGTERM');
    }
    const head = await lastPosition(databaseUrl);
    console.log(
      `loaded ${head.toLocaleString('en')} events in ${((Date.now() - loadStarted) / 1000).toFixed(0)} s; load ${load()}`,
    );
    console.log(await readCosts(databaseUrl));
    const runs: [string, number, boolean][] = [
      ['one projector (ledger project)', 1, false],
      ['one partitioned projector, 8 partitions', 1, true],
      ['two partitioned projectors, 8 partitions', 2, true],
    ];
    for (const [label, processes, partitioned] of runs) {
      const { seconds, startSeconds, loadBefore, loadAfter } = await catchUp(
        databaseUrl,
        directory,
        masterKey,
        processes,
        partitioned,
      );
      console.log(
        `${label}: ${seconds.toFixed(1)} s from the first commit (${startSeconds.toFixed(1)} s to start), ` +
          `${Math.round(head / seconds).toLocaleString('en')} events/s ` +
          `(load before ${loadBefore}, after ${loadAfter})`,
      );
    }
  } finally {
    await sql(SERVER_URL, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    rmSync(directory, { recursive: true, force: true });
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
