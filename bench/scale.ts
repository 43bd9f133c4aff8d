/**
 * npm run bench:scale (issue #20): a synthetic shop, seeded and sized by parameters, loaded through the
 * product's import path (the same validation and command path as the API), folded, then read as reps and
 * analysts read it: the rep's profile of buyers (segment and since when included), the timeline's first page
 * and loyalty, and every dashboard query, cold and warm, idle and while a steady background ingest posts
 * single touchpoints. The same figures are taken at a tenth of the size in the same run: per-read cost that
 * does not grow with the number of customers shows as a ratio near 1.
 *
 * BENCH_SCALE_CUSTOMERS (default 100,000) customers, about 10 events each, two years of timestamps; most
 * browse, about 20% buy, a third of the buyers buy again, some answer surveys and file complaints.
 * BENCH_SCALE_INGEST_PER_S (default 200): the background ingest's rate. Touchpoints only: registration, with
 * its per-customer key and encryption, is measured by the ingest bench. BENCH_SCALE_DATABASE_URL: PostgreSQL
 * for every port instead of the embedded files, a fresh database per size on that server (its user may
 * CREATE DATABASE), dropped afterwards.
 */
import { mkdtempSync } from 'node:fs';
import { Client } from 'pg';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CustomerLedger } from '../src/application/customers/customer-ledger';
import { PROJECTION_ENGINE, ProjectionEngine } from '../src/application/read-models/projection-engine';
import { importTouchpoints } from '../src/interfaces/cli/import-touchpoints';
import { LedgerTestApp } from '../test/support/ledger-app';
import { DASHBOARD_QUERIES, ndjsonWriter, percentile, timed } from './measure';
import { seededRandom } from '../test/fixtures/seeded-random';

const CUSTOMERS = Number(process.env.BENCH_SCALE_CUSTOMERS ?? 100_000);
const INGEST_PER_S = Number(process.env.BENCH_SCALE_INGEST_PER_S ?? 200);
const READS = Number(process.env.BENCH_SCALE_READS ?? 300);
const DATABASE_URL = process.env.BENCH_SCALE_DATABASE_URL;

/** Runs `work` on a fresh database of the BENCH_SCALE_DATABASE_URL server (its URL), dropped afterwards. */
async function onFreshDatabase<T>(work: (url: string) => Promise<T>): Promise<T> {
  const server = new Client({ connectionString: DATABASE_URL });
  await server.connect();
  const name = `ledger_scale_${Date.now()}`;
  await server.query(`CREATE DATABASE ${name}`);
  try {
    const url = new URL(DATABASE_URL!);
    url.pathname = `/${name}`;
    return await work(url.toString());
  } finally {
    await server.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await server.end();
  }
}
const START = Date.UTC(2024, 11, 1);
const DAY = 86_400_000;

interface Shop {
  readonly file: string;
  readonly events: number;
  readonly buyers: string[];
  readonly browsers: string[];
}

/** Writes the shop as NDJSON touchpoints in the API's shape. */
async function writeShop(customers: number, seed: number, directory: string): Promise<Shop> {
  const next = seededRandom(seed);
  const file = join(directory, `shop-${customers}.ndjson`);
  const out = ndjsonWriter(file);
  const buyers: string[] = [];
  const browsers: string[] = [];
  for (let index = 0; index < customers; index++) {
    const customerId = `shop-${seed}-${index}`;
    let at = START + Math.floor(next() * 700) * DAY + Math.floor(next() * DAY);
    const step = () => (at += Math.floor(next() * 20 * DAY));
    const when = () => new Date(Math.min(at, Date.now() - DAY)).toISOString();
    const touch = (type: string, data: object) => out.write({ customerId, type, occurredAt: when(), data });
    for (let n = 1 + Math.floor(next() * 8); n > 0; n--) {
      await touch('browse', { productId: `p-${Math.floor(next() * 5000)}`, category: 'garden.tools' });
      step();
    }
    const buys = next() < 0.2 ? (next() < 0.33 ? 2 + Math.floor(next() * 4) : 1) : 0;
    for (let order = 0; order < buys; order++) {
      const orderId = `${customerId}-o${order}`;
      const total = { amount: Math.floor(500 + next() * 30_000) / 100, currency: 'EUR' };
      await touch('commit', { orderId, value: total });
      await touch('purchase', { orderId, total });
      step();
    }
    if (next() < 0.05) await touch('survey', { kind: 'nps', score: Math.floor(next() * 11) });
    if (next() < 0.02) {
      const complaintId = `${customerId}-k`;
      await touch('complaint', { complaintId, category: 'delivery', severity: 'medium' });
      if (next() < 0.7) {
        step();
        await touch('complaint-resolved', { complaintId, satisfied: next() < 0.6 });
      }
    }
    (buys > 0 ? buyers : browsers).push(customerId);
  }
  await out.end();
  return { file, events: out.lines, buyers, browsers };
}

const rssMiB = () => process.memoryUsage().rss / 2 ** 20;
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

interface Figures {
  readonly profileBuyers: number[];
  readonly profileBrowsers: number[];
  readonly timeline: number[];
  readonly loyalty: number[];
  readonly dashboardCold: Map<string, number>;
  readonly dashboardWarm: Map<string, number[]>;
  readonly peakRssMiB: number;
}

async function timeOne(ledger: LedgerTestApp, url: string): Promise<number> {
  const started = process.hrtime.bigint();
  const answer = await ledger.get(url);
  if (answer.status !== 200)
    throw new Error(`${url} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

async function readFigures(ledger: LedgerTestApp, shop: Shop, seed: number): Promise<Figures> {
  const next = seededRandom(seed);
  const pick = (ids: string[]) => ids[Math.floor(next() * ids.length)]!;
  let peakRssMiB = rssMiB();
  const sample = async (count: number, url: () => string) => {
    const times: number[] = [];
    for (let n = 0; n < count; n++) {
      times.push(await timeOne(ledger, url()));
      peakRssMiB = Math.max(peakRssMiB, rssMiB());
    }
    return times;
  };
  const dashboardCold = new Map<string, number>();
  for (const url of DASHBOARD_QUERIES) dashboardCold.set(url, await timeOne(ledger, url));
  const profileBuyers = await sample(READS, () => `/v1/customers/${pick(shop.buyers)}`);
  const profileBrowsers = await sample(READS / 3, () => `/v1/customers/${pick(shop.browsers)}`);
  const timeline = await sample(READS / 3, () => `/v1/customers/${pick(shop.buyers)}/timeline?limit=20`);
  const loyalty = await sample(READS / 3, () => `/v1/customers/${pick(shop.buyers)}/loyalty`);
  const dashboardWarm = new Map<string, number[]>();
  for (const url of DASHBOARD_QUERIES) dashboardWarm.set(url, await sample(3, () => url));
  peakRssMiB = Math.max(peakRssMiB, rssMiB());
  return { profileBuyers, profileBrowsers, timeline, loyalty, dashboardCold, dashboardWarm, peakRssMiB };
}

/** Posts single touchpoints at a steady rate until stopped; returns their latencies. */
function backgroundIngest(ledger: LedgerTestApp, shop: Shop): { stop: () => Promise<number[]> } {
  const latencies: number[] = [];
  let running = true;
  let sent = 0;
  const started = Date.now();
  const loop = (async () => {
    while (running) {
      const due = started + (sent * 1000) / INGEST_PER_S;
      if (Date.now() < due) {
        await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
        continue;
      }
      const customerId = shop.buyers[sent % shop.buyers.length]!;
      sent++;
      const begun = process.hrtime.bigint();
      void ledger
        .post('/v1/touchpoints', { customerId, type: 'browse', data: { productId: `p-${sent}` } })
        .then(() => latencies.push(Number(process.hrtime.bigint() - begun) / 1e6));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return latencies;
    },
  };
}

const line = (label: string, times: readonly number[], baseline?: readonly number[]) => {
  const sorted = [...times].sort((a, b) => a - b);
  const p = (q: number) => percentile(sorted, q);
  const baselineP99 =
    baseline &&
    percentile(
      [...baseline].sort((a, b) => a - b),
      99,
    );
  const ratio = baselineP99 ? `  x${(p(99) / baselineP99).toFixed(2)} p99 vs a tenth of the size` : '';
  return `  ${label.padEnd(34)} p50 ${fmt(p(50))}  p95 ${fmt(p(95))}  p99 ${fmt(p(99))}  max ${fmt(Math.max(...times))}${ratio}`;
};

function report(title: string, figures: Figures, baseline?: Figures): void {
  console.log(`\n${title} (load average ${load()})`);
  console.log(line('profile, buyers', figures.profileBuyers, baseline?.profileBuyers));
  console.log(line('profile, no purchase', figures.profileBrowsers, baseline?.profileBrowsers));
  console.log(line('timeline first page', figures.timeline, baseline?.timeline));
  console.log(line('loyalty', figures.loyalty, baseline?.loyalty));
  for (const url of DASHBOARD_QUERIES) {
    const warm = figures.dashboardWarm.get(url)!;
    console.log(
      `  ${url.padEnd(34)} cold ${fmt(figures.dashboardCold.get(url)!)}  warm ${warm.map(fmt).join(' / ')}`,
    );
  }
  console.log(`  peak RSS of the process (service and bench in one): ${figures.peakRssMiB.toFixed(0)} MiB`);
}

interface Measured {
  readonly idle: Figures;
  readonly busy: Figures;
  readonly ingest: number[];
}

function measureAt(customers: number, seed: number): Promise<Measured> {
  return DATABASE_URL
    ? onFreshDatabase((databaseUrl) => measureOn(customers, seed, databaseUrl))
    : measureOn(customers, seed);
}

async function measureOn(customers: number, seed: number, databaseUrl?: string): Promise<Measured> {
  const directory = mkdtempSync(join(tmpdir(), 'ledger-scale-'));
  const shop = await writeShop(customers, seed, directory);
  const ledger = await LedgerTestApp.start({ dataDir: directory, databaseUrl });
  try {
    console.log(
      `\n== ${customers.toLocaleString('en-US')} customers, ${shop.events.toLocaleString('en-US')} events ==`,
    );
    const imported = await timed(() =>
      importTouchpoints({ file: shop.file, ledger: ledger.app.get(CustomerLedger), actor: 'bench' }),
    );
    console.log(
      `  import: ${imported.result.accepted.toLocaleString('en-US')} events in ${imported.seconds.toFixed(1)} s, ${(imported.result.accepted / imported.seconds).toFixed(0)} events/s`,
    );
    if (imported.result.rejected > 0) {
      console.log(
        `  ${imported.result.rejected} refused, the first: ${JSON.stringify(imported.result.firstRejections[0])}`,
      );
    }
    const folded = await timed(() => ledger.app.get<ProjectionEngine>(PROJECTION_ENGINE).caughtUp(3_600_000));
    console.log(`  projections caught up ${folded.seconds.toFixed(1)} s after the import`);
    const idle = await readFigures(ledger, shop, seed);
    const ingest = backgroundIngest(ledger, shop);
    const busy = await readFigures(ledger, shop, seed + 1);
    return { idle, busy, ingest: await ingest.stop() };
  } finally {
    await ledger.stop();
  }
}

async function main(): Promise<void> {
  console.log(
    `bench:scale on ${process.platform}, node ${process.version}, ${DATABASE_URL ? 'PostgreSQL' : 'embedded SQLite'}, load average ${load()}`,
  );
  const small = await measureAt(Math.max(1000, Math.round(CUSTOMERS / 10)), 20);
  const large = await measureAt(CUSTOMERS, 20);
  report(`a tenth of the size, idle`, small.idle);
  report(`full size, idle`, large.idle, small.idle);
  report(`full size, under a background ingest of ${INGEST_PER_S} touchpoints/s`, large.busy, small.busy);
  console.log(line(`the background ingest's writes (${large.ingest.length})`, large.ingest));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
