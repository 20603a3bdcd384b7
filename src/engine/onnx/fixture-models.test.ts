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
import { decodeOnnx } from './decode.ts';
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
});
