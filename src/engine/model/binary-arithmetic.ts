/**
 * The binary family's arithmetic (XNOR-Net, Rastegari et al. 2016; Tang et al. 2017): sign
 * functions with their straight-through gradients, the per-filter scales, and the XNOR conv and
 * dense products with Tang's multiple binarization of the input. The BinaryConnect and XNOR-Net
 * techniques (src/engine/techniques/quantize) and the general layer executor (layers.ts, which
 * keeps a binary layer's geometry, dropout, bias and activation) both call it from here.
 */
import * as tf from '@tensorflow/tfjs';

/** sign(x) with sign(0) = +1, as the XNOR kernels count it (bit 0 = +1). */
export function signOf(x: tf.Tensor): tf.Tensor {
  return tf.sub(tf.mul(tf.cast(tf.greaterEqual(x, 0), 'float32'), 2), 1);
}

/**
 * Binarized activations: forward sign(x); backward BinaryNet's straight-through estimator,
 * dy where |x| <= 1 and 0 elsewhere (XNOR-Net's BinActiveZ).
 */
export const binarizeActivations: (x: tf.Tensor) => tf.Tensor = (() => {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor;
    (args[1] as tf.GradSaveFunc)([x]);
    return {
      value: signOf(x),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.mul(dy, tf.cast(tf.lessEqual(tf.abs(saved[0]), 1), 'float32')),
    };
  });
  return (x: tf.Tensor) => op(x) as tf.Tensor;
})();

/**
 * mean |w| over `axes` (kept as size-1 dims). Where every |w| of a group is equal (weights
 * already stored as +-alpha) the common value itself, so binarizing stored binary weights
 * gives back exactly the stored floats (a float32 mean of equal values may not).
 */
export function binaryScales(w: tf.Tensor, axes: number[]): tf.Tensor {
  const abs = tf.abs(w);
  const max = tf.max(abs, axes, true);
  return tf.where(tf.equal(max, tf.min(abs, axes, true)), max, tf.mean(abs, axes, true));
}

/**
 * XNOR-Net's binary weights (section 3.1): alpha * sign(W), alpha = mean |W| per output
 * filter (the last axis). Gradient as the paper's: dC/dW = dC/dW~ * (1/n + alpha 1_{|W|<=1}).
 */
export const binarizeFilters: (w: tf.Tensor) => tf.Tensor = (() => {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const w = args[0] as tf.Tensor;
    const axes = Array.from({ length: w.rank - 1 }, (_, i) => i);
    const alpha = binaryScales(w, axes);
    (args[1] as tf.GradSaveFunc)([w, alpha]);
    return {
      value: tf.mul(signOf(w), alpha),
      gradFunc: (dy: tf.Tensor, [saved, a]: tf.Tensor[]) => {
        const n = saved.size / saved.shape[saved.rank - 1];
        const inside = tf.cast(tf.lessEqual(tf.abs(saved), 1), 'float32');
        return tf.mul(dy, tf.add(tf.mul(inside, a), 1 / n));
      },
    };
  });
  return (w: tf.Tensor) => op(w) as tf.Tensor;
})();

/** The most residual binarizations of the input a binary layer accepts (Tang et al. use 2). */
export const MAX_ACTIVATION_BINARIZATIONS = 4;

/**
 * Runs `term` on E_0 = x, E_1, ..., E_{m-1}, with E_i = E_{i-1} - A_i sign(E_{i-1}) and A_i the
 * mean |E_{i-1}| over `axis` (channels of a pixel, features of a digit), and sums the results:
 * A ~ sum_i A_i H_i (Tang et al. 2017); m = 1 is XNOR-Net's single binarization.
 */
function residualSum(
  x: tf.Tensor,
  m: number,
  axis: number,
  term: (e: tf.Tensor) => tf.Tensor,
): tf.Tensor {
  let residual = x;
  let sum: tf.Tensor | null = null;
  for (let i = 0; i < m; i++) {
    const y = term(residual);
    sum = sum ? tf.add(sum, y) : y;
    if (i + 1 < m) {
      const a = tf.mean(tf.abs(residual), axis, true);
      residual = tf.sub(residual, tf.mul(a, tf.sign(tf.add(tf.sign(residual), 0.5))));
    }
  }
  return sum!;
}

/** A binary product's input and how it is computed, as the layer executor hands them over. */
export interface BinaryProductInput<T extends tf.Tensor> {
  /** The layer's input (after any training dropout). */
  readonly input: T;
  /** The float (latent) kernel: [kh, kw, in, out] for conv, [in, out] for dense. */
  readonly kernel: T;
  /** How many residual binarizations approximate the input (1: XNOR-Net). */
  readonly binarizations: number;
  /**
   * A fast kernel computing the same binary product on one binarization's input (the
   * bit-packed XNOR/popcount kernels, for latency); absent: tf ops, with gradients.
   */
  readonly fast?: (x: tf.Tensor) => tf.Tensor;
}

export interface ConvGeometry {
  readonly strides: [number, number];
  readonly pad: 'same' | 'valid';
  readonly dilations: [number, number];
}

/**
 * XNOR-Net conv (section 3.2): (sign(I) conv sign(W)) * alpha * K, K the mean |I| over channels
 * box-filtered over each window (zero padding counts as 0). Before bias and activation.
 */
export function xnorConv2d(
  { input, kernel, binarizations, fast }: BinaryProductInput<tf.Tensor4D>,
  { strides, pad, dilations }: ConvGeometry,
): tf.Tensor {
  const [kh, kw] = kernel.shape;
  const filters = fast ? null : binarizeFilters(kernel);
  const box = tf.fill([kh, kw, 1, 1], 1 / (kh * kw)) as tf.Tensor4D;
  return residualSum(input, binarizations, 3, (e) => {
    if (fast) return fast(e);
    const dots = tf.conv2d(
      binarizeActivations(e) as tf.Tensor4D,
      filters as tf.Tensor4D,
      strides,
      pad,
      'NHWC',
      dilations,
    );
    const a = tf.mean(tf.abs(e), 3, true) as tf.Tensor4D;
    return tf.mul(dots, tf.conv2d(a, box, strides, pad, 'NHWC', dilations));
  });
}

/** XNOR-Net dense: (sign(x) . sign(W)) * alpha * mean |x| per digit. Before bias, activation. */
export function xnorDense({
  input,
  kernel,
  binarizations,
  fast,
}: BinaryProductInput<tf.Tensor2D>): tf.Tensor {
  const binary = fast ? null : binarizeFilters(kernel);
  return residualSum(input, binarizations, 1, (e) => {
    if (fast) return fast(e);
    const dots = tf.matMul(binarizeActivations(e) as tf.Tensor2D, binary as tf.Tensor2D);
    return tf.mul(dots, tf.mean(tf.abs(e), 1, true));
  });
}
