import { describe, expect, it } from 'vitest';
import { paretoFlags, paretoFront } from './pareto.ts';

const p = (cost: number, accuracy: number, id = '') => ({ cost, accuracy, id });

describe('paretoFlags', () => {
  it('keeps the runs nothing beats on both size and accuracy', () => {
    // Drawn by hand: A (100 kB, 0.97), B (50 kB, 0.95), C (200 kB, 0.99) trade off;
    // D (120 kB, 0.96) is bigger and worse than A; E (60 kB, 0.90) is bigger and worse than B.
    const points = [p(100, 0.97), p(50, 0.95), p(200, 0.99), p(120, 0.96), p(60, 0.9)];
    expect(paretoFlags(points)).toEqual([true, true, true, false, false]);
  });

  it('drops a run tied on one count and worse on the other', () => {
    // Same size, less accurate; same accuracy, bigger.
    const points = [p(100, 0.97), p(100, 0.96), p(150, 0.97), p(80, 0.9)];
    expect(paretoFlags(points)).toEqual([true, false, false, true]);
  });

  it('keeps one of several identical runs, the first', () => {
    const points = [p(100, 0.97), p(100, 0.97), p(100, 0.97)];
    expect(paretoFlags(points)).toEqual([true, false, false]);
  });

  it('puts a lone run, and no run of an empty set, on the front', () => {
    expect(paretoFlags([p(5, 0.5)])).toEqual([true]);
    expect(paretoFlags([])).toEqual([]);
  });
});

describe('paretoFront', () => {
  it('lists the front cheapest first, whatever the input order', () => {
    const points = [p(200, 0.99, 'C'), p(120, 0.96, 'D'), p(50, 0.95, 'B'), p(100, 0.97, 'A')];
    expect(paretoFront(points).map((q) => q.id)).toEqual(['B', 'A', 'C']);
  });
});
