import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../engine/lab.ts';
import type { ModelCard } from '../../engine/model/catalog.ts';
import type { RunRecord } from '../../store/state.ts';
import { comparisonSeries, paretoFlags } from './model-comparison.ts';

const card = (
  id: string,
  params: number,
  testAccuracy: number,
  sizeBytes?: number,
  dataSet?: string,
): ModelCard => ({
  id,
  dataSet,
  name: id.toUpperCase(),
  description: '',
  params,
  macs: 0,
  testAccuracy,
  epochs: 1,
  seed: 1,
  trainingTimeSeconds: 1,
  sizeBytes,
});

let nextRun = 1;
const run = (
  model: string,
  recipeText: string,
  sizeBytes: number,
  accuracy: number,
  data?: string,
): RunRecord => ({
  runId: nextRun++,
  recipeText,
  timestamp: 0,
  requestedAt: 0,
  deliveredAt: 0,
  result: {
    model,
    recipeText,
    sizeBytes,
    accuracy,
    baselineSizeBytes: 999,
    data,
    steps: recipeText.includes('steps=') ? [{}] : [],
  } as unknown as RunResult,
});

describe('paretoFlags', () => {
  it('keeps the points no other point is both smaller and more accurate than', () => {
    const points = [
      { sizeBytes: 100, accuracy: 0.99 }, // baseline: most accurate
      { sizeBytes: 50, accuracy: 0.98 }, // smaller, less accurate: on the front
      { sizeBytes: 60, accuracy: 0.97 }, // larger and worse than the previous: dominated
      { sizeBytes: 10, accuracy: 0.9 }, // smallest: on the front
      { sizeBytes: 50, accuracy: 0.98 }, // a duplicate: only the first counts
    ];
    expect(paretoFlags(points)).toEqual([true, true, false, true, false]);
  });
});

describe('comparisonSeries', () => {
  it("puts each model's baseline from its card beside its compressed runs, latest per recipe", () => {
    const cards = [card('lenet5', 1000, 0.99, 4100), card('nin', 100, 0.985)];
    const runs = [
      run('lenet5', 'model=lenet5&steps=prune(fraction=0.5)', 2500, 0.989),
      run('lenet5', 'model=lenet5', 4100, 0.99), // the baseline run itself: not a compressed one
      run('lenet5', 'model=lenet5&steps=prune(fraction=0.9)', 900, 0.95),
      run('lenet5', 'model=lenet5&steps=prune(fraction=0.5)', 2400, 0.991), // rerun: replaces
      run('nin', 'model=nin&steps=prune(fraction=0.9)', 100, 0.96),
    ];
    const [lenet5, nin] = comparisonSeries(cards, runs, 'mnist-10k');
    expect(lenet5.group).toBe('classic');
    expect(nin.group).toBe('compact designs');
    expect(lenet5.baseline).toMatchObject({ sizeBytes: 4100, accuracy: 0.99 });
    // The rerun at 99.1 % and 2,400 bytes dominates the baseline.
    expect(lenet5.baseline.paretoBest).toBe(false);
    expect(lenet5.runs.map((p) => [p.sizeBytes, p.accuracy, p.paretoBest])).toEqual([
      [900, 0.95, true],
      [2400, 0.991, true],
    ]);
    // No card size: the runs' measured baseline size.
    expect(nin.baseline).toMatchObject({ sizeBytes: 999, accuracy: 0.985, paretoBest: true });
    expect(nin.runs).toHaveLength(1);
  });

  it('counts 4 bytes a parameter for a model with neither a card size nor a run', () => {
    const [series] = comparisonSeries([card('inception', 250, 0.99)], [], 'mnist-10k');
    expect(series.baseline.sizeBytes).toBe(1000);
    expect(series.runs).toEqual([]);
  });

  it("plots only the chosen data set's cards and runs (their test splits differ)", () => {
    const cards = [
      card('lenet5', 1000, 0.99, 4100), // mnist-10k's card (no dataSet field)
      card('lenet5', 1000, 0.992, 4100, 'mnist'),
      card('lenet5', 1000, 0.91, 4100, 'fashion-mnist'),
      card('nin', 100, 0.985),
    ];
    const runs = [
      run('lenet5', 'model=lenet5&steps=prune(fraction=0.5)', 2500, 0.98), // recorded before data sets
      run('lenet5', 'model=lenet5&data=mnist&steps=prune(fraction=0.5)', 2500, 0.991, 'mnist'),
      run(
        'lenet5',
        'model=lenet5&data=fashion-mnist&steps=prune(fraction=0.5)',
        2500,
        0.9,
        'fashion-mnist',
      ),
    ];
    const onMnist = comparisonSeries(cards, runs, 'mnist');
    expect(onMnist.map((s) => [s.id, s.baseline.accuracy])).toEqual([['lenet5', 0.992]]);
    expect(onMnist[0].runs.map((p) => p.accuracy)).toEqual([0.991]);
    const onLegacy = comparisonSeries(cards, runs, 'mnist-10k');
    expect(onLegacy.map((s) => s.id)).toEqual(['lenet5', 'nin']);
    expect(onLegacy[0].runs.map((p) => p.accuracy)).toEqual([0.98]);
  });
});
