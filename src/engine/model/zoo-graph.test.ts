/**
 * The compact designs (nin, squeezenet, inception, resnext) in the engine: the graph predicts
 * what tfjs predicts, MACs count every branch, structured pruning follows the channel ties of
 * Concatenate and Add, and a branch the engine cannot read is named.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digitsToTensor } from '../data/batches.ts';
import { loadDigitSplit, type DigitSplit } from '../data/digits.ts';
import { Lab } from '../lab.ts';
import { useNodeBackend } from '../node/backend.ts';
import { parseRecipe } from '../recipe/share.ts';
import { publicAssets, shippedGraph } from '../test/fixtures.ts';
import { modelJsonPath, type ShippedModelId } from './catalog.ts';
import { GraphEditError, removeChannels } from './edit.ts';
import { ModelLoadError } from './errors.ts';
import { LayerGraph } from './graph.ts';
import { modelFromArtifacts, readModelArtifacts } from './load.ts';
import { createPredictor } from './program.ts';

const COMPACT = ['nin', 'squeezenet', 'inception', 'resnext'] as const;

let test: DigitSplit;

beforeAll(async () => {
  test = await loadDigitSplit(publicAssets, 'test');
});

async function shippedModel(id: ShippedModelId): Promise<tf.LayersModel> {
  return modelFromArtifacts(await readModelArtifacts(publicAssets, modelJsonPath(id)), id);
}

async function graphPredictions(graph: LayerGraph, count: number): Promise<Float32Array> {
  const x = digitsToTensor(test, 0, count, graph.inputShape);
  const predictor = createPredictor(graph);
  const y = predictor.predict(x);
  const values = (await y.data()) as Float32Array;
  tf.dispose([x, y]);
  predictor.dispose();
  return values;
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/**
 * In a copy, zeroes the kernels and biases of the given output channels, and the shift and
 * moving mean of the batch norm behind them: such a channel is then 0 everywhere (after the
 * ReLU, or in a sum with a zeroed partner), so its readers ignore it. The independent reference
 * for what removing the channels must compute.
 */
function withZeroedChannels(
  graph: LayerGraph,
  removals: readonly { producer: string; channels: readonly number[] }[],
): LayerGraph {
  const copy = graph.clone();
  for (const { producer, channels } of removals) {
    const norm = copy.consumers(producer).find((n) => n.className === 'BatchNormalization');
    const zeroed = [
      ...copy.node(producer).weights,
      ...(norm?.weights.filter((w) => w.role === 'beta' || w.role === 'moving_mean') ?? []),
    ];
    for (const w of zeroed) {
      const count = w.shape[w.shape.length - 1];
      for (let i = 0; i < w.values.length; i++) {
        if (channels.includes(i % count)) w.values[i] = 0;
      }
    }
  }
  return copy;
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`the compact designs' graphs predict what their tfjs models predict (${backend})`, () => {
    beforeAll(async () => {
      await useNodeBackend(backend);
    });
    afterAll(async () => {
      await useNodeBackend('wasm');
    });

    // Exact equality of every probability: a wrong branch or tie shows on any digit. cpu runs
    // these nets ~20 times slower than wasm, so it compares fewer digits.
    const digits = backend === 'wasm' ? 100 : 25;
    for (const id of COMPACT) {
      it(`shipped ${id}: identical probabilities on real digits`, async () => {
        const model = await shippedModel(id);
        const graph = await LayerGraph.fromModel(model);
        const x = digitsToTensor(test, 0, digits, graph.inputShape);
        const expected = model.predict(x) as tf.Tensor;
        const expectedValues = Array.from(await expected.data());
        tf.dispose([x, expected]);
        model.dispose();
        expect(Array.from(await graphPredictions(graph, digits))).toEqual(expectedValues);
      });
    }
  });
}

describe('MACs of a model with branches', () => {
  it('counts every branch of an Inception module, as computed by hand', async () => {
    await useNodeBackend('wasm');
    const graph = await shippedGraph('inception');
    const info = graph.info();
    const macs = (name: string) => info.get(name)!.macs;
    // inception3a reads 13x13x32 (conv1 3x3 valid: 26x26, pooled by 2); every branch is 'same'.
    const at13 = 13 * 13;
    expect(macs('inception3a_1x1')).toBe(at13 * 32 * 16);
    expect(macs('inception3a_3x3_reduce')).toBe(at13 * 32 * 16);
    expect(macs('inception3a_3x3')).toBe(at13 * 3 * 3 * 16 * 24);
    expect(macs('inception3a_5x5_reduce')).toBe(at13 * 32 * 4);
    expect(macs('inception3a_5x5')).toBe(at13 * 5 * 5 * 4 * 8);
    expect(macs('inception3a_pool_proj')).toBe(at13 * 32 * 8);
    expect(graph.outputShapeOf('inception3a_concat')).toEqual([13, 13, 16 + 24 + 8 + 8]);
    // The whole network: stem, 3a, 3b (13x13, on 56 channels), 4a (6x6, on 56), classifier.
    const stem = 26 * 26 * 9 * 32;
    const module3a = at13 * (32 * 16 + 32 * 16 + 9 * 16 * 24 + 32 * 4 + 25 * 4 * 8 + 32 * 8);
    const module3b = at13 * (56 * 16 + 56 * 16 + 9 * 16 * 24 + 56 * 4 + 25 * 4 * 8 + 56 * 8);
    const module4a = 36 * (56 * 48 + 56 * 32 + 9 * 32 * 48 + 56 * 12 + 25 * 12 * 24 + 56 * 24);
    const classifier = (48 + 48 + 24 + 24) * 10;
    expect(graph.macs).toBe(stem + module3a + module3b + module4a + classifier);
  });
});

describe('structured pruning across branches', () => {
  beforeAll(async () => {
    await useNodeBackend('wasm');
  });

  it('squeezenet: filters removed behind a Concatenate are dropped at their channel offsets', async () => {
    const graph = await shippedGraph('squeezenet');
    const removals = [
      { producer: 'fire2_expand3x3', channels: [0, 3, 31] },
      { producer: 'fire3_squeeze1x1', channels: [2] },
    ];
    const reference = await graphPredictions(withZeroedChannels(graph, removals), 200);
    removeChannels(graph, removals);
    // fire2_concat = [expand1x1 (32), expand3x3 (32)]: its channels 32, 35 and 63 went.
    expect(graph.outputShapeOf('fire2_concat')).toEqual([13, 13, 61]);
    expect(graph.node('fire3_squeeze1x1').weights[0].shape).toEqual([1, 1, 61, 15]);
    expect(graph.node('fire3_expand3x3').weights[0].shape).toEqual([3, 3, 15, 32]);
    expect(maxAbsDifference(await graphPredictions(graph, 200), reference)).toBeLessThan(1e-5);
  });

  it('resnext: a path of the split 3x3 stage and a tied residual pair lose channels together', async () => {
    const graph = await shippedGraph('resnext');
    const removals = [
      { producer: 'block1_path2_3x3', channels: [1, 2] },
      // conv1 (through pool1) and block1_expand meet in block1_add: the same channels go.
      { producer: 'conv1', channels: [4, 7] },
      { producer: 'block1_expand', channels: [4, 7] },
    ];
    const reference = await graphPredictions(withZeroedChannels(graph, removals), 200);
    removeChannels(graph, removals);
    // block1's four paths are 8 wide: its concatenation had 32 channels.
    expect(graph.outputShapeOf('block1_concat')).toEqual([13, 13, 30]);
    expect(graph.node('block1_expand').weights[0].shape).toEqual([1, 1, 30, 30]);
    expect(graph.node('block2_shortcut').weights[0].shape).toEqual([1, 1, 30, 64]);
    expect(graph.node('block2_path1_reduce').weights[0].shape).toEqual([1, 1, 30, 16]);
    expect(maxAbsDifference(await graphPredictions(graph, 200), reference)).toBeLessThan(1e-5);
  });

  it('refuses a removal that breaks the Add tie, naming the layers, and changes nothing', async () => {
    const graph = await shippedGraph('resnext');
    const params = graph.params;
    const attempt = () => removeChannels(graph, [{ producer: 'block2_expand', channels: [5] }]);
    expect(attempt).toThrow(GraphEditError);
    // block2_add adds block2_expand and the projection block2_shortcut; block3 adds onto it.
    expect(attempt).toThrow(/"block2_expand_bn" and "block2_shortcut_bn" meet in "block2_add"/);
    expect(attempt).toThrow(/tied layers: .*"block2_shortcut".*"block3_expand"/);
    expect(graph.params).toBe(params);
    expect(graph.outputShapeOf('block2_add')).toEqual([6, 6, 64]);
  });

  it("refuses to remove the classes NIN's last mlpconv makes", async () => {
    const graph = await shippedGraph('nin');
    expect(() => removeChannels(graph, [{ producer: 'mlpconv3_cccp1', channels: [0] }])).toThrow(
      /output classes/,
    );
  });
});

/**
 * One Lab for the recipes below: each compact design's baseline (its accuracy on the 2,000 test
 * digits) is computed once and shared by the pruning and quantization tests.
 */
const lab = new Lab({ read: publicAssets });
afterAll(async () => {
  await lab.dispose();
});

// The target: pruned to 50 % without fine-tuning (no calibration either), each compact
// design stays within 0.5 points of its baseline. `npm run bench:zoo` prints the figures.
describe('global magnitude pruning to 50 % without fine-tuning', () => {
  it.each(COMPACT)(
    '%s: half of all kernel weights, across the branches, become zero; within 0.5 points',
    async (id) => {
      await useNodeBackend('wasm');
      const result = await lab.run(parseRecipe(`model=${id}&steps=prune(fraction=0.5)`));
      const kernels = result.layers.reduce(
        (sum, l) => sum + (l.kernelShape ? l.kernelShape.reduce((a, b) => a * b, 1) : 0),
        0,
      );
      expect(result.params - result.nonzeroParams).toBeGreaterThanOrEqual(
        Math.floor(0.5 * kernels),
      );
      expect(result.accuracy).toBe(result.steps[0].accuracy);
      // 0.5 points of the 2,000 test digits: at most 10 more mistakes than the baseline.
      const extraMistakes = Math.round((result.baselineAccuracy - result.accuracy) * 2000);
      expect(extraMistakes).toBeLessThanOrEqual(10);
    },
  );
});

describe('quantization of the compact designs', () => {
  it.each(COMPACT)(
    '%s: k-means leaves at most 16 shared values in every kernel, branches included; 8-bit fixed point keeps the accuracy',
    async (id) => {
      await useNodeBackend('wasm');
      const kmeans = await lab.run(parseRecipe(`model=${id}&steps=kmeans(bits=*:4)`));
      const linear = await lab.run(
        parseRecipe(`model=${id}&steps=quantize-linear(weightBits=*:8)`),
      );
      const kernels = kmeans.layers.filter((l) => ['Conv2D', 'Dense'].includes(l.className));
      expect(kernels.length).toBeGreaterThanOrEqual(6); // nin's 6 convs; the others have more
      for (const layer of kernels) {
        expect(layer.storage?.codebook?.length ?? Infinity, layer.name).toBeLessThanOrEqual(16);
      }
      // 256 levels per layer change each weight by at most half a step (range / 510): on LeNet-5
      // and these nets alike, no more than a few digits of 2,000.
      const extraMistakes = Math.round((linear.baselineAccuracy - linear.accuracy) * 2000);
      expect(extraMistakes).toBeLessThanOrEqual(10);
    },
  );
});

describe('per-layer pruning inside a branch', () => {
  it('prunes one path of a ResNeXt block and nothing else', async () => {
    await useNodeBackend('wasm');
    const result = await lab.run(
      parseRecipe('model=resnext&steps=prune-density(density=block2_path3_3x3:0.25|*:1)'),
    );
    for (const layer of result.layers.filter((l) => l.kernelShape)) {
      const kernel = layer.kernelShape!.reduce((a, b) => a * b, 1);
      const zeros = layer.params - layer.nonzeroParams;
      // 3x3 x 16 x 16 = 2,304 weights keep 576; every other layer keeps all of its weights.
      expect(zeros, layer.name).toBe(layer.name === 'block2_path3_3x3' ? kernel - 576 : 0);
    }
  });
});

describe('a user model with a branch the engine cannot read', () => {
  it('names the layer inside the branch', async () => {
    await useNodeBackend('cpu');
    const input = tf.input({ shape: [28, 28, 1] });
    const stem = tf.layers
      .conv2d({ name: 'stem', filters: 4, kernelSize: 3, padding: 'same' })
      .apply(input) as tf.SymbolicTensor;
    const plain = tf.layers
      .conv2d({ name: 'plain', filters: 4, kernelSize: 1 })
      .apply(stem) as tf.SymbolicTensor;
    const pooled = tf.layers.maxPooling2d({ poolSize: 2 }).apply(stem) as tf.SymbolicTensor;
    const odd = tf.layers
      .upSampling2d({ name: 'odd_upsample', size: [2, 2] })
      .apply(pooled) as tf.SymbolicTensor;
    const merged = tf.layers.concatenate().apply([plain, odd]) as tf.SymbolicTensor;
    const flat = tf.layers.flatten().apply(merged) as tf.SymbolicTensor;
    const out = tf.layers
      .dense({ units: 10, activation: 'softmax' })
      .apply(flat) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    await expect(LayerGraph.fromModel(model)).rejects.toThrow(ModelLoadError);
    await expect(LayerGraph.fromModel(model)).rejects.toThrow(
      /layer "odd_upsample" has type UpSampling2D/,
    );
    model.dispose();
    await useNodeBackend('wasm');
  });
});
