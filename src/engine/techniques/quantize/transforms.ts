/**
 * The quantization family's forward-pass transforms (registered with model/transforms.ts on
 * import). Weight transforms also say how the quantized weight is stored (`coding`), computed
 * on host values with float32 arithmetic in the order tfjs computes it, so the stored floats are
 * bit for bit what the layer computes with:
 * - `fixed-point`: linear fixed point, per tensor or per output channel, symmetric or asymmetric;
 *   the straight-through estimator trains the raw weights (quantization-aware fine-tuning).
 * - `codebook`: shared weights, codebook[indices]; the codebook trains (gradients summed per
 *   cluster by Gather's gradient), the indices stay (Deep Compression's centroid fine-tuning).
 * - `wq-levels`: weighted-entropy levels +-r_j chosen by |w| >= b_j (Park et al. 2017), with a
 *   straight-through gradient to the raw weights.
 * Activation (output) transforms, on layers whose outputs are ReLU's:
 * - `act-linear`: unsigned linear fixed point over [0, max];
 * - `act-log`: 0 or 2^(e0 + i*d), i = 0..2^bits - 2 (WQ's log quantization of activations).
 */
import * as tf from '@tensorflow/tfjs';
import type { WeightCoding } from '../../model/coding.ts';
import {
  registerTransform,
  straightThrough,
  type TensorTransform,
} from '../../model/transforms.ts';

const TINY = Math.fround(1e-12);
const f = Math.fround;

/** Round half to even, as tf.round does. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Per-channel (last axis) or whole-tensor quantization parameters, as `fixed-point` computes them. */
export function fixedPointScales(
  values: Float32Array,
  shape: readonly number[],
  bits: number,
  symmetric: boolean,
  perChannel: boolean,
): { scales: Float32Array; zeroPoints: Int32Array } {
  const channels = perChannel ? shape[shape.length - 1] : 1;
  const lo = new Float32Array(channels);
  const hi = new Float32Array(channels);
  for (let i = 0; i < values.length; i++) {
    const c = channels === 1 ? 0 : i % channels;
    if (symmetric) hi[c] = Math.max(hi[c], Math.abs(values[i]));
    else {
      lo[c] = Math.min(lo[c], values[i]);
      hi[c] = Math.max(hi[c], values[i]);
    }
  }
  const scales = new Float32Array(channels);
  const zeroPoints = new Int32Array(channels);
  for (let c = 0; c < channels; c++) {
    if (symmetric) {
      const half = 2 ** (bits - 1) - 1;
      scales[c] = Math.max(f(hi[c] / half), TINY);
      zeroPoints[c] = half;
    } else {
      scales[c] = Math.max(f(f(hi[c] - lo[c]) / (2 ** bits - 1)), TINY);
      zeroPoints[c] = roundHalfEven(f(-lo[c] / scales[c]));
    }
  }
  return { scales, zeroPoints };
}

const fixedPoint: TensorTransform = {
  id: 'fixed-point',
  apply(x, params) {
    const bits = params.bits;
    const symmetric = params.symmetric === 1;
    const channels = params.perChannel === 1 ? x.shape[x.shape.length - 1] : 1;
    return straightThrough((v) =>
      tf.tidy(() => {
        const rows = tf.reshape(v, [-1, channels]);
        let scale: tf.Tensor;
        let zero: tf.Tensor;
        if (symmetric) {
          const half = 2 ** (bits - 1) - 1;
          scale = tf.maximum(tf.div(tf.max(tf.abs(rows), 0), half), TINY);
          zero = tf.fill([channels], half);
        } else {
          const lo = tf.minimum(tf.min(rows, 0), 0);
          const hi = tf.maximum(tf.max(rows, 0), 0);
          scale = tf.maximum(tf.div(tf.sub(hi, lo), 2 ** bits - 1), TINY);
          zero = tf.round(tf.div(tf.neg(lo), scale));
        }
        const q = tf.clipByValue(tf.add(tf.round(tf.div(rows, scale)), zero), 0, 2 ** bits - 1);
        return tf.reshape(tf.mul(tf.sub(q, zero), scale), v.shape);
      }),
    )(x);
  },
  coding(values, shape, params) {
    const bits = params.bits;
    const { scales, zeroPoints } = fixedPointScales(
      values,
      shape,
      bits,
      params.symmetric === 1,
      params.perChannel === 1,
    );
    const channels = scales.length;
    const levels = new Uint16Array(values.length);
    const stored = new Float32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const c = channels === 1 ? 0 : i % channels;
      const q = Math.min(
        2 ** bits - 1,
        Math.max(0, roundHalfEven(f(values[i] / scales[c])) + zeroPoints[c]),
      );
      levels[i] = q;
      stored[i] = f((q - zeroPoints[c]) * scales[c]);
    }
    const coding: WeightCoding = { kind: 'fixed', bits, scales, zeroPoints, levels };
    return { values: stored, coding };
  },
};

const codebook: TensorTransform = {
  id: 'codebook',
  apply(x, _params, tensors) {
    // tfjs-wasm records Gather's output as 4-D, and its fused MatMul then refuses it as a bias
    // even after a reshape: adding 0 makes a tensor of the right rank (the gradient passes).
    return tf.tidy(() =>
      tf.add(
        tf.reshape(tf.gather(tensors.codebook, tf.cast(tensors.indices, 'int32')), x.shape),
        0,
      ),
    );
  },
  coding(_values, _shape, params, tensors) {
    const book = Float32Array.from(tensors.codebook);
    const indices = Uint16Array.from(tensors.indices);
    const stored = Float32Array.from(indices, (k) => book[k]);
    const coding: WeightCoding = {
      kind: 'codebook',
      bits: params.bits,
      codebook: book,
      indices,
      huffman: params.huffman === 1,
    };
    return { values: stored, coding };
  },
};

/** Index of `w` among WQ's levels: the largest j with |w| >= bounds[j] (bounds[0] = 0). */
function levelIndex(w: number, bounds: Float32Array): number {
  const m = Math.abs(w);
  let j = 0;
  for (let k = 1; k < bounds.length; k++) if (m >= bounds[k]) j = k;
  return j;
}

const wqLevels: TensorTransform = {
  id: 'wq-levels',
  apply(x, _params, tensors) {
    return straightThrough((v) =>
      tf.tidy(() => {
        const bounds = tensors.bounds;
        const magnitude = tf.abs(v);
        // j = how many of bounds[1..] |w| reaches.
        const above = tf.greaterEqual(
          tf.expandDims(magnitude, -1),
          tf.reshape(bounds, [...new Array<number>(v.rank).fill(1), -1]),
        );
        const j = tf.cast(tf.sub(tf.sum(tf.cast(above, 'int32'), -1), 1), 'int32');
        const r = tf.add(tf.gather(tensors.levels, j), 0); // a bias-safe rank (see codebook)
        return tf.where(tf.less(v, 0), tf.neg(r), r);
      }),
    )(x);
  },
  coding(values, _shape, params, tensors) {
    const levels = tensors.levels;
    const bounds = tensors.bounds;
    const half = levels.length;
    // Codebook: -r_(H-1) .. -r_0, r_0 .. r_(H-1).
    const book = new Float32Array(2 * half);
    for (let j = 0; j < half; j++) {
      book[half + j] = levels[j];
      book[half - 1 - j] = -levels[j];
    }
    const indices = new Uint16Array(values.length);
    const stored = new Float32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const j = levelIndex(values[i], bounds);
      indices[i] = values[i] < 0 ? half - 1 - j : half + j;
      stored[i] = book[indices[i]];
    }
    const coding: WeightCoding = {
      kind: 'codebook',
      bits: params.bits,
      codebook: book,
      indices,
      huffman: params.huffman === 1,
    };
    return { values: stored, coding };
  },
};

const actLinear: TensorTransform = {
  id: 'act-linear',
  apply(x, params) {
    const top = 2 ** params.bits - 1;
    const scale = Math.max(f(params.max / top), TINY);
    return straightThrough((v) =>
      tf.tidy(() => tf.mul(tf.clipByValue(tf.round(tf.div(v, scale)), 0, top), scale)),
    )(x);
  },
};

const actLog: TensorTransform = {
  id: 'act-log',
  apply(x, params) {
    const top = 2 ** params.bits - 2; // level 0 is zero, then 2^bits - 1 powers
    const { e0, d } = params;
    return straightThrough((v) =>
      tf.tidy(() => {
        const safe = tf.maximum(v, TINY);
        const index = tf.minimum(
          tf.round(tf.div(tf.sub(tf.div(tf.log(safe), Math.LN2), e0), d)),
          top,
        );
        const level = tf.pow(2, tf.add(tf.mul(tf.maximum(index, 0), d), e0));
        return tf.where(
          tf.logicalOr(tf.lessEqual(v, 0), tf.less(index, 0)),
          tf.zerosLike(v),
          level,
        );
      }),
    )(x);
  },
};

for (const t of [fixedPoint, codebook, wqLevels, actLinear, actLog]) registerTransform(t);

export const QUANTIZE_TRANSFORMS = [
  'fixed-point',
  'codebook',
  'wq-levels',
  'act-linear',
  'act-log',
];
