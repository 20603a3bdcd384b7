import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gatherItems, stratifiedHoldout } from './split.ts';

describe('stratified holdout', () => {
  it('holds out each class in proportion, largest remainders first (a hand-worked case)', () => {
    // Classes of 5, 3 and 2 items; hold out 4 of 10: exact shares 2, 1.2, 0.8 -> 2, 1, 1
    // (class 2's remainder 0.8 beats class 1's 0.2).
    const labels = Uint8Array.from([0, 1, 0, 2, 0, 1, 0, 2, 1, 0]);
    const { held, kept, heldPerClass } = stratifiedHoldout(labels, 3, 4, 7);
    expect(heldPerClass).toEqual([2, 1, 1]);
    expect(held.length).toBe(4);
    expect(kept.length).toBe(6);
    const heldLabels = [...held].map((i) => labels[i]).sort();
    expect(heldLabels).toEqual([0, 0, 1, 2]);
    // A tie (two classes of one item, one to hold out) goes to the lower class.
    expect(stratifiedHoldout(Uint8Array.from([1, 0]), 2, 1, 7).heldPerClass).toEqual([1, 0]);
  });

  it('partitions the items, both parts ascending, the same for the same seed', () => {
    const cases = fc.record({
      labels: fc.uint8Array({ minLength: 1, maxLength: 300, max: 9 }),
      fraction: fc.double({ min: 0, max: 1, noNaN: true }),
      seed: fc.nat(),
    });
    fc.assert(
      fc.property(cases, ({ labels, fraction, seed }) => {
        const count = Math.floor(fraction * labels.length);
        const split = stratifiedHoldout(labels, 10, count, seed);
        const all = [...split.held, ...split.kept].sort((a, b) => a - b);
        expect(all).toEqual(Array.from({ length: labels.length }, (_, i) => i));
        for (const part of [split.held, split.kept]) {
          for (let k = 1; k < part.length; k++) expect(part[k]).toBeGreaterThan(part[k - 1]);
        }
        // Stratified: each class's share within one item of its exact proportion.
        for (let c = 0; c < 10; c++) {
          const members = labels.filter((l) => l === c).length;
          const inHeld = [...split.held].filter((i) => labels[i] === c).length;
          expect(inHeld).toBe(split.heldPerClass[c]);
          expect(Math.abs(inHeld - (members * count) / labels.length)).toBeLessThan(1);
        }
        expect(stratifiedHoldout(labels, 10, count, seed).held).toEqual(split.held);
      }),
    );
  });

  it('chooses different items for a different seed', () => {
    const labels = Uint8Array.from({ length: 1000 }, (_, i) => i % 10);
    const a = stratifiedHoldout(labels, 10, 100, 1).held;
    const b = stratifiedHoldout(labels, 10, 100, 2).held;
    expect([...a]).not.toEqual([...b]);
  });

  it('refuses an impossible count or a label outside the classes', () => {
    expect(() => stratifiedHoldout(Uint8Array.from([0, 1]), 2, 3, 1)).toThrow(
      /cannot hold out 3 of 2/,
    );
    expect(() => stratifiedHoldout(Uint8Array.from([0, 5]), 2, 1, 1)).toThrow(/label 5 at 1/);
  });

  it('gathers the chosen images and labels in the given order', () => {
    const images = Uint8Array.from([10, 11, 20, 21, 30, 31]);
    const labels = Uint8Array.from([1, 2, 3]);
    const gathered = gatherItems(images, labels, [2, 0], 2);
    expect([...gathered.images]).toEqual([30, 31, 10, 11]);
    expect([...gathered.labels]).toEqual([3, 1]);
  });
});
