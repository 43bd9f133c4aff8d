import { maximizeLikelihood, ModelFit, SummaryGroup } from './maximum-likelihood';
import { gammaln, logAddExp, logHyp2f1, logSubExp } from './numerics';

// Read once: a global looked up in a hot loop is slow inside VM contexts (Jest runs specs in one).
const { abs, exp, expm1, log } = Math;
const { NEGATIVE_INFINITY } = Number;

/**
 * Pareto/NBD (Schmittlein, Morrison & Colombo 1987): while active, a customer buys as a Poisson process with
 * rate lambda ~ Gamma(r, alpha); their lifetime is exponential with rate mu ~ Gamma(s, beta).
 */
export interface ParetoNbdParams {
  readonly r: number;
  readonly alpha: number;
  readonly s: number;
  readonly beta: number;
}

type Summary = Pick<SummaryGroup, 'frequency' | 'recency' | 'age'>;

/**
 * log A0 of Fader & Hardie, "A Note on Deriving the Pareto/NBD Model and Related Expressions" (2005), eq. (22)
 * and (23): the Gaussian hypergeometric function is taken with the larger of alpha and beta in the
 * denominator of its argument, so that the argument lies in [0, 1) where its series converges.
 */
function logA0({ r, alpha, s, beta }: ParetoNbdParams, { frequency: x, recency, age }: Summary): number {
  const rsx = r + s + x;
  const [larger, b] = alpha >= beta ? [alpha, s + 1] : [beta, r + x];
  const gap = abs(alpha - beta);
  const atRecency = logHyp2f1(rsx, b, rsx + 1, gap / (larger + recency)) - rsx * log(larger + recency);
  const atAge = logHyp2f1(rsx, b, rsx + 1, gap / (larger + age)) - rsx * log(larger + age);
  return logSubExp(atRecency, atAge);
}

/** The log-likelihood of one customer's (x, t_x, T), eq. (22) of the note, in log space. */
export function paretoNbdLogLikelihood(params: ParetoNbdParams, summary: Summary): number {
  const { r, alpha, s, beta } = params;
  const { frequency: x, age } = summary;
  const common = gammaln(r + x) - gammaln(r) + r * log(alpha) + s * log(beta);
  const aliveThroughout = -(r + x) * log(alpha + age) - s * log(beta + age);
  const diedInBetween = log(s) - log(r + s + x) + logA0(params, summary);
  return common + logAddExp(aliveThroughout, diedInBetween);
}

export function fitParetoNbd(groups: readonly SummaryGroup[]): ModelFit<ParetoNbdParams> {
  const customers = groups.reduce((sum, group) => sum + group.count, 0);
  return maximizeLikelihood(
    ['r', 'alpha', 's', 'beta'],
    (params) => groups.reduce((sum, group) => sum + group.count * paretoNbdLogLikelihood(params, group), 0),
    customers,
  );
}

/** P(active at T | x, t_x, T), eq. (18) of the note. */
export function paretoNbdProbabilityAlive(params: ParetoNbdParams, summary: Summary): number {
  const { r, alpha, s, beta } = params;
  const { frequency: x, age } = summary;
  const logOdds =
    log(s) - log(r + s + x) + (r + x) * log(alpha + age) + s * log(beta + age) + logA0(params, summary);
  return logOdds === NEGATIVE_INFINITY ? 1 : 1 / (1 + exp(logOdds));
}

/** E[purchases in (T, T + t] | x, t_x, T], eq. (21) of the note (s != 1). */
export function paretoNbdExpectedPurchases(params: ParetoNbdParams, summary: Summary, t: number): number {
  return paretoNbdExpectedPurchasesIfActive(params, summary, t) * paretoNbdProbabilityAlive(params, summary);
}

/**
 * The first factor of eq. (21): the purchases expected in (T, T + t] of a customer known to be active at T.
 * Closed form (no hypergeometric function): a forecast over many horizons computes P(alive) once.
 */
export function paretoNbdExpectedPurchasesIfActive(
  { r, alpha, s, beta }: ParetoNbdParams,
  { frequency: x, age }: Summary,
  t: number,
): number {
  if (t <= 0) return 0;
  return (
    (((r + x) * (beta + age)) / ((alpha + age) * (s - 1))) *
    -expm1((s - 1) * log((beta + age) / (beta + age + t)))
  );
}
