/**
 * Every tensor layout of the compact model file, by layout byte: the one table the file's
 * writer and reader go through.
 */
import { binaryLayout, sparseBinaryLayout } from './binary.ts';
import { codebookLayout } from './codebook.ts';
import { denseLayout } from './dense.ts';
import { fixedPointLayout } from './fixed-point.ts';
import type { FileVersion, StoredWeight, TensorLayout } from './layout.ts';
import { sparseFloatLayout } from './sparse-float.ts';
import { ternaryLayout } from './ternary.ts';

export const TENSOR_LAYOUTS: readonly TensorLayout[] = [
  denseLayout,
  sparseFloatLayout,
  codebookLayout,
  fixedPointLayout,
  ternaryLayout,
  binaryLayout,
  sparseBinaryLayout,
];
TENSOR_LAYOUTS.forEach((layout, i) => {
  if (layout.id !== i) throw new Error(`layout ${layout.name} is at ${i}, not at its id`);
});

/** The layout a byte names in a file of this version, or undefined when it holds none. */
export function layoutOf(id: number, version: FileVersion): TensorLayout | undefined {
  const layout = TENSOR_LAYOUTS[id];
  return layout && layout.since <= version ? layout : undefined;
}

/**
 * The layout a weight takes: of those that store it exactly, the smallest (the earlier in the
 * table among equals: dense before sparse floats). Any version may be asked: layout 6 is
 * allowed here, and the writer makes a version 3 file version 4 when a tensor takes it.
 */
export function chooseLayout(w: StoredWeight, version: FileVersion): TensorLayout {
  const fitting = TENSOR_LAYOUTS.filter((layout) => layout.fits(w));
  if (fitting.length === 0) throw new Error(`${w.name}: no layout stores it`);
  let best = fitting[0];
  if (fitting.length === 1) return best;
  let bestSize = best.sizeBytes(w, version);
  for (const layout of fitting.slice(1)) {
    const size = layout.sizeBytes(w, version);
    if (size < bestSize) [best, bestSize] = [layout, size];
  }
  return best;
}
