import { describe, expect, it } from 'vitest';
import { mean, meanFigures, sampleStd, stdFigures } from './seed-spread.ts';

describe('the spread of figures over seeds', () => {
  it('takes the sample standard deviation (n - 1), by hand', () => {
    // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, squared deviations sum to 32; 32 / 7 under the root.
    const values = [2, 4, 4, 4, 5, 5, 7, 9];
    expect(mean(values)).toBe(5);
    expect(sampleStd(values)).toBeCloseTo(Math.sqrt(32 / 7), 12);
    // Accuracies 0.985, 0.987, 0.989: mean 0.987, deviations ±0.002, (8e-6 / 2) under the root.
    expect(sampleStd([0.985, 0.987, 0.989])).toBeCloseTo(0.002, 12);
    expect(sampleStd([0.5])).toBe(0);
  });

  it('averages every number field by field, nested ones too, and keeps the rest of seed 1', () => {
    const seeds = [
      { accuracy: 0.98, recipe: 'seed=1', layers: { fc1: { density: 0.1 } }, steps: [{ a: 1 }] },
      { accuracy: 0.99, recipe: 'seed=2', layers: { fc1: { density: 0.3 } }, steps: [{ a: 3 }] },
    ];
    expect(meanFigures(seeds)).toEqual({
      accuracy: 0.985,
      recipe: 'seed=1',
      layers: { fc1: { density: 0.2 } },
      steps: [{ a: 2 }],
    });
    const std = stdFigures(seeds);
    // Two values x, y: |x - y| / sqrt(2).
    expect(std.accuracy).toBeCloseTo(0.01 / Math.SQRT2, 12);
    expect((std.layers as { fc1: { density: number } }).fc1.density).toBeCloseTo(
      0.2 / Math.SQRT2,
      12,
    );
    expect(std.steps).toEqual([{ a: Math.SQRT2 }]);
    expect(std).not.toHaveProperty('recipe');
  });
});
