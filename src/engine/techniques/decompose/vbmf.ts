/**
 * Analytic empirical variational Bayesian matrix factorization (EVBMF, Nakajima, Sugiyama,
 * Babacan, Tomioka, JMLR 2013), the rank selection Kim et al. (ICLR 2016) use for Tucker-2: the
 * noise variance is estimated by minimizing the free energy over a bounded interval, and the
 * rank is the number of singular values above the resulting threshold. Procedure and constants
 * as ../shared/ALGORITHMS.md section 8 gives them (after Nakajima's code).
 */
import { singularValues, type Matrix } from './linalg.ts';

export interface VbmfResult {
  /** Estimated rank (0 when no singular value stands above the noise). */
  readonly rank: number;
  /** Estimated noise variance per entry. */
  readonly sigma2: number;
  /** Singular values above this are signal. */
  readonly threshold: number;
  readonly singularValues: Float64Array;
}

const TAU_BAR_FACTOR = 2.5129;

/** tau(x) = 0.5 (x - (1 + a) + sqrt((x - (1 + a))^2 - 4a)). */
function tau(x: number, alpha: number): number {
  const b = x - (1 + alpha);
  return 0.5 * (b + Math.sqrt(Math.max(b * b - 4 * alpha, 0)));
}

/** The free energy (up to constants) as a function of the noise variance. */
function objective(
  sigma2: number,
  s: Float64Array,
  l: number,
  m: number,
  residual: number,
  xBar: number,
): number {
  const alpha = l / m;
  let sum = 0;
  for (const value of s) {
    const x = (value * value) / (m * sigma2);
    if (x > xBar) {
      const t = tau(x, alpha);
      sum += x - t + Math.log((t + 1) / x) + alpha * Math.log(t / alpha + 1);
    } else {
      sum += x - Math.log(x);
    }
  }
  return sum + residual / (m * sigma2) + (l - s.length) * Math.log(sigma2);
}

/** Minimizes f on [a, b] by golden-section search (the reference uses bounded Brent). */
function goldenMinimum(f: (x: number) => number, a: number, b: number): number {
  const ratio = (Math.sqrt(5) - 1) / 2;
  let lo = a;
  let hi = b;
  let x1 = hi - ratio * (hi - lo);
  let x2 = lo + ratio * (hi - lo);
  let f1 = f(x1);
  let f2 = f(x2);
  for (let i = 0; i < 200 && hi - lo > 1e-12 * Math.max(1, Math.abs(hi)); i++) {
    if (f1 < f2) {
      hi = x2;
      x2 = x1;
      f2 = f1;
      x1 = hi - ratio * (hi - lo);
      f1 = f(x1);
    } else {
      lo = x1;
      x1 = x2;
      f1 = f2;
      x2 = lo + ratio * (hi - lo);
      f2 = f(x2);
    }
  }
  return (lo + hi) / 2;
}

/**
 * EVBMF rank of a matrix from its singular values and shape (the smaller side is L). All
 * min(L, M) singular values are used, so the residual term is zero.
 */
export function vbmfFromSingularValues(
  singular: Float64Array,
  rows: number,
  cols: number,
): VbmfResult {
  const l = Math.min(rows, cols);
  const m = Math.max(rows, cols);
  const s = singular.slice(0, l);
  const alpha = l / m;
  const tauBar = TAU_BAR_FACTOR * Math.sqrt(alpha);
  const xBar = (1 + tauBar) * (1 + alpha / tauBar);
  const residual = 0;
  const h = s.length;
  const upperIndex = Math.min(Math.ceil(l / (1 + alpha)) - 1, h) - 1;
  let sumSquares = 0;
  for (const v of s) sumSquares += v * v;
  const upper = (sumSquares + residual) / (l * m);
  let tailMean = 0;
  for (let i = upperIndex + 1; i < h; i++) tailMean += s[i] * s[i];
  tailMean /= Math.max(1, h - (upperIndex + 1));
  const lower = Math.max((s[upperIndex + 1] ?? 0) ** 2 / (m * xBar), tailMean / m);
  if (!(upper > 0)) {
    return { rank: 0, sigma2: 0, threshold: 0, singularValues: s };
  }
  const low = lower > 0 && lower < upper ? lower : upper * 1e-6;
  const sigma2 = goldenMinimum((x) => objective(x, s, l, m, residual, xBar), low, upper);
  const threshold = Math.sqrt(m * sigma2 * xBar);
  let rank = 0;
  while (rank < h && s[rank] > threshold) rank++;
  return { rank, sigma2, threshold, singularValues: s };
}

/** EVBMF rank of a matrix. */
export async function vbmf(a: Matrix): Promise<VbmfResult> {
  return vbmfFromSingularValues(await singularValues(a), a.rows, a.cols);
}
