import { describe, expect, it } from 'vitest';
import type { DataSetId } from '../../engine/data/datasets.ts';
import type { RunResult } from '../../engine/lab.ts';
import { finitePopulationInterval } from '../../engine/measure/interval.ts';
import type { RunRecord } from '../../store/state.ts';
import { accuracyAxisMin, plotData } from './plot-points.ts';

describe('the accuracy axis', () => {
  it('zooms in on the finished runs and the baseline', () => {
    // Runs at 98.3 % and 98.9 %, baseline 98.95 %: one point below the lowest, 97 %.
    expect(accuracyAxisMin([98.3, 98.9, 98.95], null)).toBe(97);
    // A collapsed run at 11.35 %: 5-point steps below it, 2 points of room: 5 %.
    expect(accuracyAxisMin([98.3, 11.35], null)).toBe(5);
    expect(accuracyAxisMin([], null)).toBe(0);
  });

  it('stays put while a run is evaluated chunk by chunk, whatever the intervals', () => {
    const finished = [98.3, 98.9, 98.95];
    const total = 2000;
    // A good run's estimates as its chunks come in (what the page plots): 196 of 200 first,
    // whose interval reaches down to about 95 %, which used to pull the axis down to 85 %.
    const chunks = [
      [196, 200],
      [393, 400],
      [985, 1000],
      [1971, 2000],
    ];
    expect(finitePopulationInterval(196, 200, total).low).toBeLessThan(0.96);
    for (const [correct, seen] of chunks) {
      expect(accuracyAxisMin(finished, (correct / seen) * 100)).toBe(97);
    }
  });

  it('moves only for an estimate that would fall below it', () => {
    // 60 % estimated: 5-point steps, 2 points of room below it: 55 %.
    expect(accuracyAxisMin([98.3, 98.9], 60)).toBe(55);
    // 96.5 %: one point below, 95 %.
    expect(accuracyAxisMin([98.3, 98.9], 96.5)).toBe(95);
  });

  it('with nothing finished, a coarse band the moving estimate stays in', () => {
    // 97.5 % and 98.6 % both land on 95 % ((97.5 - 2) / 5 = 19.1 -> 19 -> 95).
    expect(accuracyAxisMin([], 97.5)).toBe(95);
    expect(accuracyAxisMin([], 98.6)).toBe(95);
  });
});

describe('the points of the plot', () => {
  /** A finished run with the figures the plot reads (values picked by hand). */
  const run = (runId: number, data: DataSetId | undefined, accuracy: number): RunRecord => ({
    runId,
    recipeText: `run ${runId}`,
    result: {
      model: 'lenet300',
      data,
      backend: 'wasm',
      trainedOn: null,
      recipe: { model: 'lenet300', seed: 1, steps: [] },
      recipeText: `run ${runId}`,
      accuracy,
      correct: accuracy * 100,
      total: 100,
      baselineAccuracy: accuracy,
      sizeBytes: 1000 * runId,
      baselineSizeBytes: 5000,
      compressionRatio: 5 / runId,
      params: 10,
      baselineParams: 10,
      nonzeroParams: 10,
      macs: 10,
      baselineMacs: 10,
      sparseMacs: 10,
      latencyMs: 1,
      baselineLatencyMs: 1,
      latencyBatch: 64,
      elapsedMs: 1,
      layers: [],
      steps: [],
    } as unknown as RunResult,
    timestamp: 0,
    requestedAt: 0,
    deliveredAt: 0,
  });

  it('are the runs of the current data set only (runs from before data sets: mnist-10k)', () => {
    const runs = [run(1, 'mnist', 0.99), run(2, 'fashion-mnist', 0.88), run(3, undefined, 0.97)];
    const ids = (data: DataSetId) =>
      plotData(runs, 'lenet300', 'size', data).runs.map((p) => p.runId);
    expect(ids('fashion-mnist')).toEqual([2]);
    expect(ids('mnist')).toEqual([1]);
    expect(ids('mnist-10k')).toEqual([3]);
  });
});
