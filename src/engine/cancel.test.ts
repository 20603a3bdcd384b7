/**
 * Cancel means stop: an abort from a TIMER (as a newer edit or a worker message arrives) must
 * land within one batch or chunk of every kind of long step, not after the step. Each test runs
 * the same work once to its end and once aborted 30% of the way through, and bounds the time
 * from the abort to the rejected promise by a fraction of the full time (the machine is shared,
 * so no fixed milliseconds): a loop that never yields to the event loop would let the abort in
 * only at its end, 70% later, or not at all.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { makeCheckpoint, RunCancelledError, runSlices } from './cancel.ts';
import { Lab, type RunProgress } from './lab.ts';
import { evaluateAccuracy } from './measure/accuracy.ts';
import { createPredictor } from './model/program.ts';
import { useNodeBackend } from './node/backend.ts';
import { parseRecipe } from './recipe/share.ts';
import { matrix, svd } from './techniques/decompose/linalg.ts';
import { tucker2Factors } from './techniques/decompose/factorize.ts';
import { kmeansSlices } from './techniques/quantize/kmeans.ts';
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
});
