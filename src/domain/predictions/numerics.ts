import gammaln from '@stdlib/math-base-special-gammaln';

export { gammaln };

// Read once: a global looked up in a hot loop is slow inside VM contexts (Jest runs specs in one).
const { abs, exp, log, log1p, max, sqrt, LN10 } = Math;
const { NEGATIVE_INFINITY } = Number;

/** log(e^a + e^b) without overflow. */
export function logAddExp(a: number, b: number): number {
  if (a === NEGATIVE_INFINITY) return b;
  if (b === NEGATIVE_INFINITY) return a;
  const high = max(a, b);
  return high + log1p(exp(-abs(a - b)));
}

/** log(e^a - e^b) for a >= b; NEGATIVE_INFINITY when they are equal (or b is larger by rounding). */
export function logSubExp(a: number, b: number): number {
  if (b === NEGATIVE_INFINITY) return a;
  if (!(a > b)) return NEGATIVE_INFINITY;
  return a + log1p(-exp(b - a));
}

/** Terms summed at most before the series is declared not convergent in reasonable time. */
const MAX_SERIES_TERMS = 1_000_000;

/**
 * log 2F1(a, b; c; z), the Gaussian hypergeometric function, by its power series on 0 <= z < 1, where it
 * converges (the models choose their arguments so that z stays there, as the Fader-Hardie notes do). The sum
 * is kept with a running scale, so terms far beyond the double range (large a and b, z near 1) do not
 * overflow. NaN outside [0, 1) or when the series has not settled within a million terms.
 */
export function logHyp2f1(a: number, b: number, c: number, z: number): number {
  if (!(z >= 0 && z < 1)) return NaN;
  let logScale = 0;
  let term = 1;
  let sum = 1;
  for (let n = 0; n < MAX_SERIES_TERMS; n++) {
    const ratio = ((a + n) * (b + n) * z) / ((c + n) * (n + 1));
    term *= ratio;
    sum += term;
    if (abs(term) <= 1e-16 * abs(sum) && abs(ratio) < 1) return logScale + log(sum);
    if (abs(sum) > 1e250) {
      sum /= 1e250;
      term /= 1e250;
      logScale += 250 * LN10;
    }
  }
  return NaN;
}

/** Pearson's correlation of two equally long series; NaN when either does not vary. */
export function correlation(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n === 0 || ys.length !== n) return NaN;
  let meanX = 0;
  let meanY = 0;
  for (let i = 0; i < n; i++) {
    meanX += xs[i]! / n;
    meanY += ys[i]! / n;
  }
  let covariance = 0;
  let varianceX = 0;
  let varianceY = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - meanX;
    const dy = ys[i]! - meanY;
    covariance += dx * dy;
    varianceX += dx * dx;
    varianceY += dy * dy;
  }
  return covariance / sqrt(varianceX * varianceY);
}
