import { describe, expect, it } from 'vitest';
import { formatShareState } from '../engine/recipe/share.ts';
import { clearHistory, setPlotAxis, toggleCompare } from './actions.ts';
import { INITIAL_STATE, type LabState, type RunRecord } from './state.ts';

const state = (patch: Partial<LabState> = {}): LabState => ({ ...INITIAL_STATE, ...patch });
const runs = [1, 2, 3].map((runId) => ({ runId }) as RunRecord);

describe('setPlotAxis', () => {
  it('puts a latency axis into the link and takes it out again for size', () => {
    const latency = state(setPlotAxis(state(), 'latency'));
    expect(formatShareState({ recipe: latency.recipe, ui: latency.ui })).toMatch(/&plot=latency$/);
    const size = state({ ...latency, ...setPlotAxis(latency, 'size') });
    expect(size.ui).toEqual(INITIAL_STATE.ui);
    expect(setPlotAxis(state(), 'size')).toEqual({});
  });
});

describe('toggleCompare', () => {
  it('keeps the last two runs picked, and unpicks a picked one', () => {
    let s = state({ runs });
    for (const id of [1, 2, 3]) s = { ...s, ...toggleCompare(s, id) };
    expect(s.compareRunIds).toEqual([2, 3]);
    s = { ...s, ...toggleCompare(s, 2) };
    expect(s.compareRunIds).toEqual([3]);
  });

  it('ignores a run that is not in the history, and forgets picks when it is cleared', () => {
    const s = state({ runs, compareRunIds: [1] });
    expect(toggleCompare(s, 9)).toEqual({});
    expect(clearHistory()).toEqual({ runs: [], compareRunIds: [] });
  });
});
