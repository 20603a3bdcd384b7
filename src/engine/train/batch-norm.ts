/**
 * Batch norm in training mode (normalized by the batch's own statistics) as one op with a
 * closed-form gradient.
 *
 * tfjs computes it as tf.moments followed by tf.batchNorm and differentiates the pieces: on
 * wasm the gradient of FusedBatchNorm tiles the inverse standard deviation to the input's full
 * size (a slow Tile kernel) and the moments' gradients add several reductions over the leading
 * axes (a transpose each): about two thirds of a training step of the compact models. Here the
 * gradient is the textbook one (Ioffe & Szegedy 2015, section 3; n values per channel):
 *
 *   xc = x - mean,  s = gamma / sqrt(var + eps),  y = s * xc + beta
 *   dBeta = sum(dy),  dGamma = sum(dy * xc) / sqrt(var + eps)
 *   dx = s * (dy - dBeta / n - xc * dGamma / (n * sqrt(var + eps)))
 *
 * On wasm both directions are the lab's kernels (src/kernels/wasm-grad/batch-norm-training.ts,
 * two passes over memory each); on other backends the same formulas in tf ops. The variance is
 * the biased one, as tf.moments computes it.
 */
import * as tf from '@tensorflow/tfjs';
import {
  BATCH_NORM_TRAINING_BACKWARD,
  BATCH_NORM_TRAINING_FORWARD,
} from '../../kernels/wasm-grad/batch-norm-training.ts';

export interface BatchNormInTraining {
  /** The normalized, scaled and shifted input; same shape as the input. */
  readonly output: tf.Tensor;
  /** The batch's per-channel mean and biased variance, kept: the caller disposes them. */
  readonly mean: tf.Tensor1D;
  readonly variance: tf.Tensor1D;
}

function useLabKernels(): boolean {
  return tf.getBackend() === 'wasm' && tf.getKernel(BATCH_NORM_TRAINING_FORWARD, 'wasm') != null;
}

/** The forward pass in tf ops: [y, mean, variance]. */
function forwardInOps(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number) {
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
  const { mean, variance } = tf.moments(x, axes);
  const y = tf.batchNorm(x, mean, variance, beta, gamma, epsilon);
  return [y, mean, variance] as [tf.Tensor, tf.Tensor1D, tf.Tensor1D];
}

/** The backward pass in tf ops: [dx, dGamma, dBeta]. */
function backwardInOps(
  dy: tf.Tensor,
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  mean: tf.Tensor1D,
  variance: tf.Tensor1D,
  epsilon: number,
): tf.Tensor[] {
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
  const n = x.size / x.shape[x.rank - 1];
  const invStd = tf.rsqrt(tf.add(variance, epsilon));
  const centered = tf.sub(x, mean);
  const dBeta = tf.sum(dy, axes);
  const dGamma = tf.mul(tf.sum(tf.mul(dy, centered), axes), invStd);
  const s = tf.mul(gamma, invStd);
  const a = tf.mul(tf.mul(s, tf.mul(invStd, dGamma)), -1 / n);
  const b = tf.mul(tf.mul(s, dBeta), -1 / n);
  const dx = tf.add(tf.add(tf.mul(dy, s), tf.mul(centered, a)), b);
  return [dx, dGamma, dBeta];
}

/**
 * Normalizes `x` over all axes but the last (channels) with the batch's statistics, then
 * applies `gamma` and `beta` (one entry per channel). Differentiable in x, gamma and beta.
 */
export function batchNormInTraining(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): BatchNormInTraining {
  const channels = x.shape[x.rank - 1];
  if (x.rank < 2 || gamma.size !== channels || beta.size !== channels) {
    throw new Error(
      `batch norm: input of shape [${x.shape.join(', ')}] does not match ${gamma.size} scales and ${beta.size} offsets`,
    );
  }
  const labKernels = useLabKernels();
  let statistics: { mean: tf.Tensor1D; variance: tf.Tensor1D } | undefined;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, scale, offset] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D];
    const save = args[3] as tf.GradSaveFunc;
    const [y, mean, variance] = labKernels
      ? (tf
          .engine()
          .runKernel(BATCH_NORM_TRAINING_FORWARD, { x: input, gamma: scale, beta: offset }, {
            epsilon,
          } as unknown as tf.NamedAttrMap) as [tf.Tensor, tf.Tensor1D, tf.Tensor1D])
      : forwardInOps(input, scale, offset, epsilon);
    save([input, scale, mean, variance]);
    // The forward pass runs inside a tidy: the statistics leave it kept.
    statistics = { mean: tf.keep(mean), variance: tf.keep(variance) };
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, g, m, v] = saved as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
        if (!labKernels) return backwardInOps(dy, xs, g, m, v, epsilon);
        return tf
          .engine()
          .runKernel(BATCH_NORM_TRAINING_BACKWARD, { dy, x: xs, gamma: g, mean: m, variance: v }, {
            epsilon,
          } as unknown as tf.NamedAttrMap) as tf.Tensor[];
      },
    };
  });
  const output = op(x, gamma, beta);
  return { output, mean: statistics!.mean, variance: statistics!.variance };
}

interface BatchNormLayer {
  call: (inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }) => tf.Tensor;
  readonly epsilon: number;
  readonly momentum: number;
  readonly gamma?: { read(): tf.Tensor };
  readonly beta?: { read(): tf.Tensor };
  readonly movingMean: { read(): tf.Tensor; write(value: tf.Tensor): void };
  readonly movingVariance: { read(): tf.Tensor; write(value: tf.Tensor): void };
  readonly axis: number;
}

/**
 * Makes the BatchNormalization layers of `model` use batchNormInTraining when called in
 * training mode (same function, same moving-average update as tfjs-layers'), until the
 * returned function restores them. Layers this cannot take (no scale or offset, an axis other
 * than the last) keep tfjs's own path.
 */
export function useFastBatchNorm(model: tf.LayersModel): () => void {
  const restores: (() => void)[] = [];
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const norm = layer as unknown as BatchNormLayer;
    if (norm.gamma == null || norm.beta == null) continue;
    const original = norm.call;
    norm.call = function (inputs, kwargs) {
      const input = Array.isArray(inputs) ? inputs[0] : inputs;
      const axis = norm.axis < 0 ? norm.axis + input.rank : norm.axis;
      if (!kwargs.training || axis !== input.rank - 1) return original.call(this, inputs, kwargs);
      return tf.tidy(() => {
        const { output, mean, variance } = batchNormInTraining(
          input,
          norm.gamma!.read() as tf.Tensor1D,
          norm.beta!.read() as tf.Tensor1D,
          norm.epsilon,
        );
        // tfjs-layers' update: moving -= (moving - batch) * (1 - momentum).
        for (const [moving, value] of [
          [norm.movingMean, mean],
          [norm.movingVariance, variance],
        ] as const) {
          tf.tidy(() => {
            const current = moving.read();
            moving.write(tf.sub(current, tf.mul(tf.sub(current, value), 1 - norm.momentum)));
          });
        }
        tf.dispose([mean, variance]);
        return output;
      });
    };
    restores.push(() => {
      norm.call = original;
    });
  }
  return () => restores.forEach((restore) => restore());
}
