import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { digitsToTensor } from '../data/batches.ts';
import { loadDigitSplit } from '../data/digits.ts';
import { Lab } from '../lab.ts';
import { createPredictor } from '../model/program.ts';
import { NODE_BACKENDS, useNodeBackend } from '../node/backend.ts';
import { publicAssets } from '../test/fixtures.ts';
import { defaultEvaluationBatch, evaluateAccuracy, evaluationChunks } from './accuracy.ts';

describe('evaluationChunks', () => {
  it('splits the first batch in two and leaves the rest as they were', () => {
    expect(evaluationChunks(2000, 500)).toEqual([500, 500, 500, 500]);
    expect(evaluationChunks(2000, 500, 100)).toEqual([100, 400, 500, 500, 500]);
    expect(evaluationChunks(1234, 500, 100)).toEqual([100, 400, 500, 234]);
    expect(evaluationChunks(60, 500, 100)).toEqual([60]);
    expect(evaluationChunks(2000, 500, 500)).toEqual([500, 500, 500, 500]);
  });
});

// lenet5 on cpu takes over a minute here; lenet300 covers that backend.
const CASES = NODE_BACKENDS.flatMap((backend) =>
  (backend === 'cpu' ? ['lenet300'] : ['lenet5', 'lenet300']).map((model) => ({ backend, model })),
);

describe('evaluateAccuracy with an early first chunk', () => {
  const lab = new Lab({ read: publicAssets });

  it.each(CASES)(
    'predicts every test digit of $model on $backend as batches of 500 do, and counts as it goes',
    async ({ backend, model }) => {
      await useNodeBackend(backend);
      const test = await loadDigitSplit(publicAssets, 'test');
      const graph = await lab.baseGraph(model);
      const predictor = createPredictor(graph);
      try {
        // Reference: the evaluation as it was, in four plain batches of 500.
        let expected = 0;
        for (let start = 0; start < test.count; start += 500) {
          const classes = tf.tidy(() =>
            predictor.predict(digitsToTensor(test, start, 500, graph.inputShape)).argMax(-1),
          );
          const values = await classes.data();
          classes.dispose();
          for (let k = 0; k < 500; k++) if (values[k] === test.labels[start + k]) expected++;
        }
        const seen: [number, number][] = [];
        const result = await evaluateAccuracy(predictor.predict, test, graph.inputShape, {
          batchSize: 500,
          firstBatchSize: 100,
          onBatch: (done, correct) => seen.push([done, correct]),
        });
        // The default chunks on this backend (100 digits on wasm and cpu, so that an abort
        // lands within one) count the same digits right.
        const chunks: number[] = [];
        const byDefault = await evaluateAccuracy(predictor.predict, test, graph.inputShape, {
          onBatch: (done) => chunks.push(done),
        });
        expect(byDefault.correct).toBe(expected);
        expect(chunks.length).toBe(test.count / defaultEvaluationBatch(backend));
        expect(result.correct).toBe(expected);
        expect(seen.map(([done]) => done)).toEqual([100, 500, 1000, 1500, 2000]);
        expect(seen.at(-1)![1]).toBe(expected);
        // Running counts never fall and never exceed the digits seen.
        for (const [k, [done, correct]] of seen.entries()) {
          expect(correct).toBeLessThanOrEqual(done);
          if (k > 0) expect(correct).toBeGreaterThanOrEqual(seen[k - 1][1]);
        }
      } finally {
        predictor.dispose();
      }
    },
    120_000,
  );
});
