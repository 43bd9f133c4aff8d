import { AssociationRule } from './association-rules';
import { CustomerBaseFit, forecastCustomer, PurchaseModel } from './customer-forecast';
import { gammaGammaExpectedValue } from './gamma-gamma';
import { PurchaseSummary, UNIT_MS } from './purchase-summary';

/**
 * The purchase model of the rep's profile and of the per-customer answers: Pareto/NBD, whose probability
 * alive falls as a one-off buyer stays away (BG/NBD holds it at 1 until a second purchase, which would tell a
 * rep that a customer gone for years is certainly still there).
 */
export const OUTLOOK_MODEL: PurchaseModel = 'pareto-nbd';
/** Future value is discounted at 10 % a year, as `ledger predict` does by default. */
export const OUTLOOK_DISCOUNT_RATE = 0.1;
/** How many likely next products the rep is shown. */
export const NEXT_PRODUCTS = 5;
/** "This time of year": purchases in earlier years within this many days of the date, either side. */
const SEASON_DAYS = 30;

const DAY_MS = 86_400_000;
const YEAR_MS = 365.25 * DAY_MS;

/** A customer's outlook as of an instant, each figure with the one line that explains it. */
export interface CustomerOutlook {
  readonly asOf: string;
  /** The instant the stored models were fitted as of (their parameters describe the population then). */
  readonly fittedAsOf: string;
  readonly model: PurchaseModel;
  readonly pAlive: { readonly probability: number; readonly reason: string };
  readonly expectedValue: {
    readonly amount: number;
    readonly currency: string;
    /** Expected purchases over the next year. */
    readonly purchases: number;
    readonly reason: string;
  };
  readonly nextProducts: readonly LikelyProduct[];
}

/** A product the customer may want next, and why. */
export interface LikelyProduct {
  readonly sku: string;
  /** `season`: bought at this time of year before; `bought-together`: an association rule. */
  readonly basis: 'season' | 'bought-together';
  readonly reason: string;
}

/** One of the customer's own purchases as the next-product list reads it: when, and which SKUs. */
export interface OwnPurchase {
  readonly at: string;
  readonly skus: readonly string[];
}

/** A span of time in words a rep reads at a glance: days up to three weeks, weeks up to two years, then years. */
export function spanInWords(ms: number): string {
  const days = Math.round(ms / DAY_MS);
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (days < 21) return plural(days, 'day');
  if (days < 730) return plural(Math.round(days / 7), 'week');
  return plural(Math.round(ms / YEAR_MS), 'year');
}

const money = (amount: number, currency: string) => `${amount.toFixed(2)} ${currency}`;

/** The customer's rhythm and absence, which is what the probability alive weighs. */
export function rhythmReason(summary: PurchaseSummary, unitMs: number): string {
  const since = spanInWords((summary.age - summary.recency) * unitMs);
  if (summary.frequency === 0) return `one purchase, ${since} ago; no repeat purchase yet to set a rhythm`;
  const every = spanInWords((summary.recency / summary.frequency) * unitMs);
  return `bought every ${every}; last purchase ${since} ago`;
}

/** The customer's outlook with the stored models, for a customer with a purchase by `asOf`. */
export function customerOutlook(
  fit: CustomerBaseFit,
  summary: PurchaseSummary,
  asOf: string,
  currency: string,
  nextProducts: readonly LikelyProduct[],
): CustomerOutlook {
  const unitMs = UNIT_MS[fit.timeUnit];
  const forecast = forecastCustomer(fit, summary, {
    model: OUTLOOK_MODEL,
    horizon: YEAR_MS / unitMs,
    annualDiscountRate: OUTLOOK_DISCOUNT_RATE,
  });
  const everyone = gammaGammaExpectedValue(fit.gammaGamma.params, { frequency: 0, meanRepeatValue: 0 });
  const basis =
    summary.frequency > 0
      ? `their own ${money(summary.meanRepeatValue, currency)} a repeat purchase, weighed with everyone's ${money(everyone, currency)}`
      : `everyone's average: no repeat purchase of their own yet`;
  return {
    asOf,
    fittedAsOf: fit.asOf,
    model: OUTLOOK_MODEL,
    pAlive: { probability: forecast.pAlive, reason: rhythmReason(summary, unitMs) },
    expectedValue: {
      amount: forecast.expectedValue,
      currency,
      purchases: forecast.expectedPurchases,
      reason: `${forecast.expectedPurchases.toFixed(1)} purchases expected in the next year at about ${money(forecast.expectedTransactionValue, currency)} each (${basis})`,
    },
    nextProducts,
  };
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** Days between two dates' places in the year, either way round the year end (0..183). */
function daysApartInYear(a: Date, b: Date): number {
  const dayOfYear = (d: Date) => (d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / DAY_MS;
  const apart = Math.abs(dayOfYear(a) - dayOfYear(b)) % 365.25;
  return Math.min(apart, 365.25 - apart);
}

/**
 * Up to `limit` products the customer may want next, each with its reason: first what they bought in
 * earlier years at this time of year (most years first), then what the association rules say goes with
 * what they bought (highest confidence first) among products they have not bought. `own` is the customer's
 * purchases up to `asOf`; rules with one product as consequent are used.
 */
export function likelyNextProducts(
  own: readonly OwnPurchase[],
  rules: readonly AssociationRule[],
  asOf: string,
  limit = NEXT_PRODUCTS,
): LikelyProduct[] {
  const now = new Date(asOf);
  const seasons = new Map<string, Date[]>();
  const lastBought = new Map<string, string>();
  for (const purchase of own) {
    if (purchase.at > asOf) continue;
    const at = new Date(purchase.at);
    const earlierYear = now.getTime() - at.getTime() > YEAR_MS - SEASON_DAYS * DAY_MS;
    for (const sku of purchase.skus) {
      if (!(lastBought.get(sku)! >= purchase.at)) lastBought.set(sku, purchase.at);
      if (earlierYear && daysApartInYear(at, now) <= SEASON_DAYS) {
        seasons.set(sku, [...(seasons.get(sku) ?? []), at]);
      }
    }
  }
  const seasonal = [...seasons]
    .map(([sku, dates]) => {
      const months = [...new Set(dates.sort((a, b) => a.getTime() - b.getTime()).map(monthName))];
      return { sku, years: new Set(dates.map((d) => d.getUTCFullYear())).size, months };
    })
    .sort((a, b) => b.years - a.years || (a.sku < b.sku ? -1 : 1))
    .map(({ sku, months }): LikelyProduct => ({
      sku,
      basis: 'season',
      reason: `bought at this time of year before: ${months.join(', ')}`,
    }));

  const together: LikelyProduct[] = [];
  const offered = new Set(seasonal.map((product) => product.sku));
  const byConfidence = [...rules].sort((a, b) => b.confidence - a.confidence || b.lift - a.lift);
  for (const rule of byConfidence) {
    const [sku] = rule.consequent;
    if (rule.consequent.length !== 1 || lastBought.has(sku!) || offered.has(sku!)) continue;
    if (!rule.antecedent.every((item) => lastBought.has(item))) continue;
    offered.add(sku!);
    const bought = rule.antecedent.map((item) => `${item} (${lastBought.get(item)!.slice(0, 10)})`);
    together.push({
      sku: sku!,
      basis: 'bought-together',
      reason: `in ${Math.round(rule.confidence * 100)} % of baskets with ${rule.antecedent.join(' and ')}, ${rule.lift.toFixed(1)}× chance; they bought ${bought.join(' and ')}`,
    });
  }
  return [...seasonal, ...together].slice(0, limit);
}

const monthName = (d: Date) => `${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
