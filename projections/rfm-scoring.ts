import { principalCurrency } from '../src/domain/money';

import { consentGiven, withdrawnSince } from './consent';
import { daysBetween } from './projection';
import { PurchaseHistory } from './purchase-history.projection';

/** A quintile score: 1 (the lowest fifth of the customers in scope) to 5 (the highest fifth). */
export type Quintile = 1 | 2 | 3 | 4 | 5;

export const RFM_SEGMENTS = [
  'champions',
  'loyal',
  'potential-loyalist',
  'new',
  'promising',
  'needs-attention',
  'about-to-sleep',
  'cannot-lose',
  'at-risk',
  'hibernating',
  'lost',
] as const;
export type RfmSegment = (typeof RFM_SEGMENTS)[number];

/**
 * THE segment map, the one place segments are defined: a row per recency score R (5 = bought most recently),
 * a column per FM score (1..5, the mean of the frequency and monetary scores rounded half up). It follows the
 * usual RFM segment map (R against frequency) with "lost" split from "hibernating" at R = 1; every one of the
 * 25 cells names exactly one segment. docs/segments.md shows it, and a test holds the two together.
 */
export const RFM_SEGMENT_MAP: Readonly<
  Record<Quintile, readonly [RfmSegment, RfmSegment, RfmSegment, RfmSegment, RfmSegment]>
> = {
  //   FM:  1                 2                     3                     4              5
  5: ['new', 'potential-loyalist', 'potential-loyalist', 'champions', 'champions'],
  4: ['promising', 'potential-loyalist', 'potential-loyalist', 'loyal', 'loyal'],
  3: ['about-to-sleep', 'about-to-sleep', 'needs-attention', 'loyal', 'loyal'],
  2: ['hibernating', 'hibernating', 'at-risk', 'at-risk', 'cannot-lose'],
  1: ['lost', 'lost', 'at-risk', 'at-risk', 'cannot-lose'],
};

/** What each segment means, for the dashboard and the docs. */
export const RFM_SEGMENT_MEANINGS: Readonly<Record<RfmSegment, string>> = {
  champions: 'bought recently, buy often and spend the most',
  loyal: 'buy often and spend well, fairly recently',
  'potential-loyalist': 'recent customers with average frequency and spend',
  new: 'bought very recently, for the first time or little so far',
  promising: 'recent, little frequency and spend yet',
  'needs-attention': 'average recency, frequency and spend',
  'about-to-sleep': 'below-average recency, low frequency and spend',
  'cannot-lose': 'used to buy often and spend the most, not for a long time',
  'at-risk': 'spent well and bought often, but long ago',
  hibernating: 'last bought long ago, low frequency and spend',
  lost: 'the lowest recency, frequency and spend',
};

export function isRfmSegment(value: string): value is RfmSegment {
  return (RFM_SEGMENTS as readonly string[]).includes(value);
}

/** The segment of an R score and an FM score, read from the map. */
export function segmentOf(recency: Quintile, fm: Quintile): RfmSegment {
  return RFM_SEGMENT_MAP[recency][fm - 1]!;
}

/** The FM score: the mean of the frequency and monetary scores, rounded half up. */
export function fmScore(frequency: Quintile, monetary: Quintile): Quintile {
  return Math.floor((frequency + monetary + 1) / 2) as Quintile;
}

/** A customer's raw RFM measures as of an instant; only facts that occurred at or before it count. */
export interface RfmMeasures {
  readonly customerId: string;
  readonly lastPurchaseAt: string;
  readonly firstPurchaseAt: string;
  /** Days from the last purchase to the instant asked. */
  readonly recencyDays: number;
  /** Completed purchases (any currency). */
  readonly frequency: number;
  /**
   * Net spend in minor units of the customer's principal currency (the one most of their purchases were in,
   * the ledger currency on a tie): purchases minus refunds, may be negative. Monetary scores rank customers
   * among those with the same principal currency: amounts in different currencies are never compared.
   */
  readonly monetaryMinor: number;
  readonly monetaryCurrency: string;
}

/**
 * The customer's RFM measures as of `asOf` over the whole history up to it (lifetime frequency and net spend,
 * recency from the last purchase), or undefined when the customer had not bought anything yet (no segment).
 */
export function rfmMeasures(history: PurchaseHistory, asOf: string): RfmMeasures | undefined {
  let first: string | undefined;
  let last: string | undefined;
  let frequency = 0;
  const purchasesByCurrency: Record<string, number> = {};
  const spend = new Map<string, number>();
  const add = (currency: string, minor: number) => spend.set(currency, (spend.get(currency) ?? 0) + minor);
  for (const purchase of history.purchases) {
    if (purchase.at > asOf) continue;
    frequency++;
    if (first === undefined || purchase.at < first) first = purchase.at;
    if (last === undefined || purchase.at > last) last = purchase.at;
    const { currency, amountMinor } = purchase.amount;
    purchasesByCurrency[currency] = (purchasesByCurrency[currency] ?? 0) + 1;
    add(currency, amountMinor);
  }
  if (last === undefined || first === undefined) return undefined;
  for (const refund of history.refunds) {
    if (refund.at <= asOf) add(refund.amount.currency, -refund.amount.amountMinor);
  }
  const monetaryCurrency = rfmCurrency(purchasesByCurrency);
  return {
    customerId: history.customerId,
    lastPurchaseAt: last,
    firstPurchaseAt: first,
    recencyDays: daysBetween(last, asOf),
    frequency,
    monetaryMinor: spend.get(monetaryCurrency) ?? 0,
    monetaryCurrency,
  };
}

/**
 * The currency a customer's monetary score is in: the one most of their purchases were in, the first by code
 * on a tie (a rule of the data alone, so the maintained RFM figure and the exact report agree whatever
 * LEDGER_CURRENCY says).
 */
export function rfmCurrency(purchasesByCurrency: Readonly<Record<string, number>>): string {
  return principalCurrency(purchasesByCurrency, '');
}

/**
 * The customers in scope as of an instant, their measures sorted per dimension: what a quintile is relative
 * to. Recency is ranked by the instant of the last purchase (later is better), which is the same order as
 * fewer days since it.
 */
export interface RfmPopulation {
  readonly asOf: string;
  readonly size: number;
  readonly lastPurchaseTimes: readonly number[];
  readonly frequencies: readonly number[];
  /** Net spends by principal currency: a customer's monetary score ranks among their currency's. */
  readonly monetaryMinors: ReadonlyMap<string, readonly number[]>;
}

export function rfmPopulation(measures: readonly RfmMeasures[], asOf: string): RfmPopulation {
  const ascending = (values: number[]) => values.sort((a, b) => a - b);
  return {
    asOf,
    size: measures.length,
    lastPurchaseTimes: ascending(measures.map((m) => Date.parse(m.lastPurchaseAt))),
    frequencies: ascending(measures.map((m) => m.frequency)),
    monetaryMinors: new Map(
      [...new Set(measures.map((m) => m.monetaryCurrency))].map((currency) => [
        currency,
        ascending(measures.filter((m) => m.monetaryCurrency === currency).map((m) => m.monetaryMinor)),
      ]),
    ),
  };
}

/**
 * The quintile of `value` among the sorted population: 1 + floor(5 x the share of the population with a
 * strictly lower value). Customers with equal values always share a score, and the lowest value scores 1
 * however common it is (one-time buyers are F = 1 even when they are half of the customers); with fewer than
 * five distinct values some scores stay empty. `counted` says whether the value is one of the population's;
 * when it is not (a customer left out of the population), it is ranked as if it were added.
 */
export function quintileOf(sorted: readonly number[], value: number, counted = true): Quintile {
  const below = lowerBound(sorted, value);
  const size = sorted.length + (counted ? 0 : 1);
  if (size === 0) return 1;
  return Math.min(5, 1 + Math.floor((5 * below) / size)) as Quintile;
}

/** The first index whose value is >= value. */
function lowerBound(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const probe = sorted[middle]!;
    if (probe < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

export interface RfmScore {
  readonly segment: RfmSegment;
  readonly recency: Quintile;
  readonly frequency: Quintile;
  readonly monetary: Quintile;
  readonly fm: Quintile;
  readonly measures: RfmMeasures;
}

/** A customer's scores and segment against a population (see quintileOf for `counted`). */
export function rfmScore(measures: RfmMeasures, population: RfmPopulation, counted = true): RfmScore {
  const recency = quintileOf(population.lastPurchaseTimes, Date.parse(measures.lastPurchaseAt), counted);
  const frequency = quintileOf(population.frequencies, measures.frequency, counted);
  const monetary = quintileOf(
    population.monetaryMinors.get(measures.monetaryCurrency) ?? [],
    measures.monetaryMinor,
    counted,
  );
  const fm = fmScore(frequency, monetary);
  return { segment: segmentOf(recency, fm), recency, frequency, monetary, fm, measures };
}

export interface RfmContext {
  readonly ledgerCurrency: string;
  /** When the processing happens: a customer whose analytics consent is withdrawn then is left out. */
  readonly now: string;
}

/** Only the population as of `asOf` (see rfmAsOf in reports/rfm.ts): what one customer's segment is ranked against. */
export function rfmPopulationAsOf(
  histories: Iterable<PurchaseHistory>,
  asOf: string,
  context: RfmContext,
): RfmPopulation {
  const measures: RfmMeasures[] = [];
  for (const history of histories) {
    const measured = rfmMeasures(history, asOf);
    if (measured && consentGiven(history.consents, 'analytics', context.now)) measures.push(measured);
  }
  return rfmPopulation(measures, asOf);
}

/** Why a customer has no segment as of an instant. */
export interface WithheldSegment {
  readonly name: null;
  readonly asOf: string;
  readonly reason: string;
  readonly withheld?: { readonly purpose: 'profiling'; readonly since: string };
}

/**
 * One customer's segment as of `asOf` against a population; a customer outside it (no analytics consent) is
 * ranked as if added. No segment before the first purchase or while profiling consent is withdrawn.
 */
export function customerSegmentAsOf(
  history: PurchaseHistory | null,
  population: RfmPopulation,
  asOf: string,
  context: RfmContext,
): RfmScore | WithheldSegment {
  return customerSegmentScoredBy(
    history,
    (measures, counted) => rfmScore(measures, population, counted),
    asOf,
    context,
    (instant) => (history ? rfmMeasures(history, instant) : undefined),
  );
}

/** Ranks a customer's measures; `counted` says whether the customer is one of the population. */
export type RfmScorer = (measures: RfmMeasures, counted: boolean) => RfmScore;

/**
 * customerSegmentAsOf with any way of ranking (the exact population, or the maintained figure) and of
 * measuring (the purchase history, or the customer's month totals); `history` gives the consent choices.
 */
export function customerSegmentScoredBy(
  history: Pick<PurchaseHistory, 'consents'> | null,
  score: RfmScorer,
  asOf: string,
  context: RfmContext,
  measuresAt: (instant: string) => RfmMeasures | undefined,
): RfmScore | WithheldSegment {
  const since = withdrawnSince(history?.consents, 'profiling', asOf);
  if (since !== undefined) {
    return {
      name: null,
      asOf,
      reason: `the customer withdrew consent to profiling on ${since}: no segment is computed`,
      withheld: { purpose: 'profiling', since },
    };
  }
  const measures = measuresAt(asOf);
  if (!measures) return { name: null, asOf, reason: 'no purchase yet: segments need one' };
  return score(measures, consentGiven(history?.consents, 'analytics', context.now));
}

/**
 * rfmMeasures at any instant, from the history sorted once: each instant costs a few binary searches instead
 * of a pass over every purchase (what a walk over many month ends of a customer with many purchases needs).
 */
export function rfmMeasuresOverTime(history: PurchaseHistory): (asOf: string) => RfmMeasures | undefined {
  const byTime = <T extends { at: string }>(facts: readonly T[]) =>
    [...facts].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const purchases = byTime(history.purchases);
  const refunds = byTime(history.refunds);
  const currencies = [...new Set(purchases.map((purchase) => purchase.amount.currency))];
  /** Running totals per currency after the first i facts: purchase counts, and spend net of refunds. */
  const running = <T extends { amount: { currency: string; amountMinor: number } }>(
    facts: readonly T[],
    add: (fact: T) => number,
  ) =>
    new Map(
      currencies.map((currency) => {
        const totals = [0];
        for (const fact of facts) {
          totals.push(totals[totals.length - 1]! + (fact.amount.currency === currency ? add(fact) : 0));
        }
        return [currency, totals] as const;
      }),
    );
  const counts = running(purchases, () => 1);
  const spent = running(purchases, (purchase) => purchase.amount.amountMinor);
  const refunded = running(refunds, (refund) => refund.amount.amountMinor);
  const upTo = (facts: readonly { at: string }[], asOf: string) => {
    let low = 0;
    let high = facts.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (facts[middle]!.at <= asOf) low = middle + 1;
      else high = middle;
    }
    return low;
  };
  return (asOf) => {
    const bought = upTo(purchases, asOf);
    if (bought === 0) return undefined;
    const returned = upTo(refunds, asOf);
    const monetaryCurrency = rfmCurrency(
      Object.fromEntries(currencies.map((currency) => [currency, counts.get(currency)![bought]!])),
    );
    const lastPurchaseAt = purchases[bought - 1]!.at;
    return {
      customerId: history.customerId,
      lastPurchaseAt,
      firstPurchaseAt: purchases[0]!.at,
      recencyDays: daysBetween(lastPurchaseAt, asOf),
      frequency: bought,
      monetaryMinor: spent.get(monetaryCurrency)![bought]! - refunded.get(monetaryCurrency)![returned]!,
      monetaryCurrency,
    };
  };
}

export function isWithheldSegment(value: RfmScore | WithheldSegment): value is WithheldSegment {
  return 'reason' in value;
}

/** The last instant of each month before the one `asOf` lies in, newest first (UTC). */
export function* monthEndsBefore(asOf: string): Generator<string> {
  const at = new Date(asOf);
  for (let monthStart = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1); ;) {
    yield new Date(monthStart - 1).toISOString();
    const previous = new Date(monthStart - 1);
    monthStart = Date.UTC(previous.getUTCFullYear(), previous.getUTCMonth(), 1);
  }
}

/**
 * How far back the month-by-month walk of segmentSince looks at most: 50 years, so in practice back to the
 * first purchase. Each month end costs one bucket of the RFM population figure (rfm-population.figure.ts).
 */
export const SEGMENT_SINCE_MONTHS = 600;

/** Since when a customer has been in their segment; `searchLimitReached` when the walk stopped at its limit. */
export interface SegmentSince {
  readonly since: string;
  /** Present when the walk looked back SEGMENT_SINCE_MONTHS month ends and found no change: in it at least since. */
  readonly searchLimitReached?: true;
}

/**
 * Since when a customer has been continuously in the segment they are in as of `asOf`, to a month's
 * resolution: the segment is evaluated at each month end going back (each against its own population) until
 * one differs, or until the month end lies before the first purchase. The customer entered the segment after
 * that month end: `since` is the first instant of the following month, or the first purchase when that is
 * later (a customer cannot be in a segment before buying). Changes between two month ends that were undone
 * by the next month end are not seen. The walk stops after `limit` month ends: `since` is then the earliest month end checked, and `searchLimitReached` says so.
 */
export function segmentSince(
  segment: RfmSegment,
  asOf: string,
  firstPurchaseAt: string,
  segmentAt: (instant: string) => RfmSegment | null,
  limit = SEGMENT_SINCE_MONTHS,
): SegmentSince {
  let checked = 0;
  let earliestChecked = asOf;
  for (const monthEnd of monthEndsBefore(asOf)) {
    if (monthEnd < firstPurchaseAt) return { since: firstPurchaseAt };
    if (checked === limit) return { since: earliestChecked, searchLimitReached: true };
    if (segmentAt(monthEnd) !== segment) return { since: new Date(Date.parse(monthEnd) + 1).toISOString() };
    checked++;
    earliestChecked = monthEnd;
  }
  return { since: firstPurchaseAt };
}
