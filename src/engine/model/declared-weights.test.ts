import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AssetReader } from '../assets.ts';
import { PUBLIC_DIR } from '../node/assets.ts';
import { useNodeBackend } from '../node/backend.ts';
import { SHIPPED_MODELS } from './catalog.ts';
import { declaredWeights } from './declared-weights.ts';
import { ModelLoadError } from './errors.ts';
import { modelFromArtifacts, readModelArtifacts } from './load.ts';

beforeAll(async () => {
  await useNodeBackend('wasm');
});

const readJson = (...path: string[]) =>
  JSON.parse(readFileSync(join(PUBLIC_DIR, 'models', ...path), 'utf8')) as Record<string, unknown>;

describe('declaredWeights', () => {
  it.each(SHIPPED_MODELS)(
    "counts %s's parameters from its topology alone as its card does",
    (id) => {
      const { modelTopology } = readJson(id, 'model.json');
      // The card's params were counted by the training script from the built model.
      const { params } = readJson(id, 'card.json') as { params: number };
      const declared = declaredWeights(modelTopology as Record<string, unknown>);
      expect(declared.reduce((sum, w) => sum + w.size, 0)).toBe(params);
    },
  );

  it("names and shapes each weight as lenet5's manifest does", () => {
    const { modelTopology, weightsManifest } = readJson('lenet5', 'model.json') as {
      modelTopology: Record<string, unknown>;
      weightsManifest: { weights: { name: string; shape: number[] }[] }[];
    };
    // By hand: conv 5x5x1x20, pool to 12x12, conv 5x5x20x50, pool to 4x4, 800 -> 500 -> 10.
    expect(declaredWeights(modelTopology).map((w) => [w.name, w.shape])).toEqual([
      ['conv1/kernel', [5, 5, 1, 20]],
      ['conv1/bias', [20]],
      ['conv2/kernel', [5, 5, 20, 50]],
      ['conv2/bias', [50]],
      ['fc1/kernel', [800, 500]],
      ['fc1/bias', [500]],
      ['fc2/kernel', [500, 10]],
      ['fc2/bias', [10]],
    ]);
    expect(weightsManifest[0].weights.map((w) => w.name)).toEqual(
      declaredWeights(modelTopology).map((w) => w.name),
    );
  });

  it('follows what tfjs builds for depthwise convs, padding, batch norm options and PReLU', () => {
    const model = tf.sequential({
      layers: [
        tf.layers.zeroPadding2d({
          inputShape: [28, 28, 1],
          padding: [
            [1, 2],
            [3, 4],
          ],
        }),
        tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2 }),
        tf.layers.batchNormalization({ center: false }),
        tf.layers.conv2d({ filters: 3, kernelSize: [2, 4], padding: 'same', useBias: false }),
        tf.layers.prelu({ sharedAxes: [1, 2] }),
        tf.layers.averagePooling2d({ poolSize: 3, strides: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 10 }),
      ],
    });
    const topology = model.toJSON(undefined, false) as Record<string, unknown>;
    // tfjs lists trainable weights first; the shapes by name are what must agree.
    const built = model.weights.map((w) => [w.originalName, w.shape]).sort();
    model.dispose();
    expect(
      declaredWeights(topology)
        .map((w) => [w.name, w.shape])
        .sort(),
    ).toEqual(built);
  });
});

/** A model.json declaring one Dense layer of `units`, and an empty weights file. */
function craftedFiles(units: number): AssetReader {
  const files: Record<string, string> = {
    'model.json': JSON.stringify({
      modelTopology: {
        class_name: 'Sequential',
        config: {
          name: 'huge',
          layers: [
            {
              class_name: 'Dense',
              config: { units, name: 'd', batch_input_shape: [null, 784], activation: 'softmax' },
            },
          ],
        },
      },
      weightsManifest: [{ paths: ['weights.bin'], weights: [] }],
    }),
    'weights.bin': '',
  };
  return async (path) => new TextEncoder().encode(files[path]).slice().buffer;
}

describe('a topology that declares more than its files hold', () => {
  it.each([
    [
      1_000_000,
      /its layers declare 785,000,000 weights \("d\/kernel" alone \[784, 1000000\]\); the lab reads at most 268,435,456/,
    ],
    [100_000, /its layers declare 78,500,000 weights but its weights manifest holds 0/],
  ])(
    'refuses a Dense layer of %d units with empty weights at once, allocating nothing',
    async (units, text) => {
      const read = craftedFiles(units);
      const tensors = tf.memory().numTensors;
      const bytes = tf.memory().numBytes;
      const start = performance.now();
      const loading = readModelArtifacts(read, 'model.json').then((a) =>
        modelFromArtifacts(a, 'model.json'),
      );
      await expect(loading).rejects.toThrow(ModelLoadError);
      await expect(loading).rejects.toThrow(text);
      // It took 36.9 s and 6.2 GB when tfjs built the layer first.
      expect(performance.now() - start).toBeLessThan(1000);
      expect(tf.memory().numTensors).toBe(tensors);
      expect(tf.memory().numBytes).toBe(bytes);
    },
  );
});
