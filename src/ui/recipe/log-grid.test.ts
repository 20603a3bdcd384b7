import { describe, expect, it } from 'vitest';
import { logGrid, nearestLogPosition } from './log-grid.ts';

describe('log slider grid', () => {
  it('runs 1, 1.5, 2, 3, 5, 7 per decade between the ends', () => {
    expect(logGrid(0.0001, 0.01)).toEqual([
      0.0001, 0.00015, 0.0002, 0.0003, 0.0005, 0.0007, 0.001, 0.0015, 0.002, 0.003, 0.005, 0.007,
      0.01,
    ]);
  });

  it('keeps both ends even off the 1-2-5 pattern, and leaves out values off the step', () => {
    const grid = logGrid(0.000001, 0.1, 0.000001);
    expect(grid[0]).toBe(0.000001);
    expect(grid.at(-1)).toBe(0.1);
    expect(grid).not.toContain(0.0000015); // not a multiple of the step 1e-6
    expect(grid).toContain(0.000015);
    expect(logGrid(0.0004, 0.06)).toEqual([
      0.0004, 0.0005, 0.0007, 0.001, 0.0015, 0.002, 0.003, 0.005, 0.007, 0.01, 0.015, 0.02, 0.03,
      0.05, 0.06,
    ]);
  });

  it('puts a value off the grid at its nearest position on a log scale', () => {
    const grid = logGrid(0.0001, 0.01);
    expect(nearestLogPosition(grid, 0.0001)).toBe(0);
    expect(grid[nearestLogPosition(grid, 0.00012)]).toBe(0.0001); // log-nearer than 0.00015
    expect(grid[nearestLogPosition(grid, 0.00013)]).toBe(0.00015);
    expect(nearestLogPosition(grid, 1)).toBe(grid.length - 1);
  });
});
