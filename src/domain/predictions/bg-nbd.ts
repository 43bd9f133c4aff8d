import { maximizeLikelihood, ModelFit, SummaryGroup } from './maximum-likelihood';
import { gammaln, logAddExp, logHyp2f1 } from './numerics';

// Read once: a global looked up in a hot loop is slow inside VM contexts (Jest runs specs in one).
const { exp, expm1, log } = Math;
const { NEGATIVE_INFINITY } = Number;

/**
 * BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): while active, a customer buys as a
 * Poisson process with rate lambda ~ Gamma(r, alpha); after each purchase they become inactive with
 * probability p ~ Beta(a, b).
 */
export interface BgNbdParams {
  readonly r: number;
  readonly alpha: number;
  readonly a: number;
  readonly b: number;
}

type Summary = Pick<SummaryGroup, 'frequency' | 'recency' | 'age'>;

/** The log-likelihood of one customer's (x, t_x, T), formula (6) of the paper, in log space. */
export function bgNbdLogLikelihood({ r, alpha, a, b }: BgNbdParams, { frequency: x, recency, age }: Summary) {
  const common =
    gammaln(r + x) -
    gammaln(r) +
    r * log(alpha) +
    gammaln(a + b) +
    gammaln(b + x) -
    gammaln(b) -
    gammaln(a + b + x);
  const stillActive = -(r + x) * log(alpha + age);
  const inactiveAfterLast =
    x > 0 ? log(a) - log(b + x - 1) - (r + x) * log(alpha + recency) : NEGATIVE_INFINITY;
  return common + logAddExp(stillActive, inactiveAfterLast);
}

export function fitBgNbd(groups: readonly SummaryGroup[]): ModelFit<BgNbdParams> {
  const customers = groups.reduce((sum, group) => sum + group.count, 0);
  return maximizeLikelihood(
    ['r', 'alpha', 'a', 'b'],
    (params) => groups.reduce((sum, group) => sum + group.count * bgNbdLogLikelihood(params, group), 0),
    customers,
  );
}

/** P(active at T | x, t_x, T): 1 without a repeat purchase (the model lets a customer drop out only after one). */
export function bgNbdProbabilityAlive(
  { r, alpha, a, b }: BgNbdParams,
  { frequency: x, recency, age }: Summary,
) {
  if (x === 0) return 1;
  const logOdds = log(a) - log(b + x - 1) + (r + x) * log((alpha + age) / (alpha + recency));
  return 1 / (1 + exp(logOdds));
}

/** E[purchases in (T, T + t] | x, t_x, T], formula (10) of the paper. */
export function bgNbdExpectedPurchases(params: BgNbdParams, summary: Summary, t: number) {
  const { r, alpha, a, b } = params;
  const { frequency: x, age } = summary;
  if (t <= 0) return 0;
  const logTail =
    (r + x) * log((alpha + age) / (alpha + age + t)) +
    logHyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + age + t));
  const expectedIfActive = ((a + b + x - 1) / (a - 1)) * -expm1(logTail);
  return expectedIfActive * bgNbdProbabilityAlive(params, summary);
}
