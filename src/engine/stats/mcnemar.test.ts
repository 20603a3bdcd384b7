import { describe, expect, it } from 'vitest';
import { comparePaired, mcnemarExactPValue } from './mcnemar.ts';

describe("McNemar's exact test", () => {
  it('matches binomial sums worked by hand', () => {
    // b = 12, c = 0: 2 * P(X <= 0) = 2 * 2^-12.
    expect(mcnemarExactPValue(12, 0)).toBe(0.00048828125);
    // b = 3, c = 1: 2 * (C(4,0) + C(4,1)) / 2^4 = 2 * 5 / 16.
    expect(mcnemarExactPValue(3, 1)).toBe(0.625);
    // b = 7, c = 1: 2 * (1 + 8) / 256.
    expect(mcnemarExactPValue(7, 1)).toBe(0.0703125);
    // b = 8, c = 2: 2 * (1 + 10 + 45) / 1024.
    expect(mcnemarExactPValue(8, 2)).toBe(0.109375);
    // b = 10, c = 3: 2 * (1 + 13 + 78 + 286) / 8192.
    expect(mcnemarExactPValue(10, 3)).toBeCloseTo(0.09228515625, 15);
    // b = 1, c = 0: 2 * 1/2, no evidence at all.
    expect(mcnemarExactPValue(1, 0)).toBe(1);
  });

  it('is symmetric, and 1 when there is no difference', () => {
    expect(mcnemarExactPValue(0, 0)).toBe(1);
    expect(mcnemarExactPValue(5, 5)).toBe(1);
    expect(mcnemarExactPValue(4000, 4000)).toBe(1);
    expect(mcnemarExactPValue(5, 6)).toBe(1); // 2 * 0.5 = 1, capped (the tail is over half)
    expect(mcnemarExactPValue(2, 10)).toBe(mcnemarExactPValue(10, 2));
    expect(mcnemarExactPValue(4800, 5200)).toBe(mcnemarExactPValue(5200, 4800));
  });

  it('stays accurate for large counts, on both sides of the change to log space', () => {
    // Exact values from integer arithmetic: 2 * sum_{i <= k} C(n, i) / 2^n as a fraction
    // (Python's math.comb and fractions.Fraction), rounded to a double at the end.
    const exact: Array<[number, number, number]> = [
      [30, 12, 0.007915897334896727],
      [500, 450, 0.11183864514157879],
      [600, 400, 2.7284641560660184e-10], // n = 1000, summed directly
      [601, 400, 2.265073348661045e-10], // n = 1001, in log space
      [6000, 5700, 0.005702989808408016],
      [5200, 4800, 6.593515598672442e-5],
    ];
    for (const [b, c, p] of exact) {
      expect(Math.abs(mcnemarExactPValue(b, c) - p) / p).toBeLessThan(1e-9);
    }
  });

  it('underflows to 0 for overwhelming evidence, never NaN or Infinity', () => {
    expect(mcnemarExactPValue(20000, 0)).toBe(0);
    const p = mcnemarExactPValue(60000, 100);
    expect(Number.isFinite(p) && p >= 0).toBe(true);
  });

  it('refuses counts that are not whole numbers', () => {
    expect(() => mcnemarExactPValue(-1, 2)).toThrow(/whole number >= 0, not -1/);
    expect(() => mcnemarExactPValue(1.5, 2)).toThrow(/not 1.5/);
    expect(() => mcnemarExactPValue(Number.NaN, 2)).toThrow(/not NaN/);
  });
});

describe('paired comparison', () => {
  it('counts the images lost and gained against the baseline', () => {
    const labels = [0, 1, 2, 3, 4, 5, 6, 7];
    const baseline = [0, 1, 2, 3, 4, 5, 9, 9]; // right on the first 6
    const candidate = [0, 1, 9, 9, 9, 5, 6, 9]; // loses 2, 3, 4; gains 6
    expect(comparePaired(labels, baseline, candidate)).toEqual({
      lost: 3,
      gained: 1,
      pValue: 0.625,
    });
  });

  it('reads like the issue: 12 lost, 0 gained, p = 0.0005', () => {
    const labels = new Uint8Array(10000).map((_, i) => i % 10);
    const baseline = Int32Array.from(labels);
    const candidate = Int32Array.from(labels);
    for (let i = 0; i < 12; i++) candidate[i * 100] = (labels[i * 100] + 1) % 10;
    const paired = comparePaired(labels, baseline, candidate);
    expect(paired).toEqual({ lost: 12, gained: 0, pValue: 0.00048828125 });
  });

  it('refuses predictions of a different length', () => {
    expect(() => comparePaired([1, 2], [1], [1, 2])).toThrow(
      /2 labels, 1 baseline and 2 candidate predictions/,
    );
  });
});
