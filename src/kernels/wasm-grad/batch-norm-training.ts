/**
 * Batch norm in training mode for tfjs-wasm, forward and backward, as two kernels of the lab's
 * own (tfjs has no such kernels: it composes tf.moments and FusedBatchNorm, whose gradients on
 * wasm tile a per-channel vector to the input's size and reduce over the leading axes with a
 * transpose each; that was two thirds of a training step of the compact models).
 *
 * Each kernel is two passes in JS over the wasm heap, channels innermost (sequential in NHWC
 * memory), with float64 per-channel sums: a reduction and an affine map per element, with no
 * arithmetic for XNNPACK to accelerate. The formulas (n values per channel):
 *
 *   forward:  mean = sum(x) / n,  var = sum(x^2) / n - mean^2,  s = gamma / sqrt(var + eps)
 *             y = s * (x - mean) + beta
 *   backward: dBeta = sum(dy),  dGamma = sum(dy * (x - mean)) / sqrt(var + eps)
 *             dx = s * (dy - dBeta / n - (x - mean) * dGamma / (n * sqrt(var + eps)))
 *
 * The backward one is the textbook batch-norm gradient (Ioffe & Szegedy 2015, section 3), the
 * statistics' own dependence on x included. The reference they are tested against is tfjs's
 * tf.moments + tf.batchNorm and its gradient on the cpu backend.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export const BATCH_NORM_TRAINING_FORWARD = 'LabBatchNormTrainingForward';
export const BATCH_NORM_TRAINING_BACKWARD = 'LabBatchNormTrainingBackward';

export interface BatchNormTrainingAttrs {
  epsilon: number;
}

/** Outputs: [y (x's shape), mean [C], biased variance [C]]. */
const forward: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as BackendWasm;
  const { x, gamma, beta } = inputs as Record<'x' | 'gamma' | 'beta', tf.TensorInfo>;
  const { epsilon } = attrs as unknown as BatchNormTrainingAttrs;
  const channels = x.shape[x.shape.length - 1];
  const n = tf.util.sizeFromShape(x.shape) / channels;

  const yInfo = wasm.makeOutput(x.shape, 'float32');
  const meanInfo = wasm.makeOutput([channels], 'float32');
  const varianceInfo = wasm.makeOutput([channels], 'float32');
  // Heap views after every allocation (an allocation may grow and move the heap).
  const xs = wasm.typedArrayFromHeap(x) as Float32Array;
  const ys = wasm.typedArrayFromHeap(yInfo) as Float32Array;
  const g = wasm.typedArrayFromHeap(gamma) as Float32Array;
  const b = wasm.typedArrayFromHeap(beta) as Float32Array;
  const meanOut = wasm.typedArrayFromHeap(meanInfo) as Float32Array;
  const varianceOut = wasm.typedArrayFromHeap(varianceInfo) as Float32Array;

  const sum = new Float64Array(channels);
  const sumOfSquares = new Float64Array(channels);
  for (let row = 0, i = 0; row < n; row++) {
    for (let c = 0; c < channels; c++, i++) {
      const v = xs[i];
      sum[c] += v;
      sumOfSquares[c] += v * v;
    }
  }
  const means = new Float64Array(channels);
  const scale = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const mean = sum[c] / n;
    const variance = Math.max(0, sumOfSquares[c] / n - mean * mean);
    means[c] = mean;
    meanOut[c] = mean;
    varianceOut[c] = variance;
    scale[c] = g[c] / Math.sqrt(variance + epsilon);
  }
  for (let row = 0, i = 0; row < n; row++) {
    for (let c = 0; c < channels; c++, i++) ys[i] = (xs[i] - means[c]) * scale[c] + b[c];
  }
  return [yInfo, meanInfo, varianceInfo];
};

/** Inputs dy, x, gamma and the forward's mean and variance; outputs [dx, dGamma, dBeta]. */
const backward: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as BackendWasm;
  const named = inputs as Record<'dy' | 'x' | 'gamma' | 'mean' | 'variance', tf.TensorInfo>;
  const { epsilon } = attrs as unknown as BatchNormTrainingAttrs;
  const channels = named.x.shape[named.x.shape.length - 1];
  const n = tf.util.sizeFromShape(named.x.shape) / channels;

  const dxInfo = wasm.makeOutput(named.x.shape, 'float32');
  const dGammaInfo = wasm.makeOutput([channels], 'float32');
  const dBetaInfo = wasm.makeOutput([channels], 'float32');
  const dys = wasm.typedArrayFromHeap(named.dy) as Float32Array;
  const xs = wasm.typedArrayFromHeap(named.x) as Float32Array;
  const g = wasm.typedArrayFromHeap(named.gamma) as Float32Array;
  const means = wasm.typedArrayFromHeap(named.mean) as Float32Array;
  const variances = wasm.typedArrayFromHeap(named.variance) as Float32Array;
  const dxs = wasm.typedArrayFromHeap(dxInfo) as Float32Array;
  const dGammaOut = wasm.typedArrayFromHeap(dGammaInfo) as Float32Array;
  const dBetaOut = wasm.typedArrayFromHeap(dBetaInfo) as Float32Array;

  const sumDy = new Float64Array(channels);
  const sumDyCentered = new Float64Array(channels);
  for (let row = 0, i = 0; row < n; row++) {
    for (let c = 0; c < channels; c++, i++) {
      const d = dys[i];
      sumDy[c] += d;
      sumDyCentered[c] += d * (xs[i] - means[c]);
    }
  }
  // dx = s*dy + a*(x - mean) + b per channel.
  const s = new Float64Array(channels);
  const a = new Float64Array(channels);
  const b = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const invStd = 1 / Math.sqrt(variances[c] + epsilon);
    const dGamma = sumDyCentered[c] * invStd;
    dGammaOut[c] = dGamma;
    dBetaOut[c] = sumDy[c];
    s[c] = g[c] * invStd;
    a[c] = (-s[c] * invStd * dGamma) / n;
    b[c] = (-s[c] * sumDy[c]) / n;
  }
  for (let row = 0, i = 0; row < n; row++) {
    for (let c = 0; c < channels; c++, i++) {
      dxs[i] = s[c] * dys[i] + a[c] * (xs[i] - means[c]) + b[c];
    }
  }
  return [dxInfo, dGammaInfo, dBetaInfo];
};

export const batchNormTrainingForwardConfig: tf.KernelConfig = {
  kernelName: BATCH_NORM_TRAINING_FORWARD,
  backendName: 'wasm',
  kernelFunc: forward,
};

export const batchNormTrainingBackwardConfig: tf.KernelConfig = {
  kernelName: BATCH_NORM_TRAINING_BACKWARD,
  backendName: 'wasm',
  kernelFunc: backward,
};
