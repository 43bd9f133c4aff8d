import { maximizeLikelihood, ModelFit } from './maximum-likelihood';
import { gammaln } from './numerics';

// Read once: a global looked up in a hot loop is slow inside VM contexts (Jest runs specs in one).
const { log } = Math;

/**
 * Gamma-Gamma spend model (Fader & Hardie 2013, "The Gamma-Gamma Model of Monetary Value"): the value of each
 * transaction is Gamma(p, nu) around the customer's mean; nu ~ Gamma(q, gamma) across customers. It assumes
 * that spend per transaction is independent of how often a customer buys.
 */
export interface GammaGammaParams {
  readonly p: number;
  readonly q: number;
  readonly gamma: number;
}

/** A repeat buyer's spend: x repeat transactions with mean value m (> 0). */
export interface RepeatSpend {
  readonly frequency: number;
  readonly meanRepeatValue: number;
}

/** The log-likelihood of one customer's mean spend over x transactions (eq. 3 of the note, in log space). */
export function gammaGammaLogLikelihood(
  { p, q, gamma }: GammaGammaParams,
  { frequency: x, meanRepeatValue: m }: RepeatSpend,
): number {
  return (
    gammaln(p * x + q) -
    gammaln(p * x) -
    gammaln(q) +
    q * log(gamma) +
    (p * x - 1) * log(m) +
    p * x * log(x) -
    (p * x + q) * log(x * m + gamma)
  );
}

/** Fits on the customers with at least one repeat transaction of positive value; the rest carry no information. */
export function fitGammaGamma(customers: readonly RepeatSpend[]): ModelFit<GammaGammaParams> {
  const repeatBuyers = customers.filter((c) => c.frequency > 0 && c.meanRepeatValue > 0);
  return maximizeLikelihood(
    ['p', 'q', 'gamma'],
    (params) => repeatBuyers.reduce((sum, customer) => sum + gammaGammaLogLikelihood(params, customer), 0),
    repeatBuyers.length,
  );
}

/**
 * E[value of a transaction | x, m]: a weighted mean of the population mean p gamma / (q - 1) and the customer's
 * own mean (eq. 5); the population mean for a customer without repeat transactions. Needs q > 1.
 */
export function gammaGammaExpectedValue(
  { p, q, gamma }: GammaGammaParams,
  { frequency: x, meanRepeatValue: m }: RepeatSpend,
): number {
  const mean = x > 0 ? m : 0;
  return (p * (gamma + x * mean)) / (p * x + q - 1);
}
