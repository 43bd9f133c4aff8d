/** The unit in which the models count time; their parameters are per unit (alpha, beta, the rates). */
export type TimeUnit = 'day' | 'week';

export const TIME_UNITS: readonly TimeUnit[] = ['day', 'week'];

const DAY_MS = 86_400_000;
export const UNIT_MS: Record<TimeUnit, number> = { day: DAY_MS, week: 7 * DAY_MS };

/** One purchase as the models read it: when, and its value in major units of one currency. */
export interface DatedPurchase {
  readonly at: string;
  readonly value: number;
}

/**
 * A customer's purchases as the customer-base models see them, in a time unit, as of an instant:
 * `frequency` repeat transactions (transactions after the first), `recency` the time from the first
 * transaction to the last, `age` the time from the first transaction to the instant (so recency <= age), and
 * the mean value of the repeat transactions (0 without any), the Gamma-Gamma model's input.
 */
export interface PurchaseSummary {
  readonly frequency: number;
  readonly recency: number;
  readonly age: number;
  readonly meanRepeatValue: number;
}

/** What a customer did after the instant of a summary, up to the end of a holdout period. */
export interface HoldoutOutcome {
  /** Transactions (purchase days) in the holdout. */
  readonly purchases: number;
  readonly value: number;
  /** Each holdout transaction's time after the instant, in the unit (for cumulative tracking). */
  readonly times: readonly number[];
}

interface Transaction {
  /** The start of its UTC day, ms since the epoch. */
  readonly day: number;
  value: number;
}

/**
 * Purchases merged into transactions by UTC calendar day, in day order: several purchases of one customer on
 * one day are one transaction, as the published analyses of CDNOW count them (and as a basket split into
 * several orders should be).
 */
function transactionsByDay(purchases: readonly DatedPurchase[], after: number, until: number): Transaction[] {
  const byDay = new Map<number, Transaction>();
  for (const purchase of purchases) {
    const at = Date.parse(purchase.at);
    if (!(at > after && at <= until)) continue;
    const day = Math.floor(at / DAY_MS) * DAY_MS;
    const transaction = byDay.get(day);
    if (transaction) transaction.value += purchase.value;
    else byDay.set(day, { day, value: purchase.value });
  }
  return [...byDay.values()].sort((p, q) => p.day - q.day);
}

/** The summary of a customer's purchases up to and including `asOf`; undefined before the first purchase. */
export function summarizePurchases(
  purchases: readonly DatedPurchase[],
  asOf: string,
  unit: TimeUnit,
): PurchaseSummary | undefined {
  const transactions = transactionsByDay(purchases, -Infinity, Date.parse(asOf));
  const first = transactions[0];
  if (!first) return undefined;
  const last = transactions[transactions.length - 1]!;
  const frequency = transactions.length - 1;
  const repeatValue = transactions.slice(1).reduce((sum, transaction) => sum + transaction.value, 0);
  return {
    frequency,
    recency: (last.day - first.day) / UNIT_MS[unit],
    age: (Date.parse(asOf) - first.day) / UNIT_MS[unit],
    meanRepeatValue: frequency > 0 ? repeatValue / frequency : 0,
  };
}

/**
 * The transactions after `asOf` up to and including `holdoutEnd`; a purchase later on the day of the last
 * transaction up to `asOf` belongs to that transaction and is not counted again.
 */
export function holdoutOutcome(
  purchases: readonly DatedPurchase[],
  asOf: string,
  holdoutEnd: string,
  unit: TimeUnit,
): HoldoutOutcome {
  const start = Date.parse(asOf);
  const calibrationDays = new Set(transactionsByDay(purchases, -Infinity, start).map((t) => t.day));
  const transactions = transactionsByDay(purchases, start, Date.parse(holdoutEnd)).filter(
    (transaction) => !calibrationDays.has(transaction.day),
  );
  return {
    purchases: transactions.length,
    value: transactions.reduce((sum, transaction) => sum + transaction.value, 0),
    times: transactions.map((transaction) => (Math.max(transaction.day, start) - start) / UNIT_MS[unit]),
  };
}
