import { bgNbdExpectedPurchases, bgNbdProbabilityAlive, BgNbdParams, fitBgNbd } from './bg-nbd';
import { fitGammaGamma, gammaGammaExpectedValue, GammaGammaParams } from './gamma-gamma';
import { groupSummaries, ModelFit } from './maximum-likelihood';
import {
  fitParetoNbd,
  paretoNbdExpectedPurchases,
  paretoNbdExpectedPurchasesIfActive,
  paretoNbdProbabilityAlive,
  ParetoNbdParams,
} from './pareto-nbd';
import { PurchaseSummary, TimeUnit, UNIT_MS } from './purchase-summary';

/** The two models of how many purchases a customer makes and whether they are still a customer. */
export type PurchaseModel = 'bg-nbd' | 'pareto-nbd';
export const PURCHASE_MODELS: readonly PurchaseModel[] = ['bg-nbd', 'pareto-nbd'];

/** The three models fitted on one population as of one instant, in one time unit. */
export interface CustomerBaseFit {
  readonly asOf: string;
  readonly timeUnit: TimeUnit;
  readonly bgNbd: ModelFit<BgNbdParams>;
  readonly paretoNbd: ModelFit<ParetoNbdParams>;
  readonly gammaGamma: ModelFit<GammaGammaParams>;
}

/**
 * The most customers the models are fitted on. The parameters describe the population: beyond this many
 * customers they are fitted on an evenly spread sample of it (the likelihood's cost grows with the distinct
 * summaries, and a fit on a million takes tens of minutes); every customer is still scored. Each model's
 * `customers` says how many it was fitted on.
 */
export const FIT_SAMPLE_SIZE = 20_000;

/** Every (n / size)-th item, in the order given: all of them when there are no more than `size`. */
export function evenSample<T>(items: readonly T[], size: number): readonly T[] {
  if (items.length <= size) return items;
  const stride = items.length / size;
  return Array.from({ length: size }, (_, i) => items[Math.floor(i * stride)]!);
}

export function fitCustomerBase(
  population: readonly PurchaseSummary[],
  asOf: string,
  timeUnit: TimeUnit,
): CustomerBaseFit {
  const summaries = evenSample(population, FIT_SAMPLE_SIZE);
  const groups = groupSummaries(summaries);
  return {
    asOf,
    timeUnit,
    bgNbd: fitBgNbd(groups),
    paretoNbd: fitParetoNbd(groups),
    gammaGamma: fitGammaGamma(summaries),
  };
}

/** The probability alive and expected purchases over `t` units, by the chosen model. */
export function purchaseForecast(
  fit: CustomerBaseFit,
  model: PurchaseModel,
  summary: PurchaseSummary,
  t: number,
): { pAlive: number; expectedPurchases: number } {
  return model === 'bg-nbd'
    ? {
        pAlive: bgNbdProbabilityAlive(fit.bgNbd.params, summary),
        expectedPurchases: bgNbdExpectedPurchases(fit.bgNbd.params, summary, t),
      }
    : {
        pAlive: paretoNbdProbabilityAlive(fit.paretoNbd.params, summary),
        expectedPurchases: paretoNbdExpectedPurchases(fit.paretoNbd.params, summary, t),
      };
}

export interface ForecastSettings {
  readonly model: PurchaseModel;
  /** How far ahead, in the fit's time unit. */
  readonly horizon: number;
  /** Yearly rate at which future value is discounted (0.1 = 10 % a year). */
  readonly annualDiscountRate: number;
}

/** What the models say about one customer, as of the fit's instant. */
export interface CustomerForecast extends PurchaseSummary {
  /** Probability that the customer is still active (has not silently left). */
  readonly pAlive: number;
  /** Expected transactions within the horizon. */
  readonly expectedPurchases: number;
  /** Expected value of one future transaction (Gamma-Gamma). */
  readonly expectedTransactionValue: number;
  /** Expected value within the horizon, discounted to the instant. */
  readonly expectedValue: number;
  /**
   * Expected time until the next purchase if the customer is active and stays so, E[1/lambda] with the
   * purchase rate's posterior Gamma(r + x, alpha + T); null when r + x <= 1 (too little seen: the mean is
   * infinite).
   */
  readonly expectedTimeToNextPurchase: number | null;
}

/** The horizon is discounted in at most this many equal steps, each step's purchases at its end. */
const DISCOUNT_STEPS = 52;
const YEAR_MS = 365.25 * 86_400_000;

export function forecastCustomer(
  fit: CustomerBaseFit,
  summary: PurchaseSummary,
  { model, horizon, annualDiscountRate }: ForecastSettings,
): CustomerForecast {
  const { pAlive, expectedPurchases } = purchaseForecast(fit, model, summary, horizon);
  // Pareto/NBD's expectation is P(alive) times a closed form: P(alive), the costly part, is taken once.
  const purchasesBy = (t: number) =>
    model === 'pareto-nbd'
      ? paretoNbdExpectedPurchasesIfActive(fit.paretoNbd.params, summary, t) * pAlive
      : purchaseForecast(fit, model, summary, t).expectedPurchases;
  const expectedTransactionValue = gammaGammaExpectedValue(fit.gammaGamma.params, summary);
  const steps = Math.max(1, Math.min(DISCOUNT_STEPS, Math.ceil(horizon)));
  const stepLength = horizon / steps;
  // Each step's discount is the previous one's times the discount of one step (no power per step).
  const discountPerStep = Math.pow(1 + annualDiscountRate, (stepLength * UNIT_MS[fit.timeUnit]) / YEAR_MS);
  let discount = 1;
  let discountedPurchases = 0;
  let before = 0;
  for (let step = 1; step <= steps; step++) {
    const byEnd = step === steps ? expectedPurchases : purchasesBy(step * stepLength);
    discount *= discountPerStep;
    discountedPurchases += (byEnd - before) / discount;
    before = byEnd;
  }
  const { r, alpha } = model === 'bg-nbd' ? fit.bgNbd.params : fit.paretoNbd.params;
  const shape = r + summary.frequency;
  return {
    ...summary,
    pAlive,
    expectedPurchases,
    expectedTransactionValue,
    expectedValue: discountedPurchases * expectedTransactionValue,
    expectedTimeToNextPurchase: shape > 1 ? (alpha + summary.age) / (shape - 1) : null,
  };
}
