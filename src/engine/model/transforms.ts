/**
 * Forward-pass transforms of weights and activations (as torch.nn.utils.parametrize and
 * fake-quantization do): a layer computes with transform(raw weight) while training updates the
 * raw weight. A transform without a gradient of its own (rounding, sign) passes the gradient
 * straight through (the straight-through estimator of Bengio et al. 2013, used by BinaryConnect,
 * XNOR-Net, TTQ and quantization-aware training). Techniques register transforms here; the graph
 * names them by id so a transformed graph stays plain data.
 */
import * as tf from '@tensorflow/tfjs';

import type { WeightCoding } from './coding.ts';

export type TransformParams = Readonly<Record<string, number>>;

/**
 * The transform's own tensors (WeightTransformRef.tensors) on the active backend: trainable ones
 * are variables while fine-tuning, so gradients reach them through `apply` (a codebook gathered
 * by fixed indices gets its gradients summed per cluster, as Deep Compression's centroid
 * fine-tuning does).
 */
export type TransformTensors = Readonly<Record<string, tf.Tensor>>;

export interface TensorTransform {
  readonly id: string;
  /**
   * Returns the transformed tensor; must be differentiable or use `straightThrough`. A weight's
   * mask is applied after the transform, so pruned weights stay exactly zero whatever it does.
   */
  apply(x: tf.Tensor, params: TransformParams, tensors: TransformTensors): tf.Tensor;
  /**
   * For weight transforms that quantize: how the transformed weight is stored (see coding.ts),
   * computed on host values. `values` is the raw weight with its mask applied, `tensors` the
   * transform's tensors; returns the stored floats (equal to what `apply` computes) and their
   * coding. Absent: the transformed weight is stored as 32-bit floats.
   */
  coding?(
    values: Float32Array,
    shape: readonly number[],
    params: TransformParams,
    tensors: Readonly<Record<string, Float32Array>>,
    mask: Uint8Array | undefined,
  ): { values: Float32Array; coding: WeightCoding };
}

/** Wraps `forward` so that its gradient is the identity: dL/dx = dL/dy. */
export function straightThrough(forward: (x: tf.Tensor) => tf.Tensor): (x: tf.Tensor) => tf.Tensor {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor;
    return { value: forward(x), gradFunc: (dy: tf.Tensor) => dy };
  });
  return (x) => op(x) as tf.Tensor;
}

/**
 * Symmetric linear fake-quantization to `bits` bits per tensor (scale = max|x| / (2^(bits-1) - 1)),
 * with a straight-through gradient: the simplest quantizer, and the one the engine's tests use
 * to show that a transform with an STE trains.
 */
const uniform: TensorTransform = {
  id: 'uniform',
  apply(x, params) {
    const levels = 2 ** ((params.bits ?? 8) - 1) - 1;
    return straightThrough((v) =>
      tf.tidy(() => {
        const scale = tf.div(tf.maximum(tf.max(tf.abs(v)), 1e-12), levels);
        return tf.mul(tf.round(tf.div(v, scale)), scale);
      }),
    )(x);
  },
};

const registry = new Map<string, TensorTransform>([[uniform.id, uniform]]);

export function registerTransform(transform: TensorTransform): void {
  registry.set(transform.id, transform);
}

export function hasTransform(id: string): boolean {
  return registry.has(id);
}

export function getTransform(id: string): TensorTransform {
  const transform = registry.get(id);
  if (!transform) throw new Error(`unknown tensor transform "${id}"`);
  return transform;
}
