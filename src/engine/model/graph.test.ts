import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AssetReader } from '../assets.ts';
import { Lab } from '../lab.ts';
import { parseRecipe } from '../recipe/share.ts';
import { publicAssets } from '../test/fixtures.ts';
import { userCnn } from '../test/models.ts';
import { ModelLoadError } from './errors.ts';
import { LayerGraph } from './graph.ts';
import { useNodeBackend } from '../node/backend.ts';

/** Saves a model to memory as model.json + one weights file, the way a user would export it. */
async function inMemoryFiles(model: tf.LayersModel): Promise<AssetReader> {
  const files = new Map<string, ArrayBuffer>();
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const json = {
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      };
      files.set('model.json', new TextEncoder().encode(JSON.stringify(json)).buffer as ArrayBuffer);
      files.set('weights.bin', artifacts.weightData as ArrayBuffer);
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return async (path) => files.get(path) ?? Promise.reject(new Error(`no ${path}`));
}

beforeAll(async () => {
  await useNodeBackend('cpu');
});

describe('LayerGraph of a user-built CNN', () => {
  it('counts params and MACs layer by layer and masks only conv and dense kernels', async () => {
    const model = userCnn();
    const graph = await LayerGraph.fromModel(model);
    model.dispose();
    const macs = Object.fromEntries([...graph.info().values()].map((l) => [l.node.name, l.macs]));
    expect(macs.c1).toBe(14 * 14 * 8 * 3 * 3 * 1); // stride 2, same padding
    expect(macs.dw).toBe(12 * 12 * 16 * 3 * 3); // 8 channels x multiplier 2
    expect(macs.pw).toBe(6 * 6 * 16 * 16);
    expect(macs.out).toBe(16 * 10);
    expect(graph.params).toBe(8 * 9 + 8 + 4 * 8 + 3 * 3 * 8 * 2 + 16 + 16 * 16 + 16 + 16 * 10 + 10);
    expect(graph.prunableWeights().map((w) => w.name)).toEqual([
      'c1/kernel',
      'dw/depthwise_kernel',
      'pw/kernel',
      'out/kernel',
    ]);
  });

  it('runs a pruning recipe on it end to end without leaking tensors', async () => {
    const read = await inMemoryFiles(userCnn());
    const lab = new Lab({
      read: publicAssets,
      resolveModel: () => ({ read, modelJsonPath: 'model.json' }),
    });
    await lab.run(parseRecipe('model=my/cnn.json'));
    const before = tf.memory().numTensors;
    const result = await lab.run(parseRecipe('model=my/cnn.json&steps=prune(fraction=0.5)'));
    expect(tf.memory().numTensors).toBe(before);
    const kernels = 8 * 9 + 3 * 3 * 8 * 2 + 16 * 16 + 16 * 10;
    const bn = result.layers.find((l) => l.name === 'bn1')!;
    expect(bn.nonzeroParams).toBeGreaterThan(0); // batch-norm parameters are never pruned
    expect(result.params - result.nonzeroParams).toBeGreaterThanOrEqual(Math.round(0.5 * kernels));
    expect(result.total).toBe(2000);
    await lab.dispose();
  });

  it('names a layer type the lab cannot handle', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.reshape({ inputShape: [784], targetShape: [28, 28] }),
        tf.layers.simpleRNN({ units: 4, name: 'rnn' }),
        tf.layers.dense({ units: 10 }),
      ],
    });
    await expect(LayerGraph.fromModel(model)).rejects.toThrow(ModelLoadError);
    await expect(LayerGraph.fromModel(model)).rejects.toThrow(/layer "rnn" has type SimpleRNN/);
    model.dispose();
  });
});
