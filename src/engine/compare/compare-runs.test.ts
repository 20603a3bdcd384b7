import { beforeAll, describe, expect, it } from 'vitest';
import { dataSetInfo } from '../data/datasets.ts';
import { Lab, type RunResult } from '../lab.ts';
import { useNodeBackend } from '../node/backend.ts';
import { parseRecipe } from '../recipe/share.ts';
import { handA, handB, handTest } from '../test/compare-example.ts';
import { publicAssets } from '../test/fixtures.ts';
import { compareRuns } from './compare-runs.ts';
import { CompareError, type ComparedRun, type ComparedTest } from './compared-run.ts';
import { byTruthChange } from './flips.ts';

// The hand-made example (src/engine/test/compare-example.ts): figures counted by hand.

describe('compareRuns on a hand-made example', () => {
  const comparison = compareRuns(handTest, handA, handB);

  it('counts each run right per class, and orders the classes by their change', () => {
    expect(comparison.a).toMatchObject({ correct: 6, total: 8, perClass: [2, 2, 2] });
    expect(comparison.b).toMatchObject({ correct: 5, total: 8, perClass: [3, 1, 1] });
    // Changes: class 0 from 2/3 to 3/3 (+1/3), class 1 from 2/3 to 1/3 (-1/3), class 2 from
    // 2/2 to 1/2 (-1/2): class 2 first, class 0 last.
    expect(comparison.perClass.map((c) => c.classIndex)).toEqual([2, 1, 0]);
    const [two, one, zero] = comparison.perClass;
    expect(two).toMatchObject({ count: 2, correctA: 2, correctB: 1, accuracyA: 1, accuracyB: 0.5 });
    expect(two.change).toBeCloseTo(-1 / 2, 12);
    expect(one).toMatchObject({ count: 3, correctA: 2, correctB: 1 });
    expect(one.change).toBeCloseTo(-1 / 3, 12);
    expect(zero).toMatchObject({ count: 3, correctA: 2, correctB: 3 });
    expect(zero.change).toBeCloseTo(1 / 3, 12);
  });

  it('builds both confusion matrices (row = true class) and their difference', () => {
    expect(comparison.a.confusion).toEqual([
      [2, 1, 0],
      [0, 2, 1],
      [0, 0, 2],
    ]);
    expect(comparison.b.confusion).toEqual([
      [3, 0, 0],
      [2, 1, 0],
      [0, 1, 1],
    ]);
    expect(comparison.confusionDifference).toEqual([
      [1, -1, 0],
      [2, -1, -1],
      [0, 1, -1],
    ]);
  });

  it('lists the flips, lost and gained, and the paired test', () => {
    // Images 1, 4, 5, 7 changed: 1 gained (0 -> right), 4 and 7 lost, 5 wrong either way.
    expect(comparison.flips.map((f) => [f.index, f.label, f.a, f.b])).toEqual([
      [1, 0, 1, 0],
      [4, 1, 1, 0],
      [5, 1, 2, 0],
      [7, 2, 2, 1],
    ]);
    expect(comparison.lost.map((f) => f.index)).toEqual([4, 7]);
    expect(comparison.gained.map((f) => f.index)).toEqual([1]);
    // McNemar with 2 lost and 1 gained: 2 x P(X <= 1 | n = 3) = 2 x (1 + 3) / 8 = 1.
    expect(comparison.paired).toEqual({ lost: 2, gained: 1, pValue: 1 });
    // The true class's probability: image 4 from 204/255 to 51/255 (-0.6), 5 from 102 to 25
    // (-77/255), 7 from 153 to 102 (-0.2), 1 from 51 to 153 (+0.4).
    expect(comparison.flips[1]).toMatchObject({ truthA: 0.8, truthB: 0.2 });
    expect(byTruthChange(comparison.flips).map((f) => f.index)).toEqual([4, 5, 7, 1]);
    expect(byTruthChange(comparison.flips, 'rise').map((f) => f.index)).toEqual([1, 7, 5, 4]);
  });

  it('flips without confidences (a run recorded before they were kept) sort last', () => {
    const { confidence: _none, ...older } = handA;
    const flips = compareRuns(handTest, older, handB).flips;
    expect(flips[0]).not.toHaveProperty('truthA');
    expect(byTruthChange(flips).map((f) => f.index)).toEqual([1, 4, 5, 7]);
    expect(byTruthChange(flips, 'rise').map((f) => f.index)).toEqual([1, 4, 5, 7]);
  });
});

describe('compareRuns refuses what it cannot compare', () => {
  it.each<[string, ComparedTest, ComparedRun, ComparedRun, RegExp]>([
    [
      'runs on different data sets, naming both',
      handTest,
      handA,
      { ...handB, data: 'mnist' },
      /different data sets .*A ran on mnist-10k, B on mnist/,
    ],
    [
      "test images of another data set than the runs'",
      { ...handTest, data: 'fashion-mnist' },
      handA,
      handB,
      /A and B ran on mnist-10k, but the test images given are fashion-mnist's/,
    ],
    [
      'answers for another test split',
      handTest,
      handA,
      { ...handB, predicted: new Uint16Array(10) },
      /B answered 10 test images, but mnist-10k's test split has 8: they are not the same test split/,
    ],
    [
      'a run recorded before its answers were kept',
      handTest,
      { ...handA, predicted: undefined },
      handB,
      /A was recorded before each image's answer was kept: run it again/,
    ],
    [
      'a class the data set does not have',
      handTest,
      handA,
      { ...handB, predicted: Uint16Array.from([0, 0, 0, 1, 0, 0, 3, 1]) },
      /B predicts class 3 for test image 6, but mnist-10k has 3 classes/,
    ],
  ])('%s', (_, test, a, b, message) => {
    expect(() => compareRuns(test, a, b)).toThrow(CompareError);
    expect(() => compareRuns(test, a, b)).toThrow(message);
  });
});

describe('compareRuns on real runs (mnist-10k)', () => {
  const lab = new Lab({ read: publicAssets });
  let base: RunResult;
  let pruned: RunResult;
  let harder: RunResult;

  beforeAll(async () => {
    await useNodeBackend('wasm');
    const run = (steps: string) => lab.run(parseRecipe(`v=2&model=lenet300&seed=1&steps=${steps}`));
    base = await run('');
    pruned = await run('prune(fraction=0.9)');
    harder = await run('prune(fraction=0.97)');
  }, 120_000);

  const asCompared = (name: string, result: RunResult): ComparedRun => ({
    name,
    data: result.data!,
    predicted: result.predicted,
    confidence: result.confidence,
  });

  it('holds the identities: per class, confusion rows and diagonal, lost - gained', async () => {
    const test = await lab.test('mnist-10k');
    const classCounts = dataSetInfo('mnist-10k').splits.test.classCounts;
    const testOf: ComparedTest = { data: 'mnist-10k', labels: test.labels, classCount: 10 };
    for (const [a, b] of [
      [base, pruned],
      [pruned, harder],
      [harder, base],
    ]) {
      const comparison = compareRuns(testOf, asCompared('A', a), asCompared('B', b));
      for (const [run, figures] of [
        [a, comparison.a],
        [b, comparison.b],
      ] as const) {
        expect(figures.total).toBe(2000);
        // Per-class counts add up to the run's own count of right answers.
        expect(figures.perClass.reduce((s, c) => s + c, 0)).toBe(run.correct);
        // Rows add up to the pinned class counts of the split; the diagonal is per class.
        expect(figures.confusion.map((row) => row.reduce((s, c) => s + c, 0))).toEqual(classCounts);
        expect(figures.confusion.map((row, c) => row[c])).toEqual(figures.perClass);
      }
      // lost - gained is what B has fewer right than A.
      const { lost, gained } = comparison.paired;
      expect(lost - gained).toBe(a.correct - b.correct);
      expect(comparison.lost).toHaveLength(lost);
      expect(comparison.gained).toHaveLength(gained);
      // The difference of the matrices sums to zero in every row (the same images).
      for (const row of comparison.confusionDifference) {
        expect(row.reduce((s, c) => s + c, 0)).toBe(0);
      }
      // Lost flips: A was right, so its true-class probability is its top one; B's is below
      // B's top. Sorted by the change, no later flip drops the true class more.
      for (const flip of comparison.lost) {
        expect(flip.a).toBe(flip.label);
        expect(flip.b).not.toBe(flip.label);
      }
      const sorted = byTruthChange(comparison.flips).map((f) => f.truthB! - f.truthA!);
      for (let k = 1; k < sorted.length; k++)
        expect(sorted[k]).toBeGreaterThanOrEqual(sorted[k - 1]);
    }
    // Against its own baseline, the comparison's paired test is the run's own.
    const againstBase = compareRuns(testOf, asCompared('base', base), asCompared('run', harder));
    expect(againstBase.paired).toEqual(harder.paired);
    expect(againstBase.paired.lost).toBeGreaterThan(0);
  });

  it('refuses a run on mnist beside one on mnist-10k, naming both', () => {
    const onMnist = { ...asCompared('B (lenet300 on mnist)', pruned), data: 'mnist' as const };
    expect(() =>
      compareRuns(
        { data: 'mnist-10k', labels: new Uint8Array(2000), classCount: 10 },
        asCompared('A (lenet300 on mnist-10k)', base),
        onMnist,
      ),
    ).toThrow(
      'runs on different data sets cannot be compared image by image: A (lenet300 on mnist-10k) ran on mnist-10k, B (lenet300 on mnist) on mnist',
    );
  });
});
