import { beforeAll, describe, expect, it } from 'vitest';
import { Lab, FIRST_ESTIMATE_DIGITS, type AccuracyEstimate } from './lab.ts';
import { useNodeBackend } from './node/backend.ts';
import { parseRecipe } from './recipe/share.ts';
import { publicAssets } from './test/fixtures.ts';

beforeAll(async () => {
  await useNodeBackend('wasm');
});

describe('first estimates while a step is evaluated', () => {
  it('reports partial counts from the first 100 digits on, ending at the result itself', async () => {
    const lab = new Lab({ read: publicAssets });
    const estimates: { step?: number; estimate: AccuracyEstimate }[] = [];
    const result = await lab.run(
      parseRecipe('model=lenet300&steps=prune(fraction=0.5);prune(fraction=0.9)'),
      {
        onProgress: (p) => {
          if (p.estimate) estimates.push({ step: p.step, estimate: p.estimate });
        },
      },
    );
    const last = estimates.filter((e) => e.step === 1).map((e) => e.estimate);
    // Node runs on wasm: chunks of 100 digits (so that an abort lands within one), the first
    // of them FIRST_ESTIMATE_DIGITS.
    expect(FIRST_ESTIMATE_DIGITS).toBe(100);
    expect(last.map((e) => e.seen)).toEqual(Array.from({ length: 20 }, (_, i) => 100 * (i + 1)));
    expect(last.every((e) => e.total === 2000)).toBe(true);
    // The x of the provisional point is the step's stored size, known before evaluation.
    expect(last.every((e) => e.sizeBytes === result.sizeBytes)).toBe(true);
    expect(last.at(-1)!.correct).toBe(result.correct);
    // The first step was estimated too, and ended at its own count.
    const first = estimates.filter((e) => e.step === 0).map((e) => e.estimate);
    expect(first.at(-1)!.correct).toBe(result.steps[0].correct);

    // A second run of the same recipe is cached: nothing to estimate.
    const again: AccuracyEstimate[] = [];
    await lab.run(parseRecipe('model=lenet300&steps=prune(fraction=0.5);prune(fraction=0.9)'), {
      onProgress: (p) => p.estimate && again.push(p.estimate),
    });
    expect(again).toEqual([]);
  }, 120_000);
});
