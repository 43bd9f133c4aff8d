import { bgNbdExpectedPurchases, bgNbdProbabilityAlive, BgNbdParams, fitBgNbd } from './bg-nbd';
import { fitGammaGamma, gammaGammaExpectedValue, GammaGammaParams } from './gamma-gamma';
import { groupSummaries, ModelFit } from './maximum-likelihood';
import {
  fitParetoNbd,
  paretoNbdExpectedPurchases,
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

export function fitCustomerBase(
  summaries: readonly PurchaseSummary[],
  asOf: string,
  timeUnit: TimeUnit,
): CustomerBaseFit {
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
  const expectedTransactionValue = gammaGammaExpectedValue(fit.gammaGamma.params, summary);
  const steps = Math.max(1, Math.min(DISCOUNT_STEPS, Math.ceil(horizon)));
  const stepLength = horizon / steps;
  const discountPerUnit = Math.pow(1 + annualDiscountRate, UNIT_MS[fit.timeUnit] / YEAR_MS);
  let discountedPurchases = 0;
  let before = 0;
  for (let step = 1; step <= steps; step++) {
    const byEnd =
      step === steps
        ? expectedPurchases
        : purchaseForecast(fit, model, summary, step * stepLength).expectedPurchases;
    discountedPurchases += (byEnd - before) / Math.pow(discountPerUnit, step * stepLength);
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
