import { describe, expect, it } from 'vitest';
import { createRng } from './random.ts';
import { kthSmallest } from './kth-smallest.ts';

describe('kthSmallest', () => {
  it('agrees with a full sort at every k of small hand-made arrays', () => {
    for (const values of [[3], [2, 1], [5, 1, 4, 1, 5, 9, 2, 6], [0, 0, 0, 1, 0], [7, 7, 7, 7]]) {
      const array = Float32Array.from(values);
      const sorted = array.slice().sort();
      for (let k = 0; k < array.length; k++) expect(kthSmallest(array, k)).toBe(sorted[k]);
      expect(Array.from(array)).toEqual(values.map((v) => Math.fround(v))); // input untouched
    }
  });

  it('agrees with a full sort on large arrays, including mostly zeros (a pruned network)', () => {
    const rng = createRng(7);
    const random = Float32Array.from({ length: 100_001 }, () => Math.abs(rng() - 0.5));
    const pruned = random.map((v, i) => (i % 10 === 0 ? v : 0));
    for (const array of [random, pruned]) {
      const sorted = array.slice().sort();
      for (const k of [0, 1, 5_000, 50_000, 89_999, 90_000, 90_001, 100_000]) {
        expect(kthSmallest(array, k)).toBe(sorted[k]);
      }
    }
  });

  it('refuses a k outside the array', () => {
    expect(() => kthSmallest(new Float32Array(3), 3)).toThrow(RangeError);
    expect(() => kthSmallest(new Float32Array(3), -1)).toThrow(RangeError);
  });
});
