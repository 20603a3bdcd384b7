import { describe, expect, it } from 'vitest';
import { PRESETS } from './techniques/presets.ts';
import { paperFigures } from './papers.ts';

/** Keys that describe the figures rather than being one. */
const NOT_FIGURES = new Set(['paper', 'source', 'sources', 'unverified', 'method', 'mnist']);

describe('paperFigures', () => {
  it.each(PRESETS.flatMap((p) => ['lenet300', 'lenet5'].map((m) => [p.id, m] as const)))(
    '%s on %s names where every figure is printed',
    (preset, model) => {
      const figures = paperFigures(preset, model);
      const sources = figures.sources ?? {};
      const unsourced = Object.keys(figures).filter((k) => !NOT_FIGURES.has(k) && !sources[k]);
      expect(unsourced).toEqual([]);
      // No source for a figure the object does not hold (a renamed figure keeps its source).
      expect(Object.keys(sources).filter((k) => !(k in figures))).toEqual([]);
    },
  );

  // The figures as printed in the papers (checked by hand against them), not against papers.ts.
  it('gives binary-weight AlexNet as the ECCV text does: no drop against float', () => {
    const xnor = paperFigures('xnor', 'lenet5');
    expect(xnor).not.toHaveProperty('binaryWeightAlexNetTop1Drop'); // arXiv v1's abstract: 2.9
    expect(xnor.alexNetImageNet).toEqual({
      float: { top1: 56.6, top5: 80.2 },
      binaryWeights: { top1: 56.8, top5: 79.4 },
      xnor: { top1: 44.2, top5: 69.2 },
    });
    expect(xnor.sources?.alexNetImageNet).toMatch(/ECCV 2016.*Table 1/);
  });

  it('takes the pruned LeNets’ errors from Han et al. 2015, Table 1', () => {
    for (const [model, before, after] of [
      ['lenet300', 0.0164, 0.0159],
      ['lenet5', 0.008, 0.0077],
    ] as const) {
      const pruning = paperFigures('deep-compression-pruning', model);
      expect([pruning.baselineError, pruning.error]).toEqual([before, after]);
      expect(pruning.sources?.error).toMatch(/NIPS 2015.*Table 1/);
    }
    // Deep Compression's own Table 1 gives the errors after the whole pipeline.
    const full = paperFigures('deep-compression', 'lenet300');
    expect(full.error).toBe(0.0158);
    expect(full.sources?.error).toMatch(/ICLR 2016.*Table 1/);
  });
});
