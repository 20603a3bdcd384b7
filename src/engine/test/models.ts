/**
 * Small tfjs models for engine tests, built with tfjs's own layers API the way a user would:
 * a sequential CNN with batch norm and a depthwise conv, and a functional model with branches
 * (Add and Concatenate). Weights are seeded and batch-norm statistics set away from their
 * defaults, so a layer computed wrongly changes the predictions.
 */
import * as tf from '@tensorflow/tfjs';
import { LayerGraph } from '../model/graph.ts';
import { createRng } from '../util/random.ts';

/** Gives every weight seeded values (moving variances stay positive). */
export function randomizeWeights(model: tf.LayersModel, seed: number, scale = 0.3): void {
  const rng = createRng(seed);
  for (const layer of model.layers) {
    const values = layer.getWeights().map((w, k) => {
      const name = layer.weights[k].originalName;
      const data = Float32Array.from({ length: w.size }, () => (rng() * 2 - 1) * scale);
      if (name.endsWith('moving_variance') || name.endsWith('gamma')) {
        for (let i = 0; i < data.length; i++) data[i] = 0.5 + Math.abs(data[i]);
      }
      return tf.tensor(data, w.shape);
    });
    if (values.length) layer.setWeights(values);
    tf.dispose(values);
  }
}

export function userCnn(): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.reshape({ inputShape: [784], targetShape: [28, 28, 1] }),
      tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', name: 'c1' }),
      tf.layers.batchNormalization({ name: 'bn1' }),
      tf.layers.activation({ activation: 'relu' }),
      tf.layers.depthwiseConv2d({
        kernelSize: 3,
        depthMultiplier: 2,
        padding: 'valid',
        name: 'dw',
      }),
      tf.layers.averagePooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 1, activation: 'elu', name: 'pw' }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dropout({ rate: 0.2 }),
      tf.layers.dense({ units: 10, activation: 'softmax', name: 'out' }),
    ],
  });
  randomizeWeights(model, 7);
  return model;
}

/**
 * A residual block (conv -> bn -> relu -> conv -> bn, added to its shortcut), an inception-like
 * pair of branches concatenated, padding, pooling and a dense head.
 */
export function branchyModel(): tf.LayersModel {
  const input = tf.input({ shape: [28, 28, 1], name: 'digits' });
  const stem = tf.layers
    .conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', name: 'stem' })
    .apply(input) as tf.SymbolicTensor;
  const a = tf.layers
    .conv2d({ filters: 6, kernelSize: 3, padding: 'same', name: 'res_a' })
    .apply(stem);
  const aBn = tf.layers.batchNormalization({ name: 'res_a_bn' }).apply(a);
  const aRelu = tf.layers.reLU({ maxValue: 6, name: 'res_a_relu6' }).apply(aBn);
  const b = tf.layers
    .conv2d({ filters: 6, kernelSize: 3, padding: 'same', name: 'res_b' })
    .apply(aRelu);
  const bBn = tf.layers.batchNormalization({ name: 'res_b_bn' }).apply(b);
  const sum = tf.layers.add({ name: 'res_add' }).apply([bBn, stem] as tf.SymbolicTensor[]);
  const act = tf.layers.leakyReLU({ alpha: 0.1, name: 'res_out' }).apply(sum);
  const pooled = tf.layers.maxPooling2d({ poolSize: 2, name: 'pool' }).apply(act);
  const left = tf.layers
    .conv2d({ filters: 4, kernelSize: 1, activation: 'relu', name: 'branch_1x1' })
    .apply(pooled);
  const padded = tf.layers.zeroPadding2d({ padding: 1, name: 'pad' }).apply(pooled);
  const right = tf.layers
    .conv2d({ filters: 5, kernelSize: 3, activation: 'tanh', name: 'branch_3x3' })
    .apply(padded);
  const joined = tf.layers
    .concatenate({ name: 'concat' })
    .apply([left, right] as tf.SymbolicTensor[]);
  const flat = tf.layers.flatten({ name: 'flatten' }).apply(joined);
  const hidden = tf.layers.dense({ units: 12, activation: 'sigmoid', name: 'fc1' }).apply(flat);
  const logits = tf.layers.dense({ units: 10, name: 'fc2' }).apply(hidden);
  const output = tf.layers.softmax({ name: 'probabilities' }).apply(logits) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output, name: 'branchy' });
  randomizeWeights(model, 11);
  return model;
}

/**
 * Two dense layers whose kernels hold known magnitudes: a's 1..12 and b's 13..18, signs
 * alternating; biases 9 and 0.1. For pruning tests computed by hand.
 */
export async function twoDenseGraph(): Promise<LayerGraph> {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [4], units: 3, name: 'a' }),
      tf.layers.dense({ units: 2, name: 'b' }),
    ],
  });
  model.getLayer('a').setWeights([
    tf.tensor2d(
      Array.from({ length: 12 }, (_, i) => (i % 2 ? -1 : 1) * (i + 1)),
      [4, 3],
    ),
    tf.fill([3], 9),
  ]);
  model.getLayer('b').setWeights([
    tf.tensor2d(
      Array.from({ length: 6 }, (_, i) => (i % 2 ? -1 : 1) * (i + 13)),
      [3, 2],
    ),
    tf.fill([2], 0.1),
  ]);
  const graph = await LayerGraph.fromModel(model);
  model.dispose();
  return graph;
}
