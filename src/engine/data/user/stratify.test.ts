import { describe, expect, it } from 'vitest';
import { stratifiedSplit } from './stratify.ts';

const names = ['a', 'b', 'c'];
/** 50 of class a, 20 of b, 10 of c, interleaved. */
const labels = Uint8Array.from(
  Array.from({ length: 80 }, (_, i) => (i < 30 ? i % 3 : i < 70 ? (i % 4 === 0 ? 1 : 0) : 2)),
);
const perClass = (indices: Uint32Array): number[] => {
  const counts = [0, 0, 0];
  indices.forEach((index) => counts[labels[index]]++);
  return counts;
};

describe('seeded stratified split', () => {
  it('cuts round(n x fraction) of each class for validation and test, the rest to train', () => {
    const totals = perClass(Uint32Array.from(labels.keys()));
    const split = stratifiedSplit(labels, names, { validation: 0.1, test: 0.2 }, 7, 'data');
    // Per class: validation round(0.1 n) (at least 1), test round(0.2 n) (at least 1).
    const expectedValidation = totals.map((n) => Math.max(1, Math.round(n * 0.1)));
    const expectedTest = totals.map((n) => Math.max(1, Math.round(n * 0.2)));
    expect(perClass(split.validation)).toEqual(expectedValidation);
    expect(perClass(split.test)).toEqual(expectedTest);
    expect(perClass(split.train)).toEqual(
      totals.map((n, c) => n - expectedValidation[c] - expectedTest[c]),
    );
  });

  it('splits are disjoint, cover every item and are in ascending order', () => {
    const split = stratifiedSplit(labels, names, { validation: 0.1, test: 0.1 }, 3, 'data');
    const all = [...split.train, ...split.validation, ...split.test].sort((a, b) => a - b);
    expect(all).toEqual([...labels.keys()]);
    for (const part of [split.train, split.validation, split.test]) {
      expect([...part]).toEqual([...part].sort((a, b) => a - b));
    }
  });

  it('the same seed gives the same split, another seed another', () => {
    const a = stratifiedSplit(labels, names, { validation: 0.1, test: 0.1 }, 11, 'data');
    const b = stratifiedSplit(labels, names, { validation: 0.1, test: 0.1 }, 11, 'data');
    const c = stratifiedSplit(labels, names, { validation: 0.1, test: 0.1 }, 12, 'data');
    expect(b).toEqual(a);
    expect([...c.test]).not.toEqual([...a.test]);
  });

  it('refuses a class with too few images, naming it', () => {
    const few = Uint8Array.from([0, 0, 0, 1, 1, 0, 2, 2, 2]);
    expect(() => stratifiedSplit(few, names, { validation: 0.1, test: 0.1 }, 1, 'pets')).toThrow(
      'pets: class "b" has 2 images; it needs at least 3 to have one in each of train, validation and test',
    );
    // Only validation cut (a given test split): two images are enough.
    const split = stratifiedSplit(few, names, { validation: 0.1, test: 0 }, 1, 'pets');
    expect(perClass2(few, split.validation)).toEqual([1, 1, 1]);
    expect(split.test.length).toBe(0);
  });
});

function perClass2(source: Uint8Array, indices: Uint32Array): number[] {
  const counts = [0, 0, 0];
  indices.forEach((index) => counts[source[index]]++);
  return counts;
}
