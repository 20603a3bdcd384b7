import { describe, expect, it } from 'vitest';
import { finitePopulationInterval, wilsonInterval } from './interval.ts';

// Expected values worked by hand (calculator) from Wilson's formula
//   center = (p + z²/2n) / (1 + z²/n),  half = z/(1 + z²/n) · sqrt(p(1-p)/n + z²/4n²),
// with z = 1.96 (z² = 3.8415), and for the finite population z² · (N - n)/(N - 1).
describe('wilsonInterval', () => {
  it('gives the textbook interval for 8 of 10 (Newcombe 1998: 0.490 to 0.943)', () => {
    // p = 0.8, 1 + z²/n = 1.38415, center = 0.99208 / 1.38415 = 0.71674,
    // half = 1.41602 · sqrt(0.016 + 0.0096037) = 0.22658
    const { low, high } = wilsonInterval(8, 10);
    expect(low).toBeCloseTo(0.49016, 4);
    expect(high).toBeCloseTo(0.94332, 4);
  });

  it('stays inside [0, 1] at 0 of 10 and 10 of 10', () => {
    // center = 0.19207 / 1.38415 = 0.13877 = half, so the interval is [0, 0.27753]
    expect(wilsonInterval(0, 10).low).toBe(0);
    expect(wilsonInterval(0, 10).high).toBeCloseTo(0.27753, 4);
    expect(wilsonInterval(10, 10).high).toBeCloseTo(1, 12);
    expect(wilsonInterval(10, 10).low).toBeCloseTo(1 - 0.27753, 4);
  });

  it('refuses counts that are not counts', () => {
    expect(() => wilsonInterval(11, 10)).toThrow(/correct <= seen/);
    expect(() => wilsonInterval(0, 0)).toThrow(/seen >= 1/);
    expect(() => wilsonInterval(1.5, 10)).toThrow(RangeError);
  });
});

describe('finitePopulationInterval (of the 2,000 test digits)', () => {
  it('is narrower than Wilson by the finite-population correction', () => {
    // 95 of the first 100: (N - n)/(N - 1) = 1900/1999 = 0.950475, z² · that = 3.65125;
    // 1 + z²/n = 1.0365125, center = (0.95 + 0.0182563) / 1.0365125 = 0.934139,
    // half = (1.910825 / 1.0365125) · sqrt(0.000475 + 0.0000913) = 0.043869
    const { low, high } = finitePopulationInterval(95, 100, 2000);
    expect(low).toBeCloseTo(0.89028, 4);
    expect(high).toBeCloseTo(0.97802, 4);
    const plain = wilsonInterval(95, 100);
    expect(low).toBeGreaterThan(plain.low);
    expect(high).toBeLessThan(plain.high);
  });

  it('narrows as more digits are seen at the same rate', () => {
    // 490 of 500: correction 1500/1999; worked as above: 0.96630 to 0.98820
    const { low, high } = finitePopulationInterval(490, 500, 2000);
    expect(low).toBeCloseTo(0.9663, 4);
    expect(high).toBeCloseTo(0.9882, 4);
    const early = finitePopulationInterval(98, 100, 2000);
    expect(high - low).toBeLessThan(early.high - early.low);
  });

  it('never claims more than the unseen digits can change', () => {
    // 1,900 of 1,999 seen: one digit left, so the final count is 1,900 or 1,901 of 2,000.
    const lastOne = finitePopulationInterval(1900, 1999, 2000);
    expect(lastOne.high).toBe(1901 / 2000);
    expect(lastOne.low).toBeGreaterThanOrEqual(1900 / 2000);
    // 100 of the first 100 right: at least 100 of 2,000, at most all of them.
    const perfect = finitePopulationInterval(100, 100, 2000);
    expect(perfect.low).toBeGreaterThanOrEqual(100 / 2000);
    expect(perfect.high).toBeCloseTo(1, 12);
  });

  it('is the exact accuracy once every digit is seen', () => {
    expect(finitePopulationInterval(1975, 2000, 2000)).toEqual({
      low: 1975 / 2000,
      high: 1975 / 2000,
    });
  });

  it('refuses a total smaller than what was seen', () => {
    expect(() => finitePopulationInterval(5, 10, 9)).toThrow(/no smaller than seen/);
  });
});
