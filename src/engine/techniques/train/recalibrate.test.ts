/**
 * bn-recalibrate on the shipped squeezenet: the statistics it sets against independent
 * computations (a plain conv + float64 moments for the first norm; the exact layer-by-layer
 * statistics `npm run train` stored in the model for all of them), what it does after pruning,
 * and the message for a model without batch norm.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digitsToTensor } from '../../data/batches.ts';
import { loadDigitSplit, type DigitSplit } from '../../data/digits.ts';
import { Lab } from '../../lab.ts';
import { LayerGraph } from '../../model/graph.ts';
import { useNodeBackend } from '../../node/backend.ts';
import { parseRecipe } from '../../recipe/share.ts';
import { publicAssets, shippedGraph } from '../../test/fixtures.ts';
import { pruneGlobalMagnitude } from '../prune/magnitude.ts';
import { recalibrateBatchNorm } from './recalibrate.ts';

let train: DigitSplit;
let lab: Lab;

beforeAll(async () => {
  await useNodeBackend('wasm');
  train = await loadDigitSplit(publicAssets, 'train');
  lab = new Lab({ read: publicAssets });
});

afterAll(async () => {
  await lab.dispose();
});

const role = (graph: LayerGraph, node: string, r: string) =>
  graph.node(node).weights.find((w) => w.role === r)!.values;

function maxRelativeDifference(actual: ArrayLike<number>, expected: ArrayLike<number>) {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(
      worst,
      Math.abs(actual[i] - expected[i]) / Math.max(1e-3, Math.abs(expected[i])),
    );
  }
  return worst;
}

describe('recalibrateBatchNorm', () => {
  it('sets the first norm to the moments of conv1 over the digits (plain reference)', async () => {
    const graph = await shippedGraph('squeezenet');
    pruneGlobalMagnitude(graph, 0.5);
    const count = 600; // not a multiple of the 250-digit chunks
    await recalibrateBatchNorm(graph, train, count);

    // conv1 alone with the pruned kernel, then per-channel moments in float64.
    const conv = graph.node('conv1');
    const y = tf.tidy(() => {
      const x = digitsToTensor(train, 0, count, [28, 28, 1]) as tf.Tensor4D;
      const kernel = tf.tensor4d(
        conv.weights[0].values,
        conv.weights[0].shape as [number, number, number, number],
      );
      const bias = tf.tensor1d(conv.weights[1].values);
      return tf.add(tf.conv2d(x, kernel, 1, 'valid'), bias);
    });
    const values = await y.data();
    const channels = y.shape[3]!;
    y.dispose();
    const mean = new Float64Array(channels);
    const square = new Float64Array(channels);
    const n = values.length / channels;
    for (let i = 0; i < values.length; i++) {
      mean[i % channels] += values[i] / n;
      square[i % channels] += (values[i] * values[i]) / n;
    }
    const variance = mean.map((m, c) => square[c] - m * m);
    expect(maxRelativeDifference(role(graph, 'conv1_bn', 'moving_mean'), mean)).toBeLessThan(1e-4);
    expect(
      maxRelativeDifference(role(graph, 'conv1_bn', 'moving_variance'), variance),
    ).toBeLessThan(1e-4);
  });

  it('on the unpruned model, gives back the exact statistics npm run train stored', async () => {
    // scripts/train.ts set them layer by layer, each from its own probe model, over the same
    // first 2,000 training digits; here all norms are estimated in one chunked pass.
    const graph = await shippedGraph('squeezenet');
    const norms = graph.nodes.filter((n) => n.className === 'BatchNormalization');
    const stored = norms.map((n) => [
      role(graph, n.name, 'moving_mean').slice(),
      role(graph, n.name, 'moving_variance').slice(),
    ]);
    // Disturb them first, so nothing can pass by leaving them alone.
    for (const n of norms) role(graph, n.name, 'moving_mean').fill(5);
    const names = await recalibrateBatchNorm(graph, train, 2000);
    expect(names).toEqual(norms.map((n) => n.name));
    norms.forEach((n, i) => {
      const [mean, variance] = stored[i];
      // Relative to the channel's spread: chunk statistics upstream differ slightly.
      const spread = Array.from(variance, Math.sqrt);
      const meanError = Math.max(
        ...Array.from(
          role(graph, n.name, 'moving_mean'),
          (m, c) => Math.abs(m - mean[c]) / Math.max(1e-3, spread[c]),
        ),
      );
      expect(meanError).toBeLessThan(0.02);
      expect(maxRelativeDifference(role(graph, n.name, 'moving_variance'), variance)).toBeLessThan(
        0.05,
      );
    });
  });
});

describe('bn-recalibrate as a recipe step', () => {
  // At 50% the shipped squeezenet (trained with an L1 penalty) loses nothing; at 80% its batch
  // norms' stored statistics no longer fit (78.2% pruned, 95.1% recalibrated when written).
  it('after pruning squeezenet to 80% recovers accuracy without changing a weight', async () => {
    const pruned = await lab.run(parseRecipe('model=squeezenet&steps=prune(fraction=0.8)'));
    const recalibrated = await lab.run(
      parseRecipe('model=squeezenet&steps=prune(fraction=0.8);bn-recalibrate(digits=2000)'),
    );
    expect(recalibrated.accuracy).toBeGreaterThan(pruned.accuracy + 0.05);
    expect(recalibrated.params).toBe(pruned.params);
    // Every kernel keeps its nonzero weights. (The stored size may shrink a little: a channel
    // whose whole filter was pruned gets a moving variance of exactly 0.)
    const kernelNonzeros = (r: typeof pruned) =>
      r.layers.filter((l) => l.kernelShape).map((l) => [l.name, l.nonzeroParams]);
    expect(kernelNonzeros(recalibrated)).toEqual(kernelNonzeros(pruned));
  });

  it('refuses a model without batch norm, naming the reason', async () => {
    await expect(
      lab.run(parseRecipe('model=lenet5&steps=prune(fraction=0.5);bn-recalibrate(digits=2000)')),
    ).rejects.toThrow('bn-recalibrate: this model has no batch norm layers to recalibrate');
  });
});
