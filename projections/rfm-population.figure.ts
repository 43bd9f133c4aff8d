import { latestConsentGiven } from './consent';
import { addCounters, Counters, FigureBucket, PopulationFigure } from './population-figure';
import { PurchaseHistory } from './purchase-history.projection';
import { fmScore, Quintile, rfmCurrency, RfmMeasures, RfmScore, segmentOf } from './rfm-scoring';

/**
 * The RFM population kept month by month, so that one customer's segment (now, and at each month end of the
 * "since when" walk) is ranked against a few dozen small buckets instead of every purchase history.
 *
 * A bucket per month (UTC, `YYYY-MM`) holds how the population's three histograms changed during that month:
 * `customers` (buyers counted), `r:<day>` (customers whose last purchase was on that day, days since
 * 1970-01-01), `f:<purchases>` and `m:<currency>:<spend bucket>` (net spend in the customer's principal
 * currency, see rfmCurrency: spends in different currencies are never ranked against each other). The population at the end of a month is the
 * sum of the buckets up to it; each customer adds its state at the end of a month and takes away its state at
 * the end of the previous one, so the buckets stay as small as the changes.
 *
 * Resolution (the documented error bound, docs/segments.md): recency is ranked by day and frequency exactly;
 * net spend is ranked by buckets 1% wide (SPEND_BUCKET_RATIO), so a customer's monetary score can differ from
 * the exact one only when their spend lies within 1% of a quintile boundary. The analyst's RFM report and
 * member lists rank exactly (rfmAsOf); this figure serves the per-customer reads that must not scan.
 * Customers whose analytics consent is withdrawn (their latest choice) are left out, as rfmAsOf leaves them
 * out of the population.
 */
export const rfmPopulationFigure: PopulationFigure<PurchaseHistory> = {
  name: 'rfm-population',
  contributions(history) {
    const buckets = new Map<string, Counters>();
    if (!latestConsentGiven(history.consents, 'analytics')) return buckets;
    const changes = [
      ...history.purchases.map((purchase) => ({ ...purchase, sign: 1, purchase: true })),
      ...history.refunds.map((refund) => ({ ...refund, sign: -1, purchase: false })),
    ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    let frequency = 0;
    let lastPurchaseAt: string | undefined;
    const spend = new Map<string, number>();
    const purchasesByCurrency: Record<string, number> = {};
    let previous: Counters = {};
    for (let index = 0; index < changes.length;) {
      const month = monthOf(changes[index]!.at);
      for (; index < changes.length && monthOf(changes[index]!.at) === month; index++) {
        const change = changes[index]!;
        const { currency, amountMinor } = change.amount;
        spend.set(currency, (spend.get(currency) ?? 0) + change.sign * amountMinor);
        if (!change.purchase) continue;
        frequency++;
        purchasesByCurrency[currency] = (purchasesByCurrency[currency] ?? 0) + 1;
        if (lastPurchaseAt === undefined || change.at > lastPurchaseAt) lastPurchaseAt = change.at;
      }
      const currency = rfmCurrency(purchasesByCurrency);
      const state: Counters =
        lastPurchaseAt === undefined
          ? {}
          : stateCounters(lastPurchaseAt, frequency, currency, spend.get(currency) ?? 0);
      const delta = difference(state, previous);
      if (Object.keys(delta).length > 0) buckets.set(month, delta);
      previous = state;
    }
    return buckets;
  },
};

/** Net spend is ranked in buckets this much apart (relative): 1%. */
export const SPEND_BUCKET_RATIO = 1.01;

const monthOf = (instant: string) => instant.slice(0, 7);
const dayOf = (instant: string) => Math.floor(Date.parse(instant) / 86_400_000);

/** An order-preserving bucket of net spend in minor units: 0 for 0, +-(1 + floor(log_1.01 |spend|)). */
export function spendBucket(minor: number): number {
  if (minor === 0) return 0;
  const magnitude = 1 + Math.floor(Math.log(Math.abs(minor)) / Math.log(SPEND_BUCKET_RATIO));
  return minor > 0 ? magnitude : -magnitude;
}

function stateCounters(
  lastPurchaseAt: string,
  frequency: number,
  currency: string,
  spendMinor: number,
): Counters {
  return {
    customers: 1,
    [`r:${dayOf(lastPurchaseAt)}`]: 1,
    [`f:${frequency}`]: 1,
    [`m:${currency}:${spendBucket(spendMinor)}`]: 1,
  };
}

function difference(after: Counters, before: Counters): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const name of new Set([...Object.keys(after), ...Object.keys(before)])) {
    const change = (after[name] ?? 0) - (before[name] ?? 0);
    if (change !== 0) delta[name] = change;
  }
  return delta;
}

/** A counter of the figure read as what it counts: a dimension, a value and, for spend, its currency. */
interface CounterKey {
  readonly dimension: 'customers' | 'r' | 'f' | 'm';
  readonly value: number;
  readonly currency?: string;
}

function parseCounter(name: string): CounterKey {
  const [dimension, first, second] = name.split(':');
  if (dimension === 'm') return { dimension, currency: first!, value: Number(second) };
  if (dimension === 'r' || dimension === 'f') return { dimension, value: Number(first) };
  return { dimension: 'customers', value: 0 };
}

/**
 * The population at one instant: ranks one customer's measures (see rfmScore) by counting, in one pass over
 * the counters, how many customers lie strictly below the customer on each measure (a rep asks one customer:
 * counting is cheaper than sorting).
 */
export class RfmPopulationSketch {
  constructor(
    private readonly counters: ReadonlyMap<string, number>,
    private readonly keyOf: (name: string) => CounterKey,
  ) {}

  get size(): number {
    return this.counters.get('customers') ?? 0;
  }

  /** A customer's scores and segment; `counted` says whether the customer is one of the population. */
  score(measures: RfmMeasures, counted: boolean): RfmScore {
    const own = {
      r: dayOf(measures.lastPurchaseAt),
      f: measures.frequency,
      m: spendBucket(measures.monetaryMinor),
    };
    const below = { r: 0, f: 0, m: 0 };
    let spenders = 0;
    for (const [name, count] of this.counters) {
      const key = this.keyOf(name);
      if (key.dimension === 'customers') continue;
      if (key.dimension === 'm') {
        // Spend ranks among the customers of the same principal currency only.
        if (key.currency !== measures.monetaryCurrency) continue;
        spenders += count;
      }
      if (key.value < own[key.dimension]) below[key.dimension] += count;
    }
    const quintile = (lower: number, size: number) =>
      Math.min(5, 1 + Math.floor((5 * lower) / Math.max(1, size + (counted ? 0 : 1)))) as Quintile;
    const recency = quintile(below.r, this.size);
    const frequency = quintile(below.f, this.size);
    const monetary = quintile(below.m, spenders);
    const fm = fmScore(frequency, monetary);
    return { segment: segmentOf(recency, fm), recency, frequency, monetary, fm, measures };
  }
}

/**
 * The populations of the RFM figure going back in time: first as of an instant, then at each month end
 * before it, newest first (what segmentSince asks). The sum of every bucket up to the instant's month is made
 * once; each step back takes one month's bucket away.
 */
export class RfmPopulationWalk {
  private readonly months: FigureBucket[];
  private readonly total = new Map<string, number>();
  /** Months after this one have been taken away from `total`. */
  private through: string;
  private sketch: RfmPopulationSketch | undefined;
  /** Each counter's name parsed once for the whole walk. */
  private readonly keys = new Map<string, CounterKey>();
  private readonly keyOf = (name: string): CounterKey => {
    let key = this.keys.get(name);
    if (!key) this.keys.set(name, (key = parseCounter(name)));
    return key;
  };

  constructor(buckets: readonly FigureBucket[], asOf: string) {
    this.through = monthOf(asOf);
    this.months = [...buckets].sort((a, b) => (a.bucket < b.bucket ? 1 : -1));
    for (const { bucket, counters } of this.months)
      if (bucket <= this.through) addCounters(this.total, counters);
  }

  /** The population at `instant`, which must not lie after the previous instant asked. */
  at(instant: string): RfmPopulationSketch {
    const month = monthOf(instant);
    if (month > this.through) throw new Error(`the walk is past ${instant}: ask instants newest first`);
    for (const { bucket, counters } of this.months) {
      if (bucket > this.through) continue;
      if (bucket <= month) break;
      addCounters(this.total, counters, -1);
      this.sketch = undefined;
    }
    this.through = month;
    // A snapshot of the counters as they stand at this month end (the walk goes on changing `total`); months
    // without a change leave the population as it was, so most steps of a long walk cost nothing.
    this.sketch ??= new RfmPopulationSketch(new Map(this.total), this.keyOf);
    return this.sketch;
  }
}
