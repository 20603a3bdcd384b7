/**
 * Cancel means stop: an abort from a TIMER (as a newer edit or a worker message arrives) must
 * land within one batch or chunk of every kind of long step, not after the step. Each test runs
 * the same work once to its end and once aborted 30% of the way through, and bounds the time
 * from the abort to the rejected promise by a fraction of the full time (the machine is shared,
 * so no fixed milliseconds): a loop that never yields to the event loop would let the abort in
 * only at its end, 70% later, or not at all.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeCheckpoint, RunCancelledError, runSlices } from './cancel.ts';
import { Lab, type RunProgress } from './lab.ts';
import { evaluateAccuracy } from './measure/accuracy.ts';
import { createPredictor } from './model/program.ts';
import { useNodeBackend } from './node/backend.ts';
import { parseRecipe } from './recipe/share.ts';
import { matrix, svd } from './techniques/decompose/linalg.ts';
import { tucker2Factors } from './techniques/decompose/factorize.ts';
import { sensitivityCurves } from './techniques/prune/sensitivity.ts';
import { kmeansSlices } from './techniques/quantize/kmeans.ts';
import { recalibrateBatchNorm } from './techniques/train/recalibrate.ts';
import { publicAssets } from './test/fixtures.ts';
import { timeCancel, type CancelTiming } from './test/cancel-timing.ts';
import { createRng } from './util/random.ts';

const lab = new Lab({ read: publicAssets });
let seed = 1000;

beforeAll(async () => {
  await useNodeBackend('wasm');
  // The baselines are measured once per model: not part of any step timed here.
  await lab.run(parseRecipe('model=lenet5'));
  await lab.run(parseRecipe('model=lenet300'));
  await lab.run(parseRecipe('model=resnext'));
}, 120_000);

/** A recipe run with a fresh seed (nothing cached); `started` when `inPart` first holds. */
const recipeWork =
  (text: string, inPart: (p: RunProgress) => boolean) =>
  (signal: AbortSignal | undefined, started: () => void) =>
    lab.run(parseRecipe(`${text}&seed=${seed++}`), {
      signal,
      onProgress: (p) => inPart(p) && started(),
    });

/** Aborted 30% of the way through: stopped well before the remaining 70% would have run. */
function expectStoppedEarly(timing: CancelTiming) {
  expect(timing.settled).toBeInstanceOf(RunCancelledError);
  expect(timing.afterAbortMs).toBeLessThan(0.25 * timing.fullMs);
}

const random = (length: number, seed: number) => {
  const rng = createRng(seed);
  return Float32Array.from({ length }, () => rng() - 0.5);
};

describe('an abort from a timer stops', () => {
  it('an evaluation of the test digits (lenet5) within a chunk', async () => {
    const graph = await lab.baseGraph('lenet5');
    const test = await lab.test();
    const predictor = createPredictor(graph);
    try {
      const timing = await timeCancel((signal, started) => {
        started();
        return evaluateAccuracy(predictor.predict, test, graph.inputShape, { signal });
      });
      expectStoppedEarly(timing);
    } finally {
      predictor.dispose();
    }
  }, 60_000);

  it('a sensitivity analysis (as prune-auto runs it, lenet300) within one check evaluation', async () => {
    const timing = await timeCancel((signal, started) => {
      started();
      return lab.sensitivity(parseRecipe('model=lenet300'), {
        signal,
        digits: 'check',
        densities: [0.5, 0.2, 0.1],
      });
    });
    expectStoppedEarly(timing);
  }, 60_000);

  it('fine-tuning (lenet300) within a batch', async () => {
    const timing = await timeCancel(
      recipeWork(
        'model=lenet300&steps=finetune(epochs=1,batches=40)',
        (p) => p.stage === 'compressing' && p.batch !== undefined,
      ),
    );
    expectStoppedEarly(timing);
  }, 60_000);

  it("an SVD's eigensolver (a 300 x 450 matrix) within a slice", async () => {
    const rng = createRng(7);
    const a = matrix(
      300,
      450,
      Array.from({ length: 300 * 450 }, () => rng() - 0.5),
    );
    const timing = await timeCancel((signal, started) => {
      started();
      return svd(a, makeCheckpoint(signal));
    });
    expectStoppedEarly(timing);
  }, 60_000);

  it('a Tucker-2 factorization (HOSVD and HOOI sweeps of a 3x3x64x128 kernel) within a slice', async () => {
    const kernel = random(3 * 3 * 64 * 128, 8);
    const shape = { kh: 3, kw: 3, inC: 64, outC: 128 };
    const timing = await timeCancel((signal, started) => {
      started();
      return tucker2Factors(kernel, shape, 16, 32, 10, makeCheckpoint(signal));
    });
    expectStoppedEarly(timing);
  }, 60_000);

  it("k-means weight sharing (one layer's 1,000,000 weights, 256 clusters) within a slice", async () => {
    const weights = random(1_000_000, 9);
    const timing = await timeCancel((signal, started) => {
      started();
      return runSlices(kmeansSlices(weights, 256, 'linear'), makeCheckpoint(signal));
    });
    expectStoppedEarly(timing);
  }, 60_000);

  it('a sensitivity trial (lenet5) while it prunes fc1 (400,000 weights), not after its evaluation', async () => {
    // The trials run conv1, conv2, fc1, fc2 in turn; the abort fires 5 ms into fc1's trial,
    // while its weights are pruned. It must land far sooner than a trial's evaluation takes.
    const graph = await lab.baseGraph('lenet5');
    const check = await lab.checkDigits();
    const evaluate = async (g: typeof graph, signal?: AbortSignal) => {
      const predictor = createPredictor(g);
      try {
        return (await evaluateAccuracy(predictor.predict, check, g.inputShape, { signal }))
          .accuracy;
      } finally {
        predictor.dispose();
      }
    };
    const trialsDone: number[] = [];
    await sensitivityCurves(graph, (g) => evaluate(g), {
      densities: [0.1],
      onProgress: () => trialsDone.push(performance.now()),
    });
    // conv2's trial: a small pruning (25,000 weights), then one evaluation of the check digits.
    const evaluationMs = trialsDone[1] - trialsDone[0];

    const controller = new AbortController();
    let dueAt = NaN;
    let reports = 0;
    const settled = await sensitivityCurves(graph, (g) => evaluate(g, controller.signal), {
      densities: [0.1],
      signal: controller.signal,
      onProgress: () => {
        if (++reports !== 2) return; // conv2's trial is done: fc1's begins
        dueAt = performance.now() + 5;
        setTimeout(() => controller.abort(), 5);
      },
    }).then(
      () => 'finished',
      (err: unknown) => err,
    );
    const afterAbortMs = performance.now() - dueAt;
    expect(settled).toBeInstanceOf(RunCancelledError);
    expect(afterAbortMs).toBeLessThan(0.25 * evaluationMs);
  }, 120_000);

  it('fine-tuning (lenet5, 100-300 ms a batch on wasm) within a batch', async () => {
    const batchesAt: number[] = [];
    const timing = await timeCancel(
      recipeWork('model=lenet5&steps=finetune(epochs=1,batches=12)', (p) => {
        if (p.stage === 'compressing' && p.batch !== undefined) batchesAt.push(performance.now());
        return p.stage === 'compressing' && p.batch !== undefined;
      }),
    );
    expectStoppedEarly(timing);
    // The uncancelled run's batches (its progress reports come once per batch).
    const gaps = batchesAt.slice(1, 12).map((t, k) => t - batchesAt[k]);
    const medianBatchMs = gaps.sort((a, b) => a - b)[gaps.length >> 1];
    expect(timing.afterAbortMs).toBeLessThan(1.5 * medianBatchMs);
  }, 120_000);

  it('batch-norm recalibration (resnext) within one 250-digit chunk, leaving no tensor behind', async () => {
    // One chunk: all the work is a single pass of 250 digits through the network's 97 nodes.
    const graph = await lab.baseGraph('resnext');
    const digits = await lab.train();
    const before = tf.memory().numTensors;
    const timing = await timeCancel((signal, started) => {
      started();
      return recalibrateBatchNorm(graph.clone(), digits, 250, signal);
    });
    expectStoppedEarly(timing);
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);
});
