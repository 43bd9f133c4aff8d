import { minorDigits, Money } from './money';

/** One row of an exchange-rate table: from this day on, one unit of the currency is `rate` ledger units. */
export interface ExchangeRate {
  /** The first day (UTC, YYYY-MM-DD) the rate applies to. */
  readonly from: string;
  /** Units of the ledger currency per unit of the currency: positive. */
  readonly rate: number;
}

/**
 * The operator's exchange-rate table: per currency, its rates in order of `from`. A rate applies from its day
 * until the next row's, so a purchase is converted at the rate of its own day, and a score as of a past
 * instant converts exactly as it did then.
 */
export type ExchangeRates = Readonly<Record<string, readonly ExchangeRate[]>>;

/**
 * An amount in minor units of the ledger currency, converted at the rate in force at `at` (ISO instant);
 * undefined when the table has no rate for the currency on or before that day. The ledger currency itself
 * needs no rate. Rounded to the ledger currency's minor unit once per amount, so sums stay integers.
 */
export function convertAt(
  amount: Money,
  at: string,
  ledgerCurrency: string,
  rates: ExchangeRates,
): number | undefined {
  if (amount.currency === ledgerCurrency) return amount.amountMinor;
  const day = at.slice(0, 10);
  const rate = (rates[amount.currency] ?? []).findLast((row) => row.from <= day)?.rate;
  if (rate === undefined) return undefined;
  const major = (amount.amountMinor / 10 ** minorDigits(amount.currency)) * rate;
  return Math.round(major * 10 ** minorDigits(ledgerCurrency));
}
