/**
 * The PyTorch-trained MNIST classifiers in test-fixtures/onnx/models (a BN CNN with and without
 * its batch norms folded, an MLP, a residual net with a Concat at opsets 13 and 17) imported
 * into the lab: their logits match onnxruntime's on real test images, and their correct count
 * on MNIST's 10,000 test images is PyTorch's own (models.json) within 3 images.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataSplit } from '../data/load.ts';
import type { DigitSplit } from '../data/digits.ts';
import { evaluateAccuracy } from '../measure/accuracy.ts';
import { createPredictor } from '../model/program.ts';
import { useNodeBackend } from '../node/backend.ts';
import { publicAssets } from '../test/fixtures.ts';
import { Lab } from '../lab.ts';
import { parseRecipe } from '../recipe/share.ts';
import { decodeOnnx } from './decode.ts';
import { encodeOnnx } from './encode.ts';
import { predictOnnxLayout } from './run-imported.ts';
import { graphFromOnnx } from './to-graph.ts';

const FOLDER = join(import.meta.dirname, '../../../test-fixtures/onnx/models');
/** Test images whose logits are compared with onnxruntime's. */
const COMPARED = 256;

interface Reference {
  readonly pytorch: { readonly correct: number; readonly logitsFirst16: number[][] };
}
const reference = JSON.parse(readFileSync(join(FOLDER, 'models.json'), 'utf8')) as {
  models: Record<string, Reference>;
};

let test: DigitSplit;

beforeAll(async () => {
  await useNodeBackend('wasm');
  test = await loadDataSplit(publicAssets, 'mnist', 'test');
});

/** The first `count` test images as PyTorch saw them: [count, 1, 28, 28], pixel / 255. */
function images(count: number): Float32Array {
  return Float32Array.from(test.images.subarray(0, count * 784), (v) => v / 255);
}

const maxDifference = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
};

describe('PyTorch-trained ONNX classifiers in the lab', () => {
  for (const [file, { pytorch }] of Object.entries(reference.models)) {
    it(`${file}: logits match onnxruntime's on ${COMPARED} test images, and the correct count PyTorch's`, async () => {
      const bytes = readFileSync(join(FOLDER, file));
      const imported = graphFromOnnx(decodeOnnx(bytes, file), file);
      const x = images(COMPARED);
      const lab = await predictOnnxLayout(imported, x, COMPARED);

      const session = await ort.InferenceSession.create(bytes);
      const feeds = {
        [session.inputNames[0]]: new ort.Tensor('float32', x, [COMPARED, 1, 28, 28]),
      };
      const outputs = await session.run(feeds);
      const onnxruntime = outputs[session.outputNames[0]].data as Float32Array;
      expect(lab.length).toBe(onnxruntime.length);
      expect(maxDifference(lab, onnxruntime)).toBeLessThan(1e-4);
      expect(maxDifference(lab.subarray(0, 160), pytorch.logitsFirst16.flat())).toBeLessThan(1e-4);

      const predictor = createPredictor(imported.graph);
      try {
        const { correct } = await evaluateAccuracy(
          predictor.predict,
          test,
          imported.graph.inputShape,
          {
            batchSize: 500,
          },
        );
        expect(Math.abs(correct - pytorch.correct)).toBeLessThanOrEqual(3);
      } finally {
        predictor.dispose();
      }
      expect(tf.memory().numTensors).toBeLessThan(100);
    }, 120_000);
  }

  it("prunes an imported model as onnxruntime runs the same pruning of the ONNX file's weights", async () => {
    // The residual net is small enough that 10% of its weights matter: a test of where they go.
    const file = 'resnet_opset17.onnx';
    const bytes = readFileSync(join(FOLDER, file));
    const model = decodeOnnx(bytes, file);
    // Global magnitude pruning of every conv and dense kernel, done on the ONNX initializers.
    const kernels = [...model.graph.initializers.values()].filter(
      (t) => t.floats && (t.dims.length === 4 || t.dims.length === 2),
    );
    const magnitudes = kernels
      .flatMap((t) => Array.from(t.floats!, Math.abs))
      .sort((a, b) => a - b);
    const threshold = magnitudes[Math.floor(0.1 * magnitudes.length)];
    const initializers = new Map(model.graph.initializers);
    for (const k of kernels) {
      initializers.set(k.name, {
        ...k,
        floats: k.floats!.map((v) => (Math.abs(v) < threshold ? 0 : v)),
      });
    }
    const session = await ort.InferenceSession.create(
      encodeOnnx({ ...model, graph: { ...model.graph, initializers } }),
    );
    const x = images(test.count);
    const outputs = await session.run({
      [session.inputNames[0]]: new ort.Tensor('float32', x, [test.count, 1, 28, 28]),
    });
    const logits = outputs[session.outputNames[0]].data as Float32Array;
    let expected = 0;
    for (let i = 0; i < test.count; i++) {
      let best = 0;
      for (let k = 1; k < 10; k++) if (logits[i * 10 + k] > logits[i * 10 + best]) best = k;
      if (best === test.labels[i]) expected++;
    }

    const lab = new Lab({
      read: publicAssets,
      resolveModel: () => ({ read: publicAssets, modelJsonPath: file, onnxFile: bytes }),
    });
    try {
      const result = await lab.run(
        parseRecipe(`v=2&model=my/${file}&data=mnist&seed=1&steps=prune(fraction=0.1)`),
      );
      expect(result.total).toBe(10000);
      expect(result.correct).toBe(expected);
      expect(result.correct).toBeLessThan(reference.models[file].pytorch.correct); // it did prune
    } finally {
      await lab.dispose();
    }
  }, 120_000);
});
