/**
 * Winograd minimal filtering F(m x m, r x r) (Lavin & Gray, CVPR 2016): transform matrices by the
 * Cook-Toom construction over interpolation points a_0..a_{T-2} and infinity (T = m + r - 1),
 * as in Lavin's wincnn generator:
 *   A^T[i][j] = a_j^i (last column: 1 in the last row), G[j][k] = a_j^k / prod_{l != j}(a_j - a_l)
 *   (last row: 1 at k = r - 1), B^T row j = coefficients of prod_{l != j}(x - a_l) (last row:
 *   those of prod_l (x - a_l)).
 * Then Y = A^T [(G g G^T) .* (B^T d B)] A for a T x T input tile d and an r x r filter g; it is a
 * correlation, like tf.conv2d, so filters are not flipped.
 *
 * Points: F(2x2,3x3) 0, +-1; F(4x4,3x3) 0, +-7/10, +-3/2 (Lavin, neon issue #224: about 4x more
 * accurate in float32 than 0, +-1, +-2); F(2x2,5x5) 0, +-1, +-2.
 */
import type { ConvGeometry } from '../geometry.ts';

export interface WinogradVariant {
  name: 'winograd-f2x2-3x3' | 'winograd-f4x4-3x3' | 'winograd-f2x2-5x5';
  m: number;
  r: number;
  points: number[];
}

export const WINOGRAD_VARIANTS: readonly WinogradVariant[] = [
  { name: 'winograd-f2x2-3x3', m: 2, r: 3, points: [0, 1, -1] },
  { name: 'winograd-f4x4-3x3', m: 4, r: 3, points: [0, 7 / 10, -7 / 10, 3 / 2, -3 / 2] },
  { name: 'winograd-f2x2-5x5', m: 2, r: 5, points: [0, 1, -1, 2, -2] },
];

/** Why this layer cannot use the variant, or null when it can. */
export function winogradUnsupported(g: ConvGeometry, v: WinogradVariant): string | null {
  if (g.kh !== v.r || g.kw !== v.r) return `needs a ${v.r}x${v.r} filter`;
  if (g.sh !== 1 || g.sw !== 1) return 'needs stride 1';
  if (g.dh !== 1 || g.dw !== 1) return 'needs dilation 1';
  return null;
}

/** Multiplies of the direct algorithm over Winograd's, per output tile. */
export function winogradMultiplyReduction(v: WinogradVariant): number {
  const T = v.m + v.r - 1;
  return (v.m * v.m * v.r * v.r) / (T * T);
}

export interface WinogradMatrices {
  T: number;
  m: number;
  r: number;
  /** [T][T] */
  BT: Float64Array;
  /** [T][r] */
  G: Float64Array;
  /** [m][T] */
  AT: Float64Array;
}

/** Coefficients (x^0 first) of prod over `roots` of (x - root). */
function polyFromRoots(roots: number[]): number[] {
  let coeffs = [1];
  for (const root of roots) {
    const next = new Array<number>(coeffs.length + 1).fill(0);
    for (let i = 0; i < coeffs.length; i++) {
      next[i + 1] += coeffs[i];
      next[i] -= root * coeffs[i];
    }
    coeffs = next;
  }
  return coeffs;
}

export function winogradMatrices(m: number, r: number, points: number[]): WinogradMatrices {
  const T = m + r - 1;
  if (points.length !== T - 1) throw new Error(`F(${m},${r}) needs ${T - 1} points`);
  const AT = new Float64Array(m * T);
  const G = new Float64Array(T * r);
  const BT = new Float64Array(T * T);
  for (let j = 0; j < T - 1; j++) {
    const a = points[j];
    for (let i = 0; i < m; i++) AT[i * T + j] = a ** i;
    const others = points.filter((_, l) => l !== j);
    const f = others.reduce((prod, b) => prod * (a - b), 1);
    for (let k = 0; k < r; k++) G[j * r + k] = a ** k / f;
    const row = polyFromRoots(others);
    for (let k = 0; k < T; k++) BT[j * T + k] = row[k] ?? 0;
  }
  AT[(m - 1) * T + T - 1] = 1;
  G[(T - 1) * r + r - 1] = 1;
  const last = polyFromRoots(points);
  for (let k = 0; k < T; k++) BT[(T - 1) * T + k] = last[k];
  return { T, m, r, BT, G, AT };
}

/**
 * U = G g G^T for every (input channel, filter) of an HWIO [r, r, c, k] filter, computed once
 * per weight tensor in float64: [T * T][c][k], the B operand of the per-position GEMMs.
 */
export function transformFilters(
  weights: Float32Array,
  c: number,
  k: number,
  w: WinogradMatrices,
): Float32Array {
  const { T, r, G } = w;
  const U = new Float32Array(T * T * c * k);
  const g = new Float64Array(r * r);
  const t = new Float64Array(T * r);
  for (let ch = 0; ch < c; ch++) {
    for (let o = 0; o < k; o++) {
      for (let i = 0; i < r * r; i++) g[i] = weights[(i * c + ch) * k + o];
      for (let i = 0; i < T; i++) {
        for (let j = 0; j < r; j++) {
          let s = 0;
          for (let l = 0; l < r; l++) s += G[i * r + l] * g[l * r + j];
          t[i * r + j] = s;
        }
      }
      for (let i = 0; i < T; i++) {
        for (let j = 0; j < T; j++) {
          let s = 0;
          for (let l = 0; l < r; l++) s += t[i * r + l] * G[j * r + l];
          U[((i * T + j) * c + ch) * k + o] = s;
        }
      }
    }
  }
  return U;
}
