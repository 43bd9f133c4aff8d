/**
 * npm run bench, heavy reads (issue #22, point 3): does a read that grows with a customer's history stall
 * everyone else? A customer with 100,000 events (BENCH_HEAVY_EVENTS) is written to the store, the compiled
 * service started on it (projections folded first), then, for each heavy read in turn (the subject export, the
 * audit trail, the verification of one customer) run back to back by one client for BENCH_HEAVY_SECONDS,
 * two probes measure what everybody else sees: GET /health every 10 ms (p50, p99, longest) and single-touchpoint
 * appends one after another (p50, p99). The same probes with no heavy read are the baseline. Beside them, the
 * service's own event-loop delay over the run (prom-client's monitorEventLoopDelay, read from /metrics, which
 * resets it on each read): on a busy machine the probes also wait for a core, the loop delay less so. First, the
 * same reads in this process with nothing else running, its event-loop delay sampled every millisecond: how long
 * each read holds the loop at a time, apart from everything the service and the machine add. Last, the rep's
 * profile loop again on a service started without a read worker (LEDGER_READ_WORKERS=0): what the worker spares.
 */
import { QueryBus } from '@nestjs/cqrs';
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pino from 'pino';
import { createApp } from '../src/app.factory';
import { loadConfig } from '../src/config/ledger-config';
import { ExportSubject, ReadAuditTrail, VerifyChains } from '../src/application/gdpr/personal-data.queries';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSqliteEventStore } from '../src/adapters/sqlite/sqlite-event-store';
import { appendHistory } from '../test/support/customer-history';
import { LedgerProcess } from '../test/support/ledger-process';
import { percentile } from './measure';

const HEAVY_EVENTS = Number(process.env.BENCH_HEAVY_EVENTS ?? 100_000);
const SECONDS = Number(process.env.BENCH_HEAVY_SECONDS ?? 15);
const HEAVY_CUSTOMER = 'heavy-1';

const HEAVY_READS: Record<string, string> = {
  none: '',
  'subject export': `/v1/customers/${HEAVY_CUSTOMER}/export`,
  'audit trail': `/v1/audit/customers/${HEAVY_CUSTOMER}`,
  'verify one customer': `/v1/audit/verify?customerId=${HEAVY_CUSTOMER}`,
  'rep profile, 4 in flight': `/v1/customers/${HEAVY_CUSTOMER}`,
};
/** How many of a heavy read run at once (one unless said): a rep's page reading profiles in a loop. */
const IN_FLIGHT: Record<string, number> = { 'rep profile, 4 in flight': 4 };
/** The profile loop again on a service without a read worker (LEDGER_READ_WORKERS=0), for the ratio. */
const IN_THREAD = 'profile, no worker';

interface Figures {
  /** The service's event-loop delay over the run, longest and p99, in ms. */
  readonly loopDelay: { readonly max: number; readonly p99: number };
  readonly heavyReads: number;
  readonly heavyMs: number;
  readonly heavyBytes: number;
  readonly health: readonly number[];
  readonly appends: readonly number[];
}

async function timedMs(run: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Reads a whole answer, counting its bytes without keeping them. */
async function drain(response: Response): Promise<number> {
  if (!response.ok) throw new Error(`${response.url} answered ${response.status}: ${await response.text()}`);
  let bytes = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.length;
  return bytes;
}

/** The service's event-loop delay since the last read of /metrics (each read starts the histogram anew). */
async function loopDelayMs(service: LedgerProcess): Promise<{ max: number; p99: number }> {
  const metrics = await (await fetch(`${service.baseUrl}/metrics`)).text();
  const seconds = (name: string) =>
    Number(new RegExp(`^ledger_nodejs_eventloop_lag_${name}_seconds (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN);
  return { max: seconds('max') * 1000, p99: seconds('p99') * 1000 };
}

async function measure(service: LedgerProcess, heavyPath: string, inFlight = 1): Promise<Figures> {
  await loopDelayMs(service);
  const until = Date.now() + SECONDS * 1000;
  const health: number[] = [];
  const appends: number[] = [];
  let heavyReads = 0;
  let heavyMs = 0;
  let heavyBytes = 0;
  let counter = 0;
  const probes = [
    (async () => {
      while (Date.now() < until) {
        health.push(await timedMs(async () => drain(await fetch(`${service.baseUrl}/health`))));
        await sleep(10);
      }
    })(),
    (async () => {
      while (Date.now() < until) {
        const index = counter++;
        appends.push(
          await timedMs(async () =>
            drain(
              await service.post('/v1/touchpoints', {
                customerId: `probe-${index % 500}`,
                type: 'browse',
                channel: 'web',
                occurredAt: '2026-11-20T10:00:00Z',
                data: { productId: `p-${index}` },
              }),
            ),
          ),
        );
      }
    })(),
    ...Array.from({ length: inFlight }, async () => {
      while (heavyPath && Date.now() < until) {
        heavyMs += await timedMs(async () => {
          heavyBytes += await drain(await fetch(service.baseUrl + heavyPath));
        });
        heavyReads++;
      }
    }),
  ];
  await Promise.all(probes);
  const loopDelay = await loopDelayMs(service);
  return {
    loopDelay,
    heavyReads,
    heavyMs,
    heavyBytes,
    health: health.sort((a, b) => a - b),
    appends: appends.sort((a, b) => a - b),
  };
}

/** Each heavy read run once in this process, its answer read to the end: the longest and p99 loop delay. */
async function inProcess(directory: string, masterKey: string): Promise<void> {
  const config = loadConfig({
    DATA_DIR: directory,
    LEDGER_MASTER_KEY: masterKey,
    LEDGER_PROJECTIONS: 'off',
    LOG_LEVEL: 'silent',
  });
  const app = await createApp(config, pino({ level: 'silent' }));
  const queries = {
    'subject export': () => new ExportSubject(HEAVY_CUSTOMER),
    'audit trail': () => new ReadAuditTrail(HEAVY_CUSTOMER),
    'verify one customer': () => new VerifyChains(HEAVY_CUSTOMER),
    'verify the whole log': () => new VerifyChains(),
  };
  console.log('in process, nothing else running: the event loop held by each read');
  for (const [name, query] of Object.entries(queries)) {
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    // Its first sample only starts the clock: one turn first, so a read that holds the loop at once is counted.
    await sleep(5);
    const ms = await timedMs(async () => {
      const answer: unknown = await app.get(QueryBus).execute(query());
      if (answer && typeof answer === 'object' && Symbol.asyncIterator in answer) {
        for await (const piece of answer as AsyncIterable<string>) void piece;
      }
    });
    // The sampling timer records a hold only when it fires after it: one more turn counts the last one.
    await sleep(5);
    delay.disable();
    console.log(
      `  ${name.padEnd(22)} ${ms.toFixed(0).padStart(6)} ms in all; loop delay p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms, longest ${(delay.max / 1e6).toFixed(1)} ms`,
    );
  }
  await app.close();
  console.log();
}

async function projected(service: LedgerProcess): Promise<void> {
  for (;;) {
    const health = (await (await fetch(`${service.baseUrl}/health`)).json()) as {
      checks: { projections: { lag: number }[] };
    };
    if (health.checks.projections.every((projection) => projection.lag === 0)) return;
    await sleep(500);
  }
}

async function main(): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'ledger-bench-heavy-'));
  const events = createSqliteEventStore({ file: join(directory, 'events.db') });
  await appendHistory(events, 1, HEAVY_EVENTS, 1000, () => HEAVY_CUSTOMER);
  await events.close();
  const masterKey = randomBytes(32).toString('base64');
  await inProcess(directory, masterKey);
  const start = (readWorkers?: string) =>
    LedgerProcess.start({
      DATA_DIR: directory,
      PORT: 30000 + Math.floor(Math.random() * 10000),
      LEDGER_MASTER_KEY: masterKey,
      ...(readWorkers !== undefined && { more: { LEDGER_READ_WORKERS: readWorkers } }),
    });
  let service = await start();
  try {
    await projected(service);
    // The read worker is ready about a second after the service.
    await sleep(2_000);
    console.log(
      `heavy reads against a customer with ${HEAVY_EVENTS.toLocaleString('en-US')} events, ${SECONDS} s each; load average ${loadavg()
        .map((load) => load.toFixed(2))
        .join(' ')}\n`,
    );
    const pad = (text: string, width: number) => text.padEnd(width);
    console.log(
      pad('heavy read', 22) +
        pad('reads', 7) +
        pad('ms each', 9) +
        pad('MiB each', 10) +
        pad('/health p50/p99/max ms', 26) +
        pad('append p50/p99 ms', 20) +
        'event loop delay p99/max ms',
    );
    const results: [string, Figures][] = [];
    const runs: [string, string][] = [
      ...Object.entries(HEAVY_READS),
      [IN_THREAD, HEAVY_READS['rep profile, 4 in flight']!],
    ];
    for (const [name, path] of runs) {
      if (name === IN_THREAD) {
        await service.kill('SIGTERM');
        service = await start('0');
        await projected(service);
      }
      const figures = await measure(service, path, name === IN_THREAD ? 4 : IN_FLIGHT[name]);
      results.push([name, figures]);
      const each = (total: number) => (figures.heavyReads ? total / figures.heavyReads : 0);
      const { health, appends } = figures;
      console.log(
        pad(name, 22) +
          pad(String(figures.heavyReads), 7) +
          pad(each(figures.heavyMs).toFixed(0), 9) +
          pad((each(figures.heavyBytes) / 1048576).toFixed(1), 10) +
          pad(
            `${percentile([...health], 50).toFixed(1)} / ${percentile([...health], 99).toFixed(1)} / ${health[health.length - 1]!.toFixed(1)}`,
            26,
          ) +
          pad(`${percentile([...appends], 50).toFixed(1)} / ${percentile([...appends], 99).toFixed(1)}`, 20) +
          `${figures.loopDelay.p99.toFixed(1)} / ${figures.loopDelay.max.toFixed(1)}`,
      );
    }
    const baselineP99 = percentile([...results[0]![1].appends], 99);
    console.log('\ntargets (issue #22):');
    for (const [name, { health, appends, loopDelay }] of results.slice(1)) {
      const longest = health[health.length - 1]!;
      console.log(
        `  [${loopDelay.max < 100 ? 'met' : 'MISSED'}] ${name}: the service's event loop never held over 100 ms (longest delay ${loopDelay.max.toFixed(1)} ms)`,
      );
      const p99 = percentile([...appends], 99);
      console.log(
        `  [${longest < 100 ? 'met' : 'MISSED'}] ${name}: /health longest under 100 ms (${longest.toFixed(1)} ms)`,
      );
      console.log(
        `  [${p99 <= 1.5 * baselineP99 + 2 ? 'met' : 'MISSED'}] ${name}: append p99 within noise of the baseline (${p99.toFixed(1)} vs ${baselineP99.toFixed(1)} ms)`,
      );
    }
    console.log(
      `\nload average after: ${loadavg()
        .map((load) => load.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    await service.kill('SIGTERM');
    rmSync(directory, { recursive: true, force: true });
  }
}

void main();
