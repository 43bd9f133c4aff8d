import { toDecimal } from '../src/domain/money';
import { consentGiven } from '../projections/consent';
import { countAcross, dayOf, firstDayOf, monthOf } from '../projections/period-figures';
import { Counters, FigureBucket } from '../projections/population-figure';
import { PurchaseHistory } from '../projections/purchase-history.projection';
import { cohortContributions } from '../projections/purchase-cohort.figure';

export { monthOf };

/** Calendar months from month `a` to month `b` (`YYYY-MM`). */
export function monthsBetween(a: string, b: string): number {
  return (Number(b.slice(0, 4)) - Number(a.slice(0, 4))) * 12 + Number(b.slice(5, 7)) - Number(a.slice(5, 7));
}

export interface Cohort {
  /** The month of the customers' first purchase. */
  readonly cohort: string;
  readonly customers: number;
  /** Net revenue of the cohort's customers up to the instant asked: purchases minus refunds, ledger currency. */
  readonly revenue: { readonly amount: number; readonly currency: string };
  /**
   * For each later month up to the latest month in which any included customer bought (at most the month
   * asked about): how many of the cohort's customers bought in that month
   * (offset 1 is the month after the first purchase), and their share of the cohort.
   */
  readonly retention: readonly {
    readonly month: string;
    readonly offset: number;
    readonly customers: number;
    readonly share: number;
  }[];
}

export interface CohortReport {
  readonly asOf: string;
  readonly firstPurchaseFrom?: string;
  readonly firstPurchaseTo?: string;
  readonly ledgerCurrency: string;
  readonly customers: number;
  readonly cohorts: readonly Cohort[];
  readonly leftOutWithoutConsent: { readonly analytics: number };
}

export interface CohortQuery {
  /** Only customers whose first purchase lies in [from, to] (ISO instants, both optional). */
  readonly from?: string;
  readonly to?: string;
  /** Facts after this instant do not count; the retention matrix ends with its month. */
  readonly asOf: string;
  readonly ledgerCurrency: string;
  /** The processing instant: customers whose analytics consent is withdrawn then are left out. */
  readonly now: string;
}

/**
 * Purchase cohorts: customers grouped by the month of their first purchase, the share of each cohort that
 * bought again in each later month (the retention matrix) and each cohort's net revenue.
 */
export function cohortReport(histories: Iterable<PurchaseHistory>, query: CohortQuery): CohortReport {
  const cohorts = new Map<string, CohortCounts>();
  let withoutConsent = 0;
  const inCurrency = (amount: { currency: string; amountMinor: number }) =>
    amount.currency === query.ledgerCurrency ? amount.amountMinor : 0;
  for (const history of histories) {
    const purchases = history.purchases.filter((purchase) => purchase.at <= query.asOf);
    if (purchases.length === 0) continue;
    const first = purchases.reduce((earliest, p) => (p.at < earliest ? p.at : earliest), purchases[0]!.at);
    if ((query.from && first < query.from) || (query.to && first > query.to)) continue;
    if (!consentGiven(history.consents, 'analytics', query.now)) {
      withoutConsent++;
      continue;
    }
    const cohort = cohortCountsOf(cohorts, monthOf(first));
    cohort.customers++;
    cohort.revenueMinor +=
      purchases.reduce((sum, p) => sum + inCurrency(p.amount), 0) -
      history.refunds.filter((r) => r.at <= query.asOf).reduce((sum, r) => sum + inCurrency(r.amount), 0);
    for (const month of new Set(purchases.map((purchase) => monthOf(purchase.at))))
      cohort.buyers.set(month, (cohort.buyers.get(month) ?? 0) + 1);
  }
  return cohortAnswer(cohorts, withoutConsent, query);
}

/** What the report tells of one cohort: its customers, their net revenue and how many bought in each month. */
interface CohortCounts {
  customers: number;
  revenueMinor: number;
  /** Customers of the cohort who bought in a month (`YYYY-MM`), the month of their first purchase included. */
  readonly buyers: Map<string, number>;
}

function cohortCountsOf(cohorts: Map<string, CohortCounts>, month: string): CohortCounts {
  let cohort = cohorts.get(month);
  if (!cohort) cohorts.set(month, (cohort = { customers: 0, revenueMinor: 0, buyers: new Map() }));
  return cohort;
}

/**
 * The cohort report from each cohort's counts (by the month of first purchase), as both the report over every
 * history and the report from the figure answer it. The retention matrix ends with the latest month anyone
 * included bought in (at most asOf's): months after it would be empty columns on historical data.
 */
function cohortAnswer(
  counts: ReadonlyMap<string, CohortCounts>,
  withoutConsent: number,
  query: CohortQuery,
): CohortReport {
  const included = [...counts.entries()]
    .filter(([, cohort]) => cohort.customers > 0)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  let latestMonth: string | undefined;
  for (const [, cohort] of included)
    for (const [month, buyers] of cohort.buyers)
      if (buyers > 0 && (latestMonth === undefined || month > latestMonth)) latestMonth = month;
  return {
    asOf: query.asOf,
    ...(query.from && { firstPurchaseFrom: query.from }),
    ...(query.to && { firstPurchaseTo: query.to }),
    ledgerCurrency: query.ledgerCurrency,
    customers: included.reduce((sum, [, cohort]) => sum + cohort.customers, 0),
    cohorts: included.map(([cohortMonth, cohort]) => ({
      cohort: cohortMonth,
      customers: cohort.customers,
      revenue: {
        amount: toDecimal({ amountMinor: cohort.revenueMinor, currency: query.ledgerCurrency }),
        currency: query.ledgerCurrency,
      },
      retention: Array.from({ length: monthsBetween(cohortMonth, latestMonth!) }, (_, index) => {
        const month = addMonths(cohortMonth, index + 1);
        const buyers = cohort.buyers.get(month) ?? 0;
        return { month, offset: index + 1, customers: buyers, share: buyers / cohort.customers };
      }),
    })),
    leftOutWithoutConsent: { analytics: withoutConsent },
  };
}

function addMonths(month: string, months: number): string {
  const index = Number(month.slice(0, 4)) * 12 + Number(month.slice(5, 7)) - 1 + months;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** The days a cohort question cuts in two: those of `from`, of the end of the first-purchase range and of `asOf`. */
export function cohortCutDays(query: CohortQuery): string[] {
  const end = query.to !== undefined && query.to < query.asOf ? query.to : query.asOf;
  return [...new Set([query.from, end, query.asOf].filter((at) => at !== undefined).map(dayOf))];
}

/**
 * The cohort report from the cohort figure (purchaseCohortFigures): the buckets that cover the cut days (see
 * periodCover) and the purchase histories with a fact on a cut day (purchaseDaysFigure), which are counted
 * exactly. The same answer as cohortReport over every history, but for consent, which is the customers' latest
 * choice (as every kept figure counts it) rather than the choice in force at `now`.
 */
export function cohortReportOfFigure(
  buckets: Iterable<FigureBucket>,
  cutHistories: Iterable<PurchaseHistory>,
  query: CohortQuery,
): CohortReport {
  const end = dayOf(query.to !== undefined && query.to < query.asOf ? query.to : query.asOf);
  const from = query.from === undefined ? undefined : dayOf(query.from);
  const asOf = dayOf(query.asOf);
  const total = countAcross(
    buckets,
    cutHistories,
    (history) => cohortContributions(history),
    (period, counters) => {
      const firstDay = firstDayOf(period);
      return (from !== undefined && firstDay < from) || firstDay > end
        ? {}
        : cohortCounted(period.slice(0, 7), counters, asOf);
    },
    (history) => {
      const counted: Record<string, number> = {};
      const window = { from: query.from, to: query.to, asOf: query.asOf };
      for (const [day, counters] of cohortContributions(history, window))
        for (const [name, count] of Object.entries(cohortCounted(day.slice(0, 7), counters, '9999-12-31')))
          counted[name] = (counted[name] ?? 0) + count;
      return counted;
    },
  );
  return cohortReportOfCounted(total, query);
}

/** A cohort bucket's counters as the report counts them, facts up to `asOfDay`: `<cohort>|customers` etc. */
function cohortCounted(cohort: string, counters: Counters, asOfDay: string): Counters {
  const counted: Record<string, number> = {};
  const add = (name: string, count: number) => (counted[name] = (counted[name] ?? 0) + count);
  for (const [name, count] of Object.entries(counters)) {
    const [measure, day] = name.split('@');
    if (day === undefined) add(measure === 'withoutConsent' ? measure : `${cohort}|${measure}`, count);
    else if (day <= asOfDay)
      add(measure === 'r' ? `${cohort}|r:${day.slice(0, 7)}` : `${cohort}|${measure}`, count);
  }
  return counted;
}

function cohortReportOfCounted(total: ReadonlyMap<string, number>, query: CohortQuery): CohortReport {
  const cohorts = new Map<string, CohortCounts>();
  for (const [name, count] of total) {
    const [cohortMonth, measure] = name.split('|');
    if (measure === undefined) continue;
    const cohort = cohortCountsOf(cohorts, cohortMonth!);
    if (measure === 'customers') cohort.customers += count;
    else if (measure === `v:${query.ledgerCurrency}`) cohort.revenueMinor += count;
    else if (measure.startsWith('r:')) cohort.buyers.set(measure.slice(2), count);
  }
  return cohortAnswer(cohorts, total.get('withoutConsent') ?? 0, query);
}
