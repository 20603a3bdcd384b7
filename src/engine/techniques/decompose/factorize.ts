/**
 * Factorizations of a layer's kernel, on host arrays, in tfjs layouts:
 * - dense W [in, out] (SVD, truncated): W ~ A B with A = U_r sqrt(S_r) [in, r] and
 *   B = sqrt(S_r) V_r^T [r, out], the singular values split evenly between the two layers;
 * - conv K [kh, kw, S, T] (HWIO; Tucker-2 over the channel modes, Kim et al. 2016):
 *   K[i,j,s,t] ~ sum_{a,b} C[i,j,a,b] U_in[s,a] U_out[t,b], with U_in, U_out the leading left
 *   singular vectors of the input- and output-channel unfoldings (HOSVD), refined by a few
 *   alternating (HOOI) sweeps as the partial_tucker the paper's tools use.
 */
import { makeCheckpoint, type Checkpoint } from '../../cancel.ts';
import { leadingLeftVectors, matrix, svd, type Matrix, type Svd } from './linalg.ts';

export interface DenseFactors {
  /** [in, r] */
  readonly first: Float32Array;
  /** [r, out] */
  readonly second: Float32Array;
}

export function denseMatrix(values: ArrayLike<number>, inUnits: number, units: number): Matrix {
  return matrix(inUnits, units, values);
}

/** The SVD of a dense kernel [in, out]. */
export function denseSvd(
  values: ArrayLike<number>,
  inUnits: number,
  units: number,
  checkpoint: Checkpoint = makeCheckpoint(),
): Promise<Svd> {
  return svd(denseMatrix(values, inUnits, units), checkpoint);
}

/** Truncated SVD factors of a dense kernel at rank r, from its SVD. */
export function svdFactors(decomposition: Svd, rank: number): DenseFactors {
  const { u, s, v } = decomposition;
  const k = s.length;
  const inUnits = u.rows;
  const units = v.rows;
  const first = new Float32Array(inUnits * rank);
  const second = new Float32Array(rank * units);
  for (let c = 0; c < rank; c++) {
    const root = Math.sqrt(s[c]);
    for (let i = 0; i < inUnits; i++) first[i * rank + c] = u.data[i * k + c] * root;
    for (let j = 0; j < units; j++) second[c * units + j] = root * v.data[j * k + c];
  }
  return { first, second };
}

export interface ConvShape {
  readonly kh: number;
  readonly kw: number;
  readonly inC: number;
  readonly outC: number;
}

/** Mode unfolding of an HWIO kernel: 'in' gives [S, kh*kw*T], 'out' gives [T, kh*kw*S]. */
export function unfold(values: ArrayLike<number>, shape: ConvShape, mode: 'in' | 'out'): Matrix {
  const { kh, kw, inC, outC } = shape;
  const spatial = kh * kw;
  const rows = mode === 'in' ? inC : outC;
  const cols = spatial * (mode === 'in' ? outC : inC);
  const out = new Float64Array(rows * cols);
  for (let p = 0; p < spatial; p++) {
    for (let s = 0; s < inC; s++) {
      for (let t = 0; t < outC; t++) {
        const v = values[(p * inC + s) * outC + t];
        if (mode === 'in') out[s * cols + p * outC + t] = v;
        else out[t * cols + p * inC + s] = v;
      }
    }
  }
  return { rows, cols, data: out };
}

/** K multiplied along its input-channel mode by U^T (U: S x a) -> [kh, kw, a, T]. */
async function projectIn(
  values: ArrayLike<number>,
  shape: ConvShape,
  u: Matrix,
  checkpoint: Checkpoint,
): Promise<Float64Array> {
  const { kh, kw, inC, outC } = shape;
  const a = u.cols;
  const out = new Float64Array(kh * kw * a * outC);
  for (let p = 0; p < kh * kw; p++) {
    for (let s = 0; s < inC; s++) {
      await checkpoint();
      for (let r = 0; r < a; r++) {
        const coef = u.data[s * a + r];
        if (coef === 0) continue;
        const src = (p * inC + s) * outC;
        const dst = (p * a + r) * outC;
        for (let t = 0; t < outC; t++) out[dst + t] += coef * values[src + t];
      }
    }
  }
  return out;
}

/** K multiplied along its output-channel mode by U^T (U: T x b) -> [kh, kw, S, b]. */
async function projectOut(
  values: ArrayLike<number>,
  shape: ConvShape,
  u: Matrix,
  checkpoint: Checkpoint,
): Promise<Float64Array> {
  const { kh, kw, inC, outC } = shape;
  const b = u.cols;
  const out = new Float64Array(kh * kw * inC * b);
  for (let row = 0; row < kh * kw * inC; row++) {
    await checkpoint();
    for (let t = 0; t < outC; t++) {
      const v = values[row * outC + t];
      if (v === 0) continue;
      for (let r = 0; r < b; r++) out[row * b + r] += v * u.data[t * b + r];
    }
  }
  return out;
}

export interface TuckerFactors {
  /** [1, 1, S, rankIn]: the first 1x1 conv. */
  readonly first: Float32Array;
  /** [kh, kw, rankIn, rankOut]: the core conv. */
  readonly core: Float32Array;
  /** [1, 1, rankOut, T]: the last 1x1 conv. */
  readonly last: Float32Array;
  /** Relative Frobenius error of the approximation. */
  readonly relativeError: number;
  readonly iterations: number;
}

const sumSquares = (values: ArrayLike<number>) => {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] * values[i];
  return sum;
};

/**
 * Every left singular vector of a kernel's two channel unfoldings: the HOSVD start of Tucker-2
 * at any ranks is their leading columns, so callers that try several ranks compute it once.
 */
export interface HosvdBasis {
  /** [S, S] */
  readonly in: Matrix;
  /** [T, T] */
  readonly out: Matrix;
}

export async function hosvdBasis(
  values: ArrayLike<number>,
  shape: ConvShape,
  checkpoint: Checkpoint = makeCheckpoint(),
): Promise<HosvdBasis> {
  const all = async (mode: 'in' | 'out', rank: number) =>
    (await leadingLeftVectors(unfold(values, shape, mode), rank, checkpoint)).vectors;
  return { in: await all('in', shape.inC), out: await all('out', shape.outC) };
}

/** The first `count` columns of m (the same numbers leadingLeftVectors gives at that rank). */
function leadingColumns(m: Matrix, count: number): Matrix {
  const out = new Float64Array(m.rows * count);
  for (let i = 0; i < m.rows; i++)
    for (let c = 0; c < count; c++) out[i * count + c] = m.data[i * m.cols + c];
  return { rows: m.rows, cols: count, data: out };
}

/**
 * Tucker-2 of an HWIO kernel: HOSVD initialization (from `basis` when given, else computed),
 * then up to `maxIterations` HOOI sweeps (stopping when the fit improves by less than 1e-4, as
 * the reference's tolerance).
 */
export async function tucker2Factors(
  values: ArrayLike<number>,
  shape: ConvShape,
  rankIn: number,
  rankOut: number,
  maxIterations = 10,
  checkpoint: Checkpoint = makeCheckpoint(),
  basis?: HosvdBasis,
): Promise<TuckerFactors> {
  const { kh, kw, inC, outC } = shape;
  const leading = async (m: Matrix, rank: number) =>
    (await leadingLeftVectors(m, rank, checkpoint)).vectors;
  let uIn = basis
    ? leadingColumns(basis.in, rankIn)
    : await leading(unfold(values, shape, 'in'), rankIn);
  let uOut = basis
    ? leadingColumns(basis.out, rankOut)
    : await leading(unfold(values, shape, 'out'), rankOut);
  const total = sumSquares(values);
  const coreOf = async () =>
    projectIn(
      await projectOut(values, shape, uOut, checkpoint),
      { kh, kw, inC, outC: rankOut },
      uIn,
      checkpoint,
    );
  // With orthonormal factors, ||K - approx||^2 = ||K||^2 - ||core||^2.
  const errorOf = (core: Float64Array) =>
    total > 0 ? Math.sqrt(Math.max(0, total - sumSquares(core)) / total) : 0;
  let core = await coreOf();
  let error = errorOf(core);
  let iterations = 0;
  const exact = rankIn === inC && rankOut === outC;
  while (!exact && iterations < maxIterations) {
    iterations++;
    const byOut = await projectOut(values, shape, uOut, checkpoint); // [kh, kw, S, rankOut]
    uIn = await leading(unfold(byOut, { kh, kw, inC, outC: rankOut }, 'in'), rankIn);
    const byIn = await projectIn(values, shape, uIn, checkpoint); // [kh, kw, rankIn, T]
    uOut = await leading(unfold(byIn, { kh, kw, inC: rankIn, outC }, 'out'), rankOut);
    core = await coreOf();
    const next = errorOf(core);
    const improved = error - next;
    error = next;
    if (improved < 1e-4) break;
  }
  const last = new Float32Array(rankOut * outC);
  for (let r = 0; r < rankOut; r++) {
    for (let t = 0; t < outC; t++) last[r * outC + t] = uOut.data[t * rankOut + r];
  }
  return {
    first: Float32Array.from(uIn.data),
    core: Float32Array.from(core),
    last,
    relativeError: error,
    iterations,
  };
}
