import { minimize } from './nelder-mead';
import { PurchaseSummary } from './purchase-summary';

/** A model fitted by maximum likelihood: its parameters, the maximised log-likelihood, how many customers. */
export interface ModelFit<P> {
  readonly params: P;
  readonly logLikelihood: number;
  readonly customers: number;
  /** The optimiser settled (the last restart improved the log-likelihood by less than 1e-10). */
  readonly converged: boolean;
}

/** Customers with the same (frequency, recency, age): their likelihood is computed once and counted `count` times. */
export interface SummaryGroup {
  readonly frequency: number;
  readonly recency: number;
  readonly age: number;
  readonly count: number;
}

/** Groups equal summaries: a population in days has far fewer distinct summaries than customers. */
export function groupSummaries(summaries: Iterable<PurchaseSummary>): SummaryGroup[] {
  const groups = new Map<string, { frequency: number; recency: number; age: number; count: number }>();
  for (const { frequency, recency, age } of summaries) {
    const key = `${frequency}|${recency}|${age}`;
    const group = groups.get(key);
    if (group) group.count++;
    else groups.set(key, { frequency, recency, age, count: 1 });
  }
  return [...groups.values()];
}

/**
 * How far from 1 a parameter may go, as a power of e (e^-12 .. e^12, about 6e-6 .. 160,000). A population
 * whose likelihood keeps rising towards a parameter's infinity (e.g. customers who all buy at one rate, so the
 * rates' spread tends to 0) would otherwise send the search to values where each evaluation of the
 * hypergeometric series takes thousands of terms, and the fit hours; at the bound it stops, and the parameter
 * at an extreme says what happened.
 */
const LOG_PARAMETER_BOUND = 12;

/**
 * Maximises a log-likelihood over positive parameters, searching their logarithms (so every step is valid)
 * within LOG_PARAMETER_BOUND; starts at 1 for every parameter unless told otherwise.
 */
export function maximizeLikelihood<N extends string>(
  names: readonly N[],
  logLikelihood: (params: Record<N, number>) => number,
  customers: number,
  start: Partial<Record<N, number>> = {},
): ModelFit<Record<N, number>> {
  const toParams = (point: readonly number[]) =>
    Object.fromEntries(names.map((name, i) => [name, Math.exp(point[i]!)])) as Record<N, number>;
  const minimum = minimize(
    (point) =>
      point.every((coordinate) => Math.abs(coordinate) <= LOG_PARAMETER_BOUND)
        ? -logLikelihood(toParams(point))
        : Infinity,
    names.map((name) => Math.log(start[name] ?? 1)),
  );
  return {
    params: toParams(minimum.point),
    logLikelihood: -minimum.value,
    customers,
    converged: minimum.converged,
  };
}
