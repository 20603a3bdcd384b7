import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../engine/lab.ts';
import type { RunRecord } from '../../store/state.ts';
import {
  behaviourOf,
  flipsPerClass,
  galleryFlips,
  heatCells,
  heatColour,
  imageRgba,
  memoizedBehaviour,
} from './behaviour.ts';

/** A run of the history with just what the behaviour view reads. */
function run(
  runId: number,
  data: 'mnist' | 'fashion-mnist' | undefined,
  predicted?: number[],
  truth?: number[],
): RunRecord {
  const result = {
    data,
    predicted: predicted && Uint16Array.from(predicted),
    confidence: truth && { top: new Uint8Array(truth.length), truth: Uint8Array.from(truth) },
  } as unknown as RunResult;
  return { runId, recipeText: '', result, timestamp: 0, requestedAt: 0, deliveredAt: 0 };
}

// Six test images of three classes; by hand:
//   labels 0 0 1 1 2 2
//   A      0 1 1 1 2 0   -> right on 0, 2, 3, 4 (4 right)
//   B      0 0 2 1 0 1   -> right on 0, 1, 3    (3 right)
// flips: 1 (A 1 wrong, B 0 right: gained), 2 (A right, B wrong: lost), 4 (lost), 5 (0 -> 1, both wrong: other)
const test = { data: 'mnist' as const, labels: [0, 0, 1, 1, 2, 2], classCount: 3 };
const a = run(1, 'mnist', [0, 1, 1, 1, 2, 0], [200, 50, 230, 240, 255, 10]);
const b = run(2, 'mnist', [0, 0, 2, 1, 0, 1], [210, 150, 30, 240, 51, 20]);

describe('behaviourOf', () => {
  it('compares the pair: per-class counts, lost and gained by hand', () => {
    const outcome = behaviourOf(test, a, b);
    if (!outcome.ok) throw new Error(outcome.reason);
    const c = outcome.comparison;
    expect([c.a.correct, c.b.correct]).toEqual([4, 3]);
    expect(c.a.perClass).toEqual([1, 2, 1]);
    expect(c.b.perClass).toEqual([2, 1, 0]);
    expect(c.lost.map((f) => f.index)).toEqual([2, 4]);
    expect(c.gained.map((f) => f.index)).toEqual([1]);
    expect(c.lost.length - c.gained.length).toBe(c.a.correct - c.b.correct);
  });

  it('refuses runs on different data sets, naming both, with nothing to re-run', () => {
    const outcome = behaviourOf(test, a, run(3, 'fashion-mnist', [0, 0, 0, 0, 0, 0]));
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.reason).toContain('run 1 ran on mnist');
    expect(outcome.reason).toContain('run 3 on fashion-mnist');
    expect(outcome.rerun).toEqual([]);
  });

  it('offers to re-run a run recorded without its answers', () => {
    const old = run(4, 'mnist');
    const outcome = behaviourOf(test, a, old);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.reason).toContain('run 4 was recorded before');
    expect(outcome.rerun.map((r) => r.runId)).toEqual([4]);
  });

  it('a run without data is mnist-10k, so not comparable with an mnist run', () => {
    const outcome = behaviourOf(test, a, run(5, undefined, [0, 0, 0, 0, 0, 0]));
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.reason).toContain('mnist-10k');
  });
});

describe('memoizedBehaviour', () => {
  it('computes once per pair, again for another pair', () => {
    const behaviour = memoizedBehaviour();
    const first = behaviour(test, a, b);
    expect(behaviour(test, a, b)).toBe(first);
    const other = behaviour(test, b, a);
    expect(other).not.toBe(first);
    if (other.ok) expect(other.comparison.lost.map((f) => f.index)).toEqual([1]);
  });
});

describe('galleryFlips', () => {
  const outcome = behaviourOf(test, a, b);
  if (!outcome.ok) throw new Error(outcome.reason);
  const c = outcome.comparison;

  it('sorts lost images by the fall in the true class probability', () => {
    // image 2: 230 -> 30 (a fall of 200/255); image 4: 255 -> 51 (204/255): 4 first.
    expect(
      galleryFlips(c, { tab: 'lost', classIndex: null, order: 'drop' }).map((f) => f.index),
    ).toEqual([4, 2]);
    expect(
      galleryFlips(c, { tab: 'lost', classIndex: null, order: 'rise' }).map((f) => f.index),
    ).toEqual([2, 4]);
  });

  it('filters by true class', () => {
    expect(
      galleryFlips(c, { tab: 'lost', classIndex: 1, order: 'drop' }).map((f) => f.index),
    ).toEqual([2]);
    expect(galleryFlips(c, { tab: 'gained', classIndex: 2, order: 'drop' })).toEqual([]);
    expect(flipsPerClass(c.lost, 3)).toEqual([0, 1, 1]);
  });
});

describe('heatCells', () => {
  it('gives each cell its sign, strength against the largest and words', () => {
    const cells = heatCells(
      [
        [2, -1],
        [0, -4],
      ],
      ['cat', 'dog'],
      { a: 'run 1', b: 'run 2' },
    );
    expect(cells.flat().map((c) => c.sign)).toEqual(['more', 'fewer', 'same', 'fewer']);
    expect(cells.flat().map((c) => c.strength)).toEqual([0.5, 0.25, 0, 1]);
    expect(cells[0][1].label).toBe('cat read as dog: 1 time fewer in run 2 than in run 1');
    expect(cells[1][1].label).toBe('dog read right: 4 times fewer in run 2 than in run 1');
    expect(cells[1][0].label).toBe('dog read as cat: as often in run 2 as in run 1');
  });

  it('an all-zero difference has no strength anywhere', () => {
    expect(heatCells([[0]], ['x'], { a: 'A', b: 'B' })[0][0].strength).toBe(0);
  });
});

describe('heatColour', () => {
  it('orange for more, blue for fewer, from 10 % to 80 % opaque, none for no change', () => {
    expect(heatColour({ sign: 'more', strength: 1 })).toBe('rgba(214, 96, 39, 0.8)');
    expect(heatColour({ sign: 'fewer', strength: 0.5 })).toBe('rgba(33, 102, 172, 0.45)');
    expect(heatColour({ sign: 'same', strength: 0 })).toBeUndefined();
  });
});

describe('imageRgba', () => {
  it('repeats a gray channel into RGB, opaque', () => {
    // Two 1x2 gray images: [10, 20] and [30, 40]; image 1.
    const rgba = imageRgba(Uint8Array.from([10, 20, 30, 40]), 1, [1, 2, 1]);
    expect([...rgba]).toEqual([30, 30, 30, 255, 40, 40, 40, 255]);
  });

  it('takes an RGB image channels last', () => {
    const rgba = imageRgba(Uint8Array.from([1, 2, 3, 4, 5, 6]), 0, [2, 1, 3]);
    expect([...rgba]).toEqual([1, 2, 3, 255, 4, 5, 6, 255]);
  });

  it('refuses an index past the split and other channel counts', () => {
    expect(() => imageRgba(new Uint8Array(4), 2, [1, 2, 1])).toThrow(/no test image 2/);
    expect(() => imageRgba(new Uint8Array(4), 0, [1, 2, 2])).toThrow(/1 or 3 channels/);
  });
});
