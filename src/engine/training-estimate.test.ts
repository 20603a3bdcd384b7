import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SHIPPED_MODELS } from './model/catalog.ts';
import { PUBLIC_DIR } from './node/assets.ts';
import type { RunResult, StepResult } from './lab.ts';
import { parseRecipe } from './recipe/share.ts';
import {
  conservativeMsPerDigit,
  estimateTraining,
  macsOfLayers,
  measuredMsPerDigit,
  recipeTraining,
} from './training-estimate.ts';

describe('recipeTraining: the batches each step trains, counted by hand', () => {
  it.each([
    // 8,000 digits in batches of 64: 125 a epoch.
    ['finetune(epochs=2)', 250, 16_000],
    ['finetune(epochs=3,batch=100,batches=50)', 150, 15_000],
    // 8,000 / 512 = 15.6: 16 batches, the last one short.
    ['finetune(epochs=1,batch=512)', 16, 8000],
    ['finetune(epochs=1,batches=1000)', 125, 8000],
    ['iterative-prune(rounds=4,epochs=5)', 4 * 5 * 125, 4 * 5 * 8000],
    ['binaryconnect(epochs=1,batches=2)', 2, 128],
    ['xnor(epochs=0)', 0, 0],
    ['prune(fraction=0.5)', 0, 0],
    ['kmeans(bits=*:4)', 0, 0],
    // ssl's default is 4 epochs.
    ['ssl()', 500, 32_000],
  ])('%s trains %d batches, %d digits', (steps, batches, digits) => {
    const [step] = recipeTraining(parseRecipe(`model=lenet5&steps=${steps}`));
    expect([step.batches, step.digits]).toEqual([batches, digits]);
  });
});

describe('recipeTraining on the standard data sets', () => {
  it.each([
    // 55,000 training images (60,000 less 5,000 for validation) in batches of 64: 860 an epoch,
    // the last one short (55,000 - 859 x 64 = 24 images).
    ['mnist', 'finetune(epochs=2)', 1720, 110_000],
    ['fashion-mnist', 'finetune(epochs=1,batch=100,batches=50)', 50, 5000],
    ['fashion-mnist', 'iterative-prune(rounds=2,epochs=1)', 2 * 860, 2 * 55_000],
  ])('on %s, %s trains %d batches, %d images', (data, steps, batches, images) => {
    const [step] = recipeTraining(parseRecipe(`model=lenet5&data=${data}&steps=${steps}`));
    expect([step.batches, step.digits]).toEqual([batches, images]);
  });
});

describe('estimateTraining', () => {
  // LeNet-5: conv1 24x24x20 from 5x5x1, conv2 8x8x50 from 5x5x20, fc 800->500->10 (its card).
  const lenet5Layers = [
    { outputShape: [24, 24, 20], kernelShape: [5, 5, 1, 20] },
    { outputShape: [12, 12, 20] },
    { outputShape: [8, 8, 50], kernelShape: [5, 5, 20, 50] },
    { outputShape: [500], kernelShape: [800, 500] },
    { outputShape: [10], kernelShape: [500, 10] },
  ];

  it("counts a model's multiply-adds from its layers as its card does", () => {
    expect(macsOfLayers(lenet5Layers)).toBe(2_293_000);
  });

  it('puts the review’s link (32 steps of finetune(epochs=60) on lenet5) at hours', () => {
    const steps = Array.from({ length: 32 }, () => 'finetune(epochs=60)').join(';');
    const estimate = estimateTraining(parseRecipe(`model=lenet5&steps=${steps}`), {
      macsPerDigit: 2_293_000,
    });
    expect(estimate.batches).toBe(32 * 60 * 125);
    // 15,360,000 digits x 3 x 2,293,000 multiply-adds at 1.5e9 a second: 19.6 hours.
    expect(estimate.ms).toBeCloseTo(15_360_000 * 4.586, 0);
    expect(estimate.measured).toBe(false);
  });

  it('uses the time measured on this backend once a step trained enough digits there', () => {
    const step = (index: number, elapsedMs: number, extra: Partial<StepResult> = {}) =>
      ({ index, elapsedMs, cached: false, trainedOn: 'wasm', ...extra }) as StepResult;
    const run = (recipe: string, steps: StepResult[], model = 'lenet5') =>
      ({ model, recipe: parseRecipe(`model=${model}&${recipe}`), steps }) as unknown as RunResult;
    const runs = [
      // 16,000 digits in 32 s: 2 ms a digit.
      run('steps=prune(fraction=0.5);finetune(epochs=2)', [step(0, 50), step(1, 32_000)]),
      // Too few digits (128) to count; a cached step; another backend; another model.
      run('steps=finetune(epochs=1,batches=2)', [step(0, 9000)]),
      run('steps=finetune(epochs=1)', [step(0, 1, { cached: true })]),
      run('steps=finetune(epochs=1)', [step(0, 80_000, { trainedOn: 'webgpu' })]),
      run('steps=finetune(epochs=1)', [step(0, 80_000)], 'lenet300'),
    ];
    expect(measuredMsPerDigit(runs, 'lenet5', 'wasm')).toBe(2);
    expect(measuredMsPerDigit(runs, 'lenet5', 'cpu')).toBeUndefined();
    const estimate = estimateTraining(parseRecipe('model=lenet5&steps=finetune(epochs=60)'), {
      measuredMsPerDigit: 2,
      macsPerDigit: 2_293_000,
    });
    expect(estimate).toEqual({ batches: 7500, digits: 480_000, ms: 960_000, measured: true });
  });

  it.each(SHIPPED_MODELS)(
    'errs long: the guess for %s is slower than its card’s training',
    (id) => {
      const card = JSON.parse(
        readFileSync(join(PUBLIC_DIR, 'models', id, 'card.json'), 'utf8'),
      ) as { macs: number; epochs: number; trainingTimeSeconds: number };
      const guessMs = conservativeMsPerDigit(card.macs) * card.epochs * 8000;
      expect(guessMs).toBeGreaterThan(card.trainingTimeSeconds * 1000);
    },
  );
});
