import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digitsToTensor } from '../data/batches.ts';
import { loadDigitSplit, type DigitSplit } from '../data/digits.ts';
import { useNodeBackend } from '../node/backend.ts';
import { publicAssets } from '../test/fixtures.ts';
import { branchyModel, userCnn } from '../test/models.ts';
import { modelJsonPath } from './catalog.ts';
import { LayerGraph } from './graph.ts';
import { modelFromArtifacts, readModelArtifacts } from './load.ts';
import { createPredictor } from './program.ts';

let test: DigitSplit;

beforeAll(async () => {
  test = await loadDigitSplit(publicAssets, 'test');
});

/** The model's own predictions and the graph's, on the first `count` test digits. */
async function bothPredictions(model: tf.LayersModel, count = 500) {
  const graph = await LayerGraph.fromModel(model);
  const inputShape = model.inputs[0].shape.slice(1) as number[];
  const x = digitsToTensor(test, 0, count, inputShape);
  const expected = model.predict(x) as tf.Tensor;
  const predictor = createPredictor(graph);
  const actual = predictor.predict(x);
  const result = { expected: await expected.data(), actual: await actual.data() };
  tf.dispose([x, expected, actual]);
  predictor.dispose();
  return result;
}

const maxAbsDifference = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
};

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`a graph rebuilt from a model predicts what the model predicts (${backend})`, () => {
    beforeAll(async () => {
      await useNodeBackend(backend);
    });
    afterAll(async () => {
      await useNodeBackend('wasm');
    });

    for (const id of ['lenet5', 'lenet300'] as const) {
      it(`shipped ${id}: identical probabilities on real digits`, async () => {
        const model = await modelFromArtifacts(
          await readModelArtifacts(publicAssets, modelJsonPath(id)),
          id,
        );
        const { expected, actual } = await bothPredictions(model);
        model.dispose();
        // Same ops in the same order as tfjs-layers: bit-for-bit the same numbers.
        expect(Array.from(actual)).toEqual(Array.from(expected));
      });
    }

    it('a CNN with batch norm, depthwise conv, pooling and dropout', async () => {
      const model = userCnn();
      const { expected, actual } = await bothPredictions(model, 200);
      model.dispose();
      expect(maxAbsDifference(actual, expected)).toBe(0);
    });

    it('a functional model with a residual Add, a Concatenate and padding', async () => {
      const model = branchyModel();
      const { expected, actual } = await bothPredictions(model, 200);
      model.dispose();
      expect(maxAbsDifference(actual, expected)).toBe(0);
    });
  });
}

describe('the graph of a functional model', () => {
  it('keeps its branches as edges and infers every shape', async () => {
    await useNodeBackend('cpu');
    const model = branchyModel();
    const graph = await LayerGraph.fromModel(model);
    model.dispose();
    expect(graph.node('res_add').inbound).toEqual(['res_b_bn', 'stem']);
    expect(graph.node('concat').inbound).toEqual(['branch_1x1', 'branch_3x3']);
    expect(graph.outputShapeOf('concat')).toEqual([14, 14, 9]);
    expect(graph.outputShapeOf('flatten')).toEqual([14 * 14 * 9]);
    expect(graph.output).toBe('probabilities');
    // MACs by hand: 28x28 outputs x 3x3 window x input channels x filters, etc.
    const info = graph.info();
    expect(info.get('stem')!.macs).toBe(28 * 28 * 6 * 9 * 1);
    expect(info.get('res_a')!.macs).toBe(28 * 28 * 6 * 9 * 6);
    expect(info.get('branch_3x3')!.macs).toBe(14 * 14 * 5 * 9 * 6);
    expect(info.get('fc1')!.macs).toBe(14 * 14 * 9 * 12);
    await useNodeBackend('wasm');
  });
});
