import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDigitSplit, PIXELS } from '../data/digits.ts';
import { Lab } from '../lab.ts';
import { useNodeBackend } from '../node/backend.ts';
import { parseRecipe } from '../recipe/share.ts';
import { publicAssets } from '../test/fixtures.ts';
import { exportLayersModel, LayersExportError } from './layers-model-export.ts';
import { decodeModel, encodeModel } from './model-file.ts';

const lab = new Lab({ read: publicAssets });

beforeAll(async () => {
  await useNodeBackend('wasm');
});

/**
 * Loads the exported files with plain tfjs (its fromMemory handler, no code of the lab's) and
 * counts the test digits it classifies correctly, pixels scaled to [0, 1] as the models were
 * trained.
 */
async function plainTfjsCorrect(
  files: Awaited<ReturnType<typeof exportLayersModel>>,
): Promise<{ correct: number; weightCount: number }> {
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: files.modelJson.modelTopology,
      weightSpecs: files.modelJson.weightsManifest[0].weights,
      weightData: files.weights.slice().buffer,
    }),
  );
  const test = await loadDigitSplit(publicAssets, 'test');
  const shape = model.inputs[0].shape.slice(1) as number[];
  let correct = 0;
  for (let start = 0; start < test.count; start += 500) {
    const count = Math.min(500, test.count - start);
    const pixels = Float32Array.from(
      test.images.subarray(start * PIXELS, (start + count) * PIXELS),
      (v) => v / 255,
    );
    const classes = tf.tidy(() =>
      (model.predict(tf.tensor(pixels, [count, ...shape])) as tf.Tensor).argMax(-1),
    );
    const data = await classes.data();
    classes.dispose();
    for (let k = 0; k < count; k++) if (data[k] === test.labels[start + k]) correct++;
  }
  const weightCount = model.weights.reduce(
    (sum, w) => sum + w.shape.reduce((a, b) => a! * b!, 1)!,
    0,
  );
  model.dispose();
  return { correct, weightCount };
}

describe('exportLayersModel: a plain tfjs LayersModel of the compressed network', () => {
  const cases = [
    // Masks (pruned weights zeroed) on an MLP.
    'v=1&model=lenet300&seed=1&steps=prune(fraction=0.9)',
    // A codebook (k-means shared values with Huffman coding) on a CNN, baked into floats.
    'v=1&model=lenet5&seed=1&steps=prune-density(density=*:0.2);kmeans(bits=*:3);huffman()',
    // A changed structure: SVD splits fc1 into two dense layers.
    'v=1&model=lenet300&seed=1&steps=svd(energy=*:1,rank=fc1:32)',
    // Tucker-2: conv2 becomes three convs made by the technique.
    'v=1&model=lenet5&seed=1&steps=tucker2(rankIn=conv2:8|*:-1,rankOut=conv2:12|*:-1)',
    // Linear fixed-point weights (a weight transform), activations left as floats.
    'v=1&model=lenet5&seed=1&steps=quantize-linear(weightBits=*:4,activationBits=0)',
  ];
  for (const text of cases) {
    it(`predicts the lab's correct count: ${text.split('steps=')[1]}`, async () => {
      const recipe = parseRecipe(text);
      const result = await lab.run(recipe);
      const files = await exportLayersModel(await lab.graphOf(recipe));
      expect(files.modelJson.weightsManifest[0].paths).toEqual(['weights.bin']);
      const plain = await plainTfjsCorrect(files);
      expect(plain.correct).toBe(result.correct);
      expect(plain.weightCount).toBe(result.params);
      // Every weight is plain float32: 4 bytes each.
      expect(files.weights.length).toBe(4 * result.params);
    }, 120_000);
  }

  it('exports a network read from a compact file (configs as the file keeps them)', async () => {
    const recipe = parseRecipe('v=1&model=lenet5&seed=1&steps=prune(fraction=0.8)');
    const result = await lab.run(recipe);
    const decoded = decodeModel(encodeModel(await lab.graphOf(recipe)).bytes);
    const plain = await plainTfjsCorrect(await exportLayersModel(decoded));
    expect(plain.correct).toBe(result.correct);
  }, 120_000);

  it('refuses XNOR-Net binary layers, naming the layer, instead of approximating them', async () => {
    const recipe = parseRecipe(
      'v=1&model=lenet300&seed=1&steps=xnor(epochs=0,keepFirst=true,keepLast=true)',
    );
    const graph = await lab.graphOf(recipe);
    const binary = graph.nodes.find((n) => n.className === 'BinaryDense')!;
    expect(binary).toBeDefined();
    const refused = exportLayersModel(graph);
    await expect(refused).rejects.toBeInstanceOf(LayersExportError);
    await expect(refused).rejects.toThrow(`layer "${binary.name}" is a BinaryDense`);
  }, 60_000);

  it('refuses fake-quantized activations, naming the layer', async () => {
    const recipe = parseRecipe(
      'v=1&model=lenet300&seed=1&steps=quantize-linear(weightBits=*:8,activationBits=4)',
    );
    const graph = await lab.graphOf(recipe);
    const quantized = graph.nodes.find((n) => n.outputTransform)!;
    expect(quantized).toBeDefined();
    await expect(exportLayersModel(graph)).rejects.toThrow(
      `layer "${quantized.name}" quantizes its outputs`,
    );
  }, 60_000);
});
