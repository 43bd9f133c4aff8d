/**
 * Fit and score a synthetic customer base (issue #25, item 6): BENCH_PREDICT_CUSTOMERS (default 1,000,000)
 * purchase histories, seeded, written to a SQLite read store in commits of 10,000 (the `purchase-history`
 * read model as the projection runner leaves it), then fitted and scored through the product's own path:
 * CustomerBasePredictions.fit streams the histories in the store's batches and keeps four numbers per
 * customer; each customer is then scored with the stored models' purchase model (Pareto/NBD) over a year.
 *
 * Customers follow the Pareto/NBD story: each buys at a rate drawn from Gamma(0.6, 1/12) a week while alive,
 * lives an exponential time at a rate drawn from Gamma(0.6, 1/12) a week, first buys on a day in the first
 * year of a two-year window, and spends Gamma-distributed amounts per purchase.
 *
 *   npx tsc -p tsconfig.bench.json && node --max-old-space-size=4096 dist/bench/predictions.js
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PurchaseHistory } from '../projections/purchase-history.projection';
import { CustomerBasePredictions } from '../src/application/predictions/customer-base-predictions';
import { ProjectionEngine } from '../src/application/read-models/projection-engine';
import { createSqliteReadStore } from '../src/adapters/sqlite/sqlite-read-store';
import { LedgerConfig } from '../src/config/ledger-config';
import { seededRandom } from '../test/fixtures/seeded-random';

const CUSTOMERS = Number(process.env.BENCH_PREDICT_CUSTOMERS ?? 1_000_000);
const COLLECTION = 'purchase-history';
const START = Date.UTC(2024, 0, 1);
const DAY = 86_400_000;
const WEEK = 7 * DAY;
const AS_OF = new Date(START + 730 * DAY).toISOString();

/** Gamma(shape, scale) by Marsaglia and Tsang (shape < 1 boosted). */
function gamma(next: () => number, shape: number, scale: number): number {
  if (shape < 1) return gamma(next, shape + 1, scale) * Math.pow(next(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      // Box-Muller normal.
      x = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = next();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v * scale;
  }
}

function* histories(count: number, seed: number): Generator<PurchaseHistory> {
  const next = seededRandom(seed);
  const end = START + 730 * DAY;
  for (let i = 0; i < count; i++) {
    const rate = gamma(next, 0.6, 1 / 12) / WEEK;
    const death = gamma(next, 0.6, 1 / 12) / WEEK;
    const spend = gamma(next, 6, 3);
    let at = START + Math.floor(next() * 365) * DAY + Math.floor(next() * DAY);
    const diesAt = at - Math.log(1 - next()) / death;
    const purchases = [];
    for (let n = 0; at <= end && at <= diesAt && n < 200; n++) {
      const cents = Math.max(100, Math.round(gamma(next, 4, spend / 4) * 100));
      purchases.push({
        eventId: `e-${i}-${n}`,
        at: new Date(at).toISOString(),
        amount: { amountMinor: cents, currency: 'EUR' },
      });
      at += -Math.log(1 - next()) / rate;
    }
    yield { customerId: `c-${String(i).padStart(7, '0')}`, purchases, refunds: [], position: i + 1 };
  }
}

const mib = (bytes: number) => Math.round(bytes / 1024 / 1024);
const load = () =>
  loadavg()
    .map((figure) => figure.toFixed(2))
    .join(' ');

async function main(): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'ledger-predict-bench-'));
  const store = createSqliteReadStore(join(directory, 'read-models.sqlite'));
  try {
    await store.ensureCollection(COLLECTION, []);
    let started = performance.now();
    let batch: { id: string; doc: PurchaseHistory }[] = [];
    let purchases = 0;
    for (const history of histories(CUSTOMERS, 25)) {
      purchases += history.purchases.length;
      batch.push({ id: history.customerId, doc: history });
      if (batch.length === 10_000) {
        await store.commit([{ collection: COLLECTION, writes: batch }], {});
        batch = [];
      }
    }
    if (batch.length > 0) await store.commit([{ collection: COLLECTION, writes: batch }], {});
    console.log(
      `written: ${CUSTOMERS} customers, ${purchases} purchases in ${((performance.now() - started) / 1000).toFixed(1)} s; load ${load()}`,
    );

    const engine = { collection: (name: string) => name } as unknown as ProjectionEngine;
    const config = { ledgerCurrency: 'EUR' } as LedgerConfig;
    const predictions = new CustomerBasePredictions(store, engine, config);
    started = performance.now();
    const fitted = await predictions.fit(AS_OF, 'week');
    const fitSeconds = (performance.now() - started) / 1000;
    const { bgNbd, paretoNbd, gammaGamma } = fitted.report;
    console.log(
      `fit: ${fitted.report.customers} customers in ${fitSeconds.toFixed(1)} s; rss ${mib(process.memoryUsage().rss)} MiB; load ${load()}`,
    );
    console.log(JSON.stringify({ bgNbd, paretoNbd, gammaGamma }));

    started = performance.now();
    let scored = 0;
    let expectedValue = 0;
    for (const { forecast } of predictions.forecasts(fitted, {
      model: 'pareto-nbd',
      horizon: 52,
      annualDiscountRate: 0.1,
    })) {
      scored++;
      expectedValue += forecast.expectedValue;
    }
    const scoreSeconds = (performance.now() - started) / 1000;
    console.log(
      `score: ${scored} customers in ${scoreSeconds.toFixed(1)} s (expected value ${Math.round(expectedValue)} EUR); fit + score ${(fitSeconds + scoreSeconds).toFixed(1)} s; rss ${mib(process.memoryUsage().rss)} MiB; load ${load()}`,
    );
  } finally {
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
