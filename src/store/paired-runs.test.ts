import { describe, expect, it } from 'vitest';
import type { RunResult } from '../engine/lab.ts';
import { planPairedComparison } from './paired-runs.ts';
import type { RunRecord } from './state.ts';

/** A history record with only what the plan reads (the rest of a result is not looked at). */
const run = (runId: number, result: Partial<RunResult>): RunRecord => ({
  runId,
  recipeText: '',
  result: { total: 3, ...result } as RunResult,
  timestamp: 0,
  requestedAt: 0,
  deliveredAt: 0,
});

describe('paired comparison of two history runs', () => {
  const answers = new Uint16Array([1, 2, 3]);
  const others = new Uint16Array([1, 0, 3]);

  it('compares runs on the same data set that kept their answers', () => {
    const plan = planPairedComparison(
      run(1, { data: 'fashion-mnist', predicted: answers }),
      run(2, { data: 'fashion-mnist', predicted: others }),
    );
    expect(plan).toEqual({ ok: true, data: 'fashion-mnist', a: answers, b: others, total: 3 });
  });

  it('a run recorded before data sets ran on mnist-10k, like a new one there', () => {
    const plan = planPairedComparison(
      run(1, { predicted: answers }),
      run(2, { data: 'mnist-10k', predicted: others }),
    );
    expect(plan).toMatchObject({ ok: true, data: 'mnist-10k' });
  });

  it('says why not across data sets', () => {
    const plan = planPairedComparison(
      run(4, { data: 'mnist', predicted: answers }),
      run(7, { data: 'fashion-mnist', predicted: others }),
    );
    expect(plan).toEqual({
      ok: false,
      reason:
        'No paired comparison: run 4 measured on MNIST and run 7 on Fashion-MNIST, different test images.',
    });
  });

  it('says why not for runs without per-image answers', () => {
    const plan = planPairedComparison(
      run(2, { data: 'mnist' }),
      run(3, { data: 'mnist', predicted: others }),
    );
    expect(plan).toEqual({
      ok: false,
      reason:
        'No paired comparison: run 2 kept no per-image answers (recorded before they were kept, or imported from a file).',
    });
  });
});
