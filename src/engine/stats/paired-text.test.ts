import { describe, expect, it } from 'vitest';
import { mcnemarExactPValue } from './mcnemar.ts';
import { formatPaired, formatPointDifference, formatPValue } from './paired-text.ts';

describe('paired comparison text', () => {
  it("reads as the issue's example: 12 lost, 0 gained of 10,000 images", () => {
    // By hand: p = 2 * (1/2)^12 = 0.000488..., -12 / 10,000 = -0.12 points.
    const pValue = 2 * 0.5 ** 12;
    expect(formatPaired({ lost: 12, gained: 0, pValue }, 10000)).toBe(
      '-0.12 pt (12 lost, 0 gained; p = 0.0005)',
    );
  });

  it('says when nothing changed, and when more was gained than lost', () => {
    expect(formatPaired({ lost: 0, gained: 0, pValue: 1 }, 2000)).toBe(
      '0.00 pt (0 lost, 0 gained; p = 1)',
    );
    // 3 lost, 8 gained: p = 2 * (C(11,0) + C(11,1) + C(11,2) + C(11,3)) / 2^11 = 2 * 232 / 2048.
    expect(formatPaired({ lost: 3, gained: 8, pValue: mcnemarExactPValue(3, 8) }, 10000)).toBe(
      '+0.05 pt (3 lost, 8 gained; p = 0.23)',
    );
    expect((2 * 232) / 2048).toBeCloseTo(0.2265625, 12);
  });

  it('rounds p-values to what matters and refuses what is not one', () => {
    expect(formatPValue(0.04237)).toBe('= 0.042');
    expect(formatPValue(0.5)).toBe('= 0.5');
    expect(formatPValue(0.00123)).toBe('= 0.0012');
    expect(formatPValue(0.00000123)).toBe('< 0.0001');
    expect(() => formatPValue(1.5)).toThrow(RangeError);
    expect(() => formatPValue(Number.NaN)).toThrow(RangeError);
    expect(formatPointDifference(-1.234)).toBe('-1.23 pt');
    expect(() => formatPaired({ lost: 1, gained: 0, pValue: 1 }, 0)).toThrow(RangeError);
  });
});
