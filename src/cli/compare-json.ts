import type { RunComparison, RunBehaviour } from '../engine/compare/compare-runs.ts';
import type { DataSetId } from '../engine/data/datasets.ts';

/** One side of `complab compare --json`: its recipe and its figures on the test images. */
const side = (recipe: string, run: RunBehaviour) => ({
  recipe,
  correct: run.correct,
  total: run.total,
  perClass: run.perClass,
  confusion: run.confusion,
});

/**
 * The object `complab compare --json` prints: `a` and `b` (correct, total, correct per class,
 * confusion matrix with row = true class), what b loses and gains against a with McNemar's p,
 * and every test image whose prediction changed, in split order.
 */
export function comparisonJson(
  data: DataSetId,
  recipes: { readonly a: string; readonly b: string },
  comparison: RunComparison,
) {
  return {
    data,
    a: side(recipes.a, comparison.a),
    b: side(recipes.b, comparison.b),
    lost: comparison.paired.lost,
    gained: comparison.paired.gained,
    pValue: comparison.paired.pValue,
    flips: comparison.flips.map(({ index, label, a, b }) => ({ index, label, a, b })),
  };
}
