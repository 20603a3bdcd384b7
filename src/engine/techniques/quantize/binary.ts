/**
 * BinaryConnect (Courbariaux, Bengio, David, NIPS 2015): every weight of a quantized kernel is
 * sign(w) (sign(0) = +1) times one scale per tensor, s = mean |w| (without it LeNet's float
 * activations would grow 20x; BinaryConnect's networks have batch norm to absorb it). Inputs
 * stay float. Training updates the float latent weights through the straight-through
 * estimator, dL/dw = dL/dw_b where |w| <= 1 and 0 elsewhere, and clips them to [-1, 1] after
 * every update, as the paper does. Stored as 1 bit a weight plus the scale (coding 'binary').
 */
import * as tf from '@tensorflow/tfjs';
import type { BinaryCoding } from '../../model/coding.ts';
import type { LayerGraph, WeightTensor } from '../../model/graph.ts';
import { binarizeFilters, binaryScales, signOf } from '../../model/binary-arithmetic.ts';
import { registerTransform, type TensorTransform } from '../../model/transforms.ts';
import { techniqueSpec } from '../catalog.ts';
import { choiceParam, numberParam, type Technique } from '../technique.ts';
import { trainRequest } from '../train/training-params.ts';
import { chooseLayers, codingSummary, kernelOf } from './binary-common.ts';
import { clipLatent } from './tang.ts';

export const BINARY_CONNECT_TRANSFORM = 'binaryconnect';

const binarizeTensor = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const w = args[0] as tf.Tensor;
  (args[1] as tf.GradSaveFunc)([w]);
  const axes = Array.from({ length: w.rank }, (_, i) => i);
  return {
    value: tf.mul(signOf(w), tf.reshape(binaryScales(w, axes), [])),
    gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) =>
      tf.mul(dy, tf.cast(tf.lessEqual(tf.abs(saved), 1), 'float32')),
  };
});

/**
 * +-scale per output channel (the last axis) or one scale for the tensor (`perChannel` false):
 * scale = mean |w| summed in float64, so that it matches the XNOR kernels' alpha to the bit.
 */
export function binaryOf(
  values: Float32Array,
  shape: readonly number[],
  perChannel: boolean,
): { values: Float32Array; coding: BinaryCoding } {
  const channels = perChannel ? shape[shape.length - 1] : 1;
  const sums = new Float64Array(channels);
  for (let i = 0; i < values.length; i++) sums[i % channels] += Math.abs(values[i]);
  const scales = Float32Array.from(sums, (s) => s / (values.length / channels));
  const out = values.map((v, i) => (v < 0 ? -scales[i % channels] : scales[i % channels]));
  return { values: out, coding: { kind: 'binary', scales } };
}

const binaryConnectTransform: TensorTransform = {
  id: BINARY_CONNECT_TRANSFORM,
  apply: (x) => binarizeTensor(x) as tf.Tensor,
  coding: (values, shape) => binaryOf(values, shape, false),
};
registerTransform(binaryConnectTransform);

/**
 * XNOR-Net's binary-weight networks (Rastegari et al. 2016, section 3.1): alpha * sign(W) with
 * alpha = mean |W| per output filter and the paper's gradient; inputs stay float.
 */
export const BINARY_FILTERS_TRANSFORM = 'binary-filters';

registerTransform({
  id: BINARY_FILTERS_TRANSFORM,
  apply: (x) => binarizeFilters(x),
  coding: (values, shape) => binaryOf(values, shape, true),
});

/** Stores a binarized kernel as its +-scale floats with their coding (see ttq.ts freezeTtq). */
export function freezeBinary(w: WeightTensor, perChannel: boolean): BinaryCoding {
  const frozen = binaryOf(w.values, w.shape, perChannel);
  w.values = frozen.values;
  w.coding = frozen.coding;
  return frozen.coding;
}

export const binaryConnect: Technique = {
  ...techniqueSpec('binaryconnect'),
  async apply(graph: LayerGraph, params, context) {
    const { layers, skipped } = chooseLayers(graph, params, (node) =>
      node.weights.some((w) => w.prunable) ? undefined : 'has no kernel to binarize',
    );
    const kernels = layers.map(kernelOf);
    const perFilter = choiceParam<'layer' | 'filter'>(params, 'scale') === 'filter';
    for (const w of kernels) {
      w.transform = {
        id: perFilter ? BINARY_FILTERS_TRANSFORM : BINARY_CONNECT_TRANSFORM,
        params: {},
      };
      w.coding = undefined;
    }
    const training =
      numberParam(params, 'epochs') > 0
        ? await context.train(graph, {
            ...trainRequest(params),
            afterUpdate: clipLatent(kernels.map((w) => w.name)),
          })
        : null;
    // Per filter: the mean of a layer's alphas (the step report keeps one number a layer).
    const scales: Record<string, number> = {};
    for (const [k, w] of kernels.entries()) {
      const frozen = freezeBinary(w, perFilter).scales;
      scales[layers[k].name] = frozen.reduce((sum, a) => sum + a, 0) / frozen.length;
    }
    const summary = codingSummary(graph);
    return {
      binary: scales,
      skipped,
      codedBytes: summary.bytes,
      training: training?.epochs,
    };
  },
};
