import { consentGiven } from './consent';
import { addCounters, Counters, FigureBucket, PopulationFigure } from './population-figure';
import { PurchaseHistory } from './purchase-history.projection';
import { fmScore, Quintile, RfmMeasures, RfmScore, segmentOf } from './rfm-segments';

/**
 * The RFM population kept month by month, so that one customer's segment (now, and at each month end of the
 * "since when" walk) is ranked against a few dozen small buckets instead of every purchase history.
 *
 * A bucket per month (UTC, `YYYY-MM`) holds how the population's three histograms changed during that month:
 * `customers` (buyers counted), `r:<day>` (customers whose last purchase was on that day, days since
 * 1970-01-01), `f:<purchases>` and `m:<currency>:<spend bucket>`. The population at the end of a month is the
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
    if (!consentGiven(history.consents, 'analytics', LATEST)) return buckets;
    const changes = [
      ...history.purchases.map((purchase) => ({ ...purchase, sign: 1, purchase: true })),
      ...history.refunds.map((refund) => ({ ...refund, sign: -1, purchase: false })),
    ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    let frequency = 0;
    let lastPurchaseAt: string | undefined;
    const spend = new Map<string, number>();
    let previous: Counters = {};
    for (let index = 0; index < changes.length;) {
      const month = monthOf(changes[index]!.at);
      for (; index < changes.length && monthOf(changes[index]!.at) === month; index++) {
        const change = changes[index]!;
        const { currency, amountMinor } = change.amount;
        spend.set(currency, (spend.get(currency) ?? 0) + change.sign * amountMinor);
        if (!change.purchase) continue;
        frequency++;
        if (lastPurchaseAt === undefined || change.at > lastPurchaseAt) lastPurchaseAt = change.at;
      }
      const state: Counters =
        lastPurchaseAt === undefined ? {} : stateCounters(lastPurchaseAt, frequency, spend);
      const delta = difference(state, previous);
      if (Object.keys(delta).length > 0) buckets.set(month, delta);
      previous = state;
    }
    return buckets;
  },
};

/** Net spend is ranked in buckets this much apart (relative): 1%. */
export const SPEND_BUCKET_RATIO = 1.01;

/** A consent choice "now" is the latest one recorded. */
const LATEST = '9999-12-31T23:59:59.999Z';

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
  spend: ReadonlyMap<string, number>,
): Counters {
  const counters: Record<string, number> = {
    customers: 1,
    [`r:${dayOf(lastPurchaseAt)}`]: 1,
    [`f:${frequency}`]: 1,
  };
  for (const [currency, minor] of spend) counters[`m:${currency}:${spendBucket(minor)}`] = 1;
  return counters;
}

function difference(after: Counters, before: Counters): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const name of new Set([...Object.keys(after), ...Object.keys(before)])) {
    const change = (after[name] ?? 0) - (before[name] ?? 0);
    if (change !== 0) delta[name] = change;
  }
  return delta;
}

/** A histogram as ascending values with the count of each: how many lie strictly below a value. */
class Histogram {
  private readonly values: number[] = [];
  /** How many lie below values[i]; the last entry is the total. */
  private readonly cumulative: number[] = [0];

  constructor(entries: Iterable<readonly [value: number, count: number]>) {
    for (const [value, count] of [...entries].sort((a, b) => a[0] - b[0])) {
      this.values.push(value);
      this.cumulative.push(this.cumulative[this.cumulative.length - 1]! + count);
    }
  }

  below(value: number): number {
    let low = 0;
    let high = this.values.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.values[middle]! < value) low = middle + 1;
      else high = middle;
    }
    return this.cumulative[low]!;
  }
}

/** The population at one instant, as histograms: ranks one customer's measures (see rfmScore). */
export class RfmPopulationSketch {
  readonly size: number;
  private readonly recency: Histogram;
  private readonly frequency: Histogram;
  private readonly monetary: Histogram;

  constructor(counters: ReadonlyMap<string, number>, ledgerCurrency: string) {
    this.size = counters.get('customers') ?? 0;
    const recency: [number, number][] = [];
    const frequency: [number, number][] = [];
    const monetary: [number, number][] = [];
    const spendPrefix = `m:${ledgerCurrency}:`;
    let withSpend = 0;
    for (const [name, count] of counters) {
      if (name.startsWith('r:')) recency.push([Number(name.slice(2)), count]);
      else if (name.startsWith('f:')) frequency.push([Number(name.slice(2)), count]);
      else if (name.startsWith(spendPrefix)) {
        monetary.push([Number(name.slice(spendPrefix.length)), count]);
        withSpend += count;
      }
    }
    // Buyers who never paid in the ledger currency have a net spend of 0 in it.
    if (this.size > withSpend) monetary.push([0, this.size - withSpend]);
    this.recency = new Histogram(recency);
    this.frequency = new Histogram(frequency);
    this.monetary = new Histogram(monetary);
  }

  /** A customer's scores and segment; `counted` says whether the customer is one of the population. */
  score(measures: RfmMeasures, counted: boolean): RfmScore {
    const total = this.size + (counted ? 0 : 1);
    const quintile = (below: number) =>
      Math.min(5, 1 + Math.floor((5 * below) / Math.max(1, total))) as Quintile;
    const recency = quintile(this.recency.below(dayOf(measures.lastPurchaseAt)));
    const frequency = quintile(this.frequency.below(measures.frequency));
    const monetary = quintile(this.monetary.below(spendBucket(measures.monetaryMinor)));
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

  constructor(
    buckets: readonly FigureBucket[],
    asOf: string,
    private readonly ledgerCurrency: string,
  ) {
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
    // Months without a change leave the population as it was: most steps of a long walk cost nothing.
    this.sketch ??= new RfmPopulationSketch(this.total, this.ledgerCurrency);
    return this.sketch;
  }
}
