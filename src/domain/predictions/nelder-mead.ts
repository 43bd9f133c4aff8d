/**
 * Nelder-Mead minimisation (Lagarias et al. 1998 coefficients: reflect 1, expand 2, contract 1/2, shrink 1/2),
 * restarted from its best point until a restart no longer improves: a fresh simplex undoes the collapse that
 * stops a single run early on a curved valley. Our own few lines, because the optimisers on the npm registry
 * are either unmaintained for years (`fmin` 0.0.4, 2016, no types) or little used; the likelihoods here are
 * smooth in a handful of log-parameters, where the simplex method is dependable.
 */
export interface Minimum {
  readonly point: readonly number[];
  readonly value: number;
  readonly evaluations: number;
  /** The last restart moved the value by less than the tolerance. */
  readonly converged: boolean;
}

export interface NelderMeadOptions {
  /** Stop a run when the simplex's values differ by less than this (absolute). */
  readonly tolerance?: number;
  readonly maxEvaluations?: number;
  readonly initialStep?: number;
  readonly maxRestarts?: number;
}

export function minimize(
  objective: (point: readonly number[]) => number,
  start: readonly number[],
  { tolerance = 1e-10, maxEvaluations = 20_000, initialStep = 0.5, maxRestarts = 10 }: NelderMeadOptions = {},
): Minimum {
  let evaluations = 0;
  const f = (point: readonly number[]) => {
    evaluations++;
    const value = objective(point);
    return Number.isFinite(value) ? value : Infinity;
  };
  let best = { point: [...start], value: f(start) };
  for (let restart = 0; restart <= maxRestarts; restart++) {
    const next = run(f, best.point, initialStep, tolerance, () => evaluations < maxEvaluations);
    const improvement = best.value - next.value;
    if (next.value <= best.value) best = next;
    if (improvement < tolerance || evaluations >= maxEvaluations) {
      return { ...best, evaluations, converged: evaluations < maxEvaluations };
    }
  }
  return { ...best, evaluations, converged: false };
}

interface Vertex {
  point: number[];
  value: number;
}

function run(
  f: (point: readonly number[]) => number,
  start: readonly number[],
  step: number,
  tolerance: number,
  budgetLeft: () => boolean,
): Vertex {
  const n = start.length;
  const simplex: Vertex[] = [{ point: [...start], value: f(start) }];
  for (let i = 0; i < n; i++) {
    const point = [...start];
    point[i]! += step;
    simplex.push({ point, value: f(point) });
  }
  const along = (from: readonly number[], to: readonly number[], t: number) =>
    from.map((x, i) => x + t * (to[i]! - x));
  const vertex = (point: number[]): Vertex => ({ point, value: f(point) });
  while (budgetLeft()) {
    simplex.sort((p, q) => p.value - q.value);
    const bestVertex = simplex[0]!;
    const worst = simplex[n]!;
    if (Math.abs(worst.value - bestVertex.value) < tolerance) break;
    const centroid = new Array<number>(n).fill(0);
    for (let v = 0; v < n; v++) for (let i = 0; i < n; i++) centroid[i]! += simplex[v]!.point[i]! / n;
    const reflected = vertex(along(centroid, worst.point, -1));
    if (reflected.value < bestVertex.value) {
      const expanded = vertex(along(centroid, worst.point, -2));
      simplex[n] = expanded.value < reflected.value ? expanded : reflected;
    } else if (reflected.value < simplex[n - 1]!.value) {
      simplex[n] = reflected;
    } else {
      const outside = reflected.value < worst.value;
      const contracted = vertex(along(centroid, worst.point, outside ? -0.5 : 0.5));
      if (contracted.value < (outside ? reflected.value : worst.value)) {
        simplex[n] = contracted;
      } else {
        for (let v = 1; v <= n; v++) simplex[v] = vertex(along(bestVertex.point, simplex[v]!.point, 0.5));
      }
    }
  }
  simplex.sort((p, q) => p.value - q.value);
  return simplex[0]!;
}
