import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { digitsToTensor } from '../data/batches.ts';
import { loadDigitSplit } from '../data/digits.ts';
import { Lab } from '../lab.ts';
import { createPredictor } from '../model/program.ts';
import { NODE_BACKENDS, useNodeBackend } from '../node/backend.ts';
import { publicAssets } from '../test/fixtures.ts';
import {
  defaultEvaluationBatch,
  evaluateAccuracy,
  evaluationChunks,
  probabilityByte,
  rowProbabilities,
} from './accuracy.ts';

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

describe('evaluateAccuracy keeping predictions', () => {
  const lab = new Lab({ read: publicAssets });

  it("keeps each digit's class and the 8-bit probabilities of that class and of the true one", async () => {
    await useNodeBackend('wasm');
    const test = await loadDigitSplit(publicAssets, 'test');
    const graph = await lab.baseGraph('lenet300');
    const predictor = createPredictor(graph);
    try {
      const result = await evaluateAccuracy(predictor.predict, test, graph.inputShape, {
        keepPredictions: true,
      });
      // Reference: every digit's ten probabilities in one batch, read by hand.
      const outputs = tf.tidy(() =>
        predictor.predict(digitsToTensor(test, 0, test.count, graph.inputShape)),
      );
      const probabilities = await outputs.data();
      outputs.dispose();
      let correct = 0;
      let unsure = 0;
      for (let i = 0; i < test.count; i++) {
        const row = Array.from(probabilities.subarray(i * 10, i * 10 + 10));
        const top = row.indexOf(Math.max(...row));
        expect(result.predicted![i]).toBe(top);
        if (top === test.labels[i]) correct++;
        // One byte each: the nearest of 0, 1/255, ..., 1 (a step of rounding on either side).
        expect(Math.abs(result.confidence!.top[i] - row[top] * 255)).toBeLessThanOrEqual(0.5001);
        const truth = row[test.labels[i]];
        expect(Math.abs(result.confidence!.truth[i] - truth * 255)).toBeLessThanOrEqual(0.5001);
        if (result.confidence!.top[i] < 128) unsure++;
      }
      expect(result.correct).toBe(correct);
      expect(result.confidence!.top).toHaveLength(2000);
      // A real spread of confidences, not a constant: most digits sure, a few not.
      expect(unsure).toBeGreaterThan(0);
      expect(unsure).toBeLessThan(100);
      // Not asked: neither is kept.
      const plain = await evaluateAccuracy(predictor.predict, test, graph.inputShape);
      expect(plain).not.toHaveProperty('predicted');
      expect(plain).not.toHaveProperty('confidence');
    } finally {
      predictor.dispose();
    }
  }, 120_000);

  it('reads outputs that are not probabilities (logits) through a softmax', () => {
    // softmax([0, ln 3]) = [1/4, 3/4]; a softmax output is kept as it is.
    const logits = rowProbabilities([9, 0, Math.log(3)], 1, 2);
    expect(logits[0]).toBeCloseTo(0.25, 12);
    expect(logits[1]).toBeCloseTo(0.75, 12);
    expect(rowProbabilities([0.2, 0.8], 0, 2)).toEqual([0.2, 0.8]);
    expect(rowProbabilities([0.2, 0.2], 0, 2)[0]).toBeCloseTo(0.5, 12); // sums to 0.4: not one
    expect([0, 0.25, 0.5, 1, 1.2, -0.1].map(probabilityByte)).toEqual([0, 64, 128, 255, 255, 0]);
  });
});
