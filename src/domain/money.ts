/** Money as integer minor units of an ISO 4217 currency: never summed as floats. */
export interface Money {
  readonly amountMinor: number;
  readonly currency: string;
}

const knownCurrencies = new Set(Intl.supportedValuesOf('currency'));
const minorDigitsCache = new Map<string, number>();

export function isCurrencyCode(code: unknown): code is string {
  return typeof code === 'string' && /^[A-Z]{3}$/.test(code) && knownCurrencies.has(code);
}

/** Minor digits of a currency as ICU knows them (EUR 2, JPY 0, BHD 3). */
export function minorDigits(currency: string): number {
  let digits = minorDigitsCache.get(currency);
  if (digits === undefined) {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
      .maximumFractionDigits as number;
    minorDigitsCache.set(currency, digits);
  }
  return digits;
}

/**
 * Converts a decimal amount to minor units without float arithmetic, or returns undefined when the
 * amount has more decimals than the currency allows or does not fit a safe integer (see amountProblem).
 */
export function toMinorUnits(amount: number, currency: string): number | undefined {
  return amountProblem(amount, currency) === undefined ? minorUnitsOf(amount, currency) : undefined;
}

/**
 * Why an amount cannot be held as minor units of its currency, said for the client, or undefined when it can:
 * more decimals than the currency has (never rounded), or more minor units than a number holds exactly.
 */
export function amountProblem(amount: number, currency: string): string | undefined {
  if (!Number.isFinite(amount)) return 'is not a finite number';
  if (!isCurrencyCode(currency)) return `cannot be checked: ${currency} is not an ISO 4217 currency`;
  const text = String(Math.abs(amount));
  const fraction = /\.(\d+)$/.exec(text)?.[1] ?? '';
  if (text.includes('e-') || fraction.length > minorDigits(currency)) {
    return `has more decimals than ${currency} allows`;
  }
  if (text.includes('e+') || !Number.isSafeInteger(minorUnitsOf(amount, currency))) {
    return `is too large: at most ${formatMoney({ amountMinor: Number.MAX_SAFE_INTEGER, currency })} can be held exactly`;
  }
  return undefined;
}

/** The minor units of an amount whose decimals fit the currency (its decimal text, no float arithmetic). */
function minorUnitsOf(amount: number, currency: string): number {
  const [whole = '0', fraction = ''] = String(Math.abs(amount)).split('.');
  const minor = Number(whole + fraction.padEnd(minorDigits(currency), '0'));
  return amount < 0 ? -minor : minor;
}

export function money(amount: number, currency: string): Money {
  const amountMinor = toMinorUnits(amount, currency);
  if (amountMinor === undefined) throw new RangeError(`${amount} is not a valid ${currency} amount`);
  return { amountMinor, currency };
}

/** The decimal amount for answers: exact, since minor units are integers. */
export function toDecimal(value: Money): number {
  return value.amountMinor / 10 ** minorDigits(value.currency);
}

export function formatMoney(value: Money): string {
  return `${value.currency} ${toDecimal(value).toFixed(minorDigits(value.currency))}`;
}

/**
 * The currency a customer mostly buys in: the one with the most purchases; on a tie the ledger currency if it
 * is among them, else the first by code. The ledger currency when there is no purchase. Net spend in this
 * currency is the customer's own figure, whatever the ledger currency is (docs/api.md, "Several currencies").
 */
export function principalCurrency(
  purchasesByCurrency: Readonly<Record<string, number>>,
  ledgerCurrency: string,
): string {
  let principal = ledgerCurrency;
  let most = purchasesByCurrency[ledgerCurrency] ?? 0;
  for (const currency of Object.keys(purchasesByCurrency).sort()) {
    const count = purchasesByCurrency[currency]!;
    if (count > most) [principal, most] = [currency, count];
  }
  return principal;
}
