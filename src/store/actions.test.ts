import { describe, expect, it } from 'vitest';
import { formatRecipe } from '../engine/recipe/share.ts';
import {
  applyShareState,
  runFinished,
  setBackendChoice,
  setTechniqueParam,
  techniqueParamValue,
} from './actions.ts';
import { INITIAL_STATE, MAX_RUNS, type LabState, type RunRecord } from './state.ts';
import { initialStateFromHash } from './url-sync.ts';

const state = (patch: Partial<LabState> = {}): LabState => ({ ...INITIAL_STATE, ...patch });

describe('setTechniqueParam', () => {
  it('adds a prune step, rounded to the parameter step', () => {
    const patch = setTechniqueParam(state(), 'prune', 'fraction', 0.9000001);
    expect(formatRecipe(patch.recipe!)).toBe('v=1&model=lenet5&seed=1&steps=prune(fraction=0.9)');
  });

  it('keeps the baseline canonical: fraction 0 removes the step', () => {
    const pruned = state(setTechniqueParam(state(), 'prune', 'fraction', 0.5));
    const back = setTechniqueParam(pruned, 'prune', 'fraction', 0);
    expect(back.recipe!.steps).toEqual([]);
    expect(techniqueParamValue(back.recipe!, 'prune', 'fraction')).toBe(0);
  });

  it('clamps to the range and returns no patch when nothing changes', () => {
    const patch = setTechniqueParam(state(), 'prune', 'fraction', 5);
    expect(patch.recipe!.steps[0].params.fraction).toBe(0.99);
    expect(setTechniqueParam(state(patch), 'prune', 'fraction', 0.99)).toEqual({});
    expect(setTechniqueParam(state(), 'prune', 'fraction', 0)).toEqual({});
  });
});

describe('share state', () => {
  it('reads a good hash and applies it', () => {
    const initial = initialStateFromHash('#v=1&model=lenet300&seed=3&steps=prune(fraction=0.2)');
    expect(initial.linkError).toBeNull();
    expect(initial.recipe!.model).toBe('lenet300');
    const applied = applyShareState(state(), { recipe: initial.recipe!, ui: initial.ui! });
    expect(applied.linkError).toBeNull();
  });

  it('falls back to defaults with a message for a bad hash', () => {
    const initial = initialStateFromHash('#v=1&model=lenet5&steps=prune(fraction=abc)');
    expect(initial.recipe).toEqual(INITIAL_STATE.recipe);
    expect(initial.linkError).toMatch(/opened with its defaults: .*fraction must be a number/);
  });

  it('an empty hash is the defaults, not an error', () => {
    expect(initialStateFromHash('').linkError).toBeNull();
  });

  it('backend choice is a UI change only', () => {
    const patch = setBackendChoice(state(), 'wasm');
    expect(patch).toEqual({ ui: { backend: 'wasm', hide: [] } });
    expect(setBackendChoice(state(patch), 'wasm')).toEqual({});
  });
});

describe('runFinished', () => {
  it('appends and keeps at most MAX_RUNS', () => {
    const record = (runId: number) => ({ runId }) as RunRecord;
    const full = state({ runs: Array.from({ length: MAX_RUNS }, (_, i) => record(i)) });
    const patch = runFinished(full, record(MAX_RUNS));
    expect(patch.runs).toHaveLength(MAX_RUNS);
    expect(patch.runs!.at(-1)!.runId).toBe(MAX_RUNS);
    expect(patch.runStatus).toEqual({ phase: 'idle' });
  });
});
