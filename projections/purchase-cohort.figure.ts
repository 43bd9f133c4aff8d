import { latestConsentGiven } from './consent';
import { customersByDayFigure, dayOf, monthOf, periodFigures } from './period-figures';
import { Counters } from './population-figure';
import { PurchaseHistory } from './purchase-history.projection';

/** The facts a question keeps: first purchase in [from, to], purchases and refunds up to asOf (ISO instants). */
export interface CohortWindow {
  readonly from?: string;
  readonly to?: string;
  readonly asOf: string;
}

/**
 * Purchase cohorts kept by the day and the month of each customer's first purchase (UTC), so that the cohort
 * report reads a few dozen buckets instead of every purchase history. A customer adds to the bucket of their
 * first purchase `customers`, `r@<day>` for each month they bought in (the day of their first purchase of
 * that month: they count in that month's retention from then on) and `v:<currency>@<day>`, their net spend of
 * each day (purchases minus refunds, minor units). Kept by the day, the counters answer any `asOf` to the day;
 * a customer whose latest choice withdrew analytics consent counts only as `withoutConsent`.
 */
export const purchaseCohortFigures = periodFigures<PurchaseHistory>('purchase-cohorts', (history) =>
  cohortContributions(history),
);

/** The customers with a purchase or refund on each day (see customersByDayFigure). */
export const purchaseDaysFigure = customersByDayFigure<PurchaseHistory>(
  'purchase-days',
  (history) => history.customerId,
  (history) => [...history.purchases, ...history.refunds].map((fact) => fact.at),
);

/**
 * What one customer adds to their cohort, by the day of their first purchase: everything they did, or only
 * what a window keeps, to the instant (the exact share of a customer whose facts lie on a day a question cuts).
 */
export function cohortContributions(history: PurchaseHistory, window?: CohortWindow): Map<string, Counters> {
  const kept = <T extends { at: string }>(facts: readonly T[]) =>
    window ? facts.filter((fact) => fact.at <= window.asOf) : facts;
  const purchases = kept(history.purchases);
  if (purchases.length === 0) return new Map();
  const first = purchases.reduce((earliest, p) => (p.at < earliest ? p.at : earliest), purchases[0]!.at);
  if (window && ((window.from && first < window.from) || (window.to && first > window.to))) return new Map();
  if (!latestConsentGiven(history.consents, 'analytics'))
    return new Map([[dayOf(first), { withoutConsent: 1 }]]);
  const counters: Record<string, number> = { customers: 1 };
  const firstOfMonth = new Map<string, string>();
  for (const { at } of purchases) {
    const month = monthOf(at);
    const earliest = firstOfMonth.get(month);
    if (earliest === undefined || at < earliest) firstOfMonth.set(month, at);
  }
  for (const at of firstOfMonth.values()) counters[`r@${dayOf(at)}`] = 1;
  const spend = (facts: typeof purchases, sign: 1 | -1) => {
    for (const { at, amount } of facts) {
      const name = `v:${amount.currency}@${dayOf(at)}`;
      counters[name] = (counters[name] ?? 0) + sign * amount.amountMinor;
    }
  };
  spend(purchases, 1);
  spend(kept(history.refunds), -1);
  return new Map([[dayOf(first), counters]]);
}
