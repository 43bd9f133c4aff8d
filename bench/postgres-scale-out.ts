/**
 * npm run bench, PostgreSQL scale-out (issue 15): HTTP batch ingest into one PostgreSQL database through one
 * ingest-only service process, then through three (LEDGER_PROJECTIONS=off, same database, same master key),
 * with the same clients in total, for batches of 100 and of 1000 touchpoints; events/s and the ratio 3 vs 1.
 *
 *   BENCH_DATABASE_URL=postgres://user@127.0.0.1:5432/postgres npm run bench
 *
 * The URL names a server and a user that may CREATE DATABASE: each run gets a fresh database, dropped
 * afterwards. On a throwaway server: bash .ci/postgres.sh sh -c 'BENCH_DATABASE_URL=$TEST_DATABASE_URL npm run bench'.
 * Without BENCH_DATABASE_URL it prints one line saying so and does nothing. No projector runs meanwhile: this
 * is the append path alone. Each client sends its own event ids (as the at-least-once clients of the
 * scale-out test do), and the events stored are counted in the database afterwards.
 */
import autocannon from 'autocannon';
import { randomBytes, randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { LedgerProcess } from '../test/support/ledger-process';
import { formatRate, postLoad } from './measure';

const SERVER_URL = process.env.BENCH_DATABASE_URL;
const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 10);
/** Clients in total, spread evenly over the processes. */
const CLIENTS = 6;
const BATCH_SIZES = [100, 1000] as const;
const PROCESS_COUNTS = [1, 3] as const;
/** Touchpoints per customer in a batch: a batch of 1000 writes 100 customers' streams. */
const PER_CUSTOMER = 10;

interface Run {
  readonly processes: number;
  readonly batchSize: number;
  readonly eventsPerSecond: number;
  readonly batches: number;
  readonly errors: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly stored: number;
  readonly acknowledged: number;
  /** Cores busy on average during the run: the services, this load generator, every PostgreSQL process. */
  readonly cpu?: { readonly services: number; readonly load: number; readonly postgres: number };
  /** Sessions of the ledger's database waiting for the append lock, on average over the run (sampled). */
  readonly lockWaiters: number;
}

/**
 * Samples, every 50 ms until stopped, how many sessions of the database wait for an advisory lock: the
 * append lock (migrations take one too, but only at start). Resolves with the mean.
 */
function sampleLockWaiters(databaseUrl: string): { stop: () => Promise<number> } {
  let stopped = false;
  const sampling = (async () => {
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    const samples: number[] = [];
    try {
      while (!stopped) {
        const { rows } = await client.query<{ waiting: string }>(
          `SELECT count(*) AS waiting FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory'`,
        );
        samples.push(Number(rows[0]!.waiting));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await client.end();
    }
    return samples.reduce((sum, n) => sum + n, 0) / Math.max(1, samples.length);
  })();
  return {
    stop: () => {
      stopped = true;
      return sampling;
    },
  };
}

/** Linux: CPU ticks (user + system) of the given processes, by pid; a process gone meanwhile is left out. */
function cpuTicks(pids: readonly number[]): Map<number, number> {
  const ticks = new Map<number, number>();
  for (const pid of pids) {
    try {
      // The fields after the command name, which is in parentheses and may hold spaces.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks.set(pid, Number(fields[11]) + Number(fields[12]));
    } catch {
      // exited
    }
  }
  return ticks;
}

/** Linux: the pids of every process named postgres (the server and its backends) on this machine. */
function postgresPids(): number[] {
  try {
    return readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres';
        } catch {
          return false;
        }
      })
      .map(Number);
  } catch {
    return [];
  }
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU used between two snapshots, in core-seconds (a process new since the first counts from its start). */
function cpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let ticks = 0;
  for (const [pid, now] of after) ticks += now - (before.get(pid) ?? 0);
  return ticks / CLOCK_TICKS;
}

async function sql<T extends object>(url: string, text: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

async function eventCount(url: string): Promise<number> {
  const [row] = await sql<{ events: string }>(url, 'SELECT count(*) AS events FROM events');
  return Number(row?.events ?? 0);
}

/** A batch body: `batchSize / PER_CUSTOMER` customers of this client's own, each with its own event ids. */
function batchBody(batchSize: number, client: string, counter: number): string {
  // Consecutive batches of one client write other customers (100 groups in turn): no two requests in flight
  // write the same stream, so the figures measure appends, not optimistic-concurrency retries.
  const group = counter % 100;
  return JSON.stringify({
    touchpoints: Array.from({ length: batchSize }, (_, i) => ({
      customerId: `bench-${client}-${group}-${i % (batchSize / PER_CUSTOMER)}`,
      type: 'purchase',
      eventId: randomUUID(),
      channel: 'web',
      occurredAt: '2026-11-20T10:00:00Z',
      data: {
        orderId: `o-${client}-${counter}-${i}`,
        items: [
          { sku: `SKU-${i % 500}`, quantity: 1 + (i % 3), unitPrice: { amount: 19.99, currency: 'EUR' } },
        ],
      },
    })),
  });
}

async function run(processes: number, batchSize: number, directory: string): Promise<Run> {
  const name = `ledger_bench_${randomUUID().slice(0, 8)}`;
  await sql(SERVER_URL!, `CREATE DATABASE ${name}`);
  const url = new URL(SERVER_URL!);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const masterKey = randomBytes(32).toString('base64');
  const basePort = 30000 + Math.floor(Math.random() * 10000);
  const services: LedgerProcess[] = [];
  try {
    for (const started of await Promise.allSettled(
      Array.from({ length: processes }, (_, index) =>
        LedgerProcess.start({
          DATA_DIR: join(directory, `${name}-${index}`),
          PORT: basePort + index,
          LEDGER_MASTER_KEY: masterKey,
          LEDGER_PROJECTIONS: 'off',
          DATABASE_URL: databaseUrl,
        }),
      ),
    )) {
      if (started.status === 'rejected') throw started.reason;
      services.push(started.value);
    }
    // Warm-up: connections opened, code paths compiled.
    for (const [index, service] of services.entries()) {
      for (let i = 0; i < 3; i++) {
        const response = await fetch(`${service.baseUrl}/v1/touchpoints/batch`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: batchBody(batchSize, `warm${index}`, i),
        });
        if (response.status !== 201) throw new Error(`warm-up: ${response.status} ${await response.text()}`);
      }
    }
    const before = await eventCount(databaseUrl);
    const servicePids = services.map((service) => service.child.pid!);
    const cpuBefore = {
      services: cpuTicks(servicePids),
      postgres: cpuTicks(postgresPids()),
      load: process.cpuUsage(),
    };
    const startedAt = process.hrtime.bigint();

    const lockWaiters = sampleLockWaiters(databaseUrl);
    let results: autocannon.Result[];
    let wallSeconds: number;
    let meanLockWaiters: number;
    try {
      results = await Promise.all(
        services.map((service, index) => {
          let counter = 0;
          return postLoad({
            baseUrl: service.baseUrl,
            path: '/v1/touchpoints/batch',
            connections: CLIENTS / processes,
            duration: SECONDS,
            timeout: 60,
            body: () => batchBody(batchSize, `p${index}`, counter++),
          });
        }),
      );
      wallSeconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
    } finally {
      // Stopped whether the load ended well or not.
      meanLockWaiters = await lockWaiters.stop();
    }

    const load = process.cpuUsage(cpuBefore.load);
    const cpu =
      process.platform === 'linux'
        ? {
            services: cpuBetween(cpuBefore.services, cpuTicks(servicePids)) / wallSeconds,
            postgres: cpuBetween(cpuBefore.postgres, cpuTicks(postgresPids())) / wallSeconds,
            load: (load.user + load.system) / 1e6 / wallSeconds,
          }
        : undefined;
    const after = await eventCount(databaseUrl);
    const batches = results.reduce((sum, result) => sum + result['2xx'], 0);
    const seconds = Math.max(...results.map((result) => result.duration));
    // Latencies of the busiest process (they are alike): autocannon reports percentiles per run.
    const latency = results.reduce(
      (worst, result) => (result.latency.p99 > worst.p99 ? result.latency : worst),
      results[0]!.latency,
    );
    return {
      processes,
      batchSize,
      eventsPerSecond: (batches * batchSize) / seconds,
      batches,
      errors: results.reduce((sum, result) => sum + result.non2xx + result.errors + result.timeouts, 0),
      p50Ms: latency.p50,
      p99Ms: latency.p99,
      stored: Number(after) - Number(before),
      acknowledged: batches * batchSize,
      cpu,
      lockWaiters: meanLockWaiters,
    };
  } finally {
    await Promise.all(services.map((service) => service.kill('SIGTERM')));
    await sql(SERVER_URL!, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

async function main(): Promise<void> {
  if (!SERVER_URL) {
    console.log(
      'PostgreSQL scale-out benchmark skipped: BENCH_DATABASE_URL is not set (a server URL whose user may ' +
        "CREATE DATABASE; on a throwaway server: bash .ci/postgres.sh sh -c 'BENCH_DATABASE_URL=$TEST_DATABASE_URL npm run bench')",
    );
    return;
  }
  const server = new URL(SERVER_URL);
  const [row] = await sql<{ server_version: string }>(SERVER_URL, 'SHOW server_version');
  const version = row?.server_version ?? 'unknown';
  console.log(
    `\nPostgreSQL scale-out: HTTP batch ingest through 1 and 3 ingest-only processes, ${CLIENTS} clients in ` +
      `total, ${SECONDS}s per run; PostgreSQL ${version} on ${server.hostname}:${server.port}, ` +
      `${cpus().length} cores shared by the services, the load generator and the database\n`,
  );
  const directory = mkdtempSync(join(tmpdir(), 'ledger-bench-pg-'));
  const runs: Run[] = [];
  try {
    for (const batchSize of BATCH_SIZES) {
      for (const processes of PROCESS_COUNTS) runs.push(await run(processes, batchSize, directory));
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
  const pad = (text: string, width: number) => text.padEnd(width);
  console.log(
    pad('measurement', 46) +
      pad('events/s', 12) +
      pad('p50 ms', 9) +
      pad('p99 ms', 9) +
      'notes (latency per batch)',
  );
  for (const r of runs) {
    console.log(
      pad(`batches of ${r.batchSize}, ${r.processes} ingest process${r.processes > 1 ? 'es' : ''}`, 46) +
        pad(formatRate(r.eventsPerSecond), 12) +
        pad(r.p50Ms.toFixed(0), 9) +
        pad(r.p99Ms.toFixed(0), 9) +
        `${r.batches} batches, ${r.errors} errors, ${r.stored.toLocaleString('en-US')} events stored ` +
        `(${r.stored === r.acknowledged ? 'as acknowledged' : `${r.acknowledged.toLocaleString('en-US')} acknowledged`})` +
        (r.cpu
          ? `; cores busy: services ${r.cpu.services.toFixed(2)}, PostgreSQL ${r.cpu.postgres.toFixed(2)}, ` +
            `load generator ${r.cpu.load.toFixed(2)}`
          : '') +
        `; sessions waiting for the append lock: ${r.lockWaiters.toFixed(2)} on average`,
    );
  }
  for (const batchSize of BATCH_SIZES) {
    const [one, three] = PROCESS_COUNTS.map((processes) =>
      runs.find((r) => r.batchSize === batchSize && r.processes === processes)!,
    );
    console.log(
      `ratio 3 vs 1 process, batches of ${batchSize}: ${(three!.eventsPerSecond / one!.eventsPerSecond).toFixed(2)}`,
    );
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
