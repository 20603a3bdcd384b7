/**
 * Helpers shared by the pruning techniques: masks that only ever lose entries (a weight pruned
 * by an earlier step stays pruned), exact per-tensor counts with ties broken by position, and
 * per-layer densities.
 */
import type { LayerGraph, WeightTensor } from '../../model/graph.ts';
import { RecipeError } from '../../recipe/errors.ts';
import type { PerLayerValue } from '../technique.ts';

/** Zeroes and masks entry i of `w` (creating its mask on first use). */
export function pruneAt(w: WeightTensor, i: number): void {
  w.mask ??= new Uint8Array(w.values.length).fill(1);
  w.mask[i] = 0;
  w.values[i] = 0;
}

export function keptCount(w: WeightTensor): number {
  if (!w.mask) return w.values.length;
  let kept = 0;
  for (const m of w.mask) kept += m;
  return kept;
}

export const density = (w: WeightTensor) => keptCount(w) / w.values.length;

/**
 * Prunes `w` down to exactly round(keep * n) weights, smallest |w| first (already pruned weights
 * count as the smallest), ties broken by position. Never revives a pruned weight.
 *
 * The weights pruned are the first n - round(keep * n) in (magnitude, position) order: every
 * weight below the magnitude at that rank, then the first weights (by position) equal to it. A
 * typed-array sort of the magnitudes finds that rank (a sort of positions with a comparator took
 * about half a second on lenet300's fc1 and let no abort in meanwhile).
 */
export function pruneToDensity(w: WeightTensor, keep: number): void {
  const n = w.values.length;
  const pruned = n - Math.round(keep * n);
  if (pruned <= 0) return;
  const magnitudes = new Float64Array(n);
  for (let i = 0; i < n; i++) magnitudes[i] = w.mask && !w.mask[i] ? -1 : Math.abs(w.values[i]);
  const threshold = magnitudes.slice().sort()[pruned - 1];
  let below = 0;
  for (let i = 0; i < n; i++) if (magnitudes[i] < threshold) below++;
  let tiesLeft = pruned - below;
  for (let i = 0; i < n; i++) {
    const m = magnitudes[i];
    if (m < threshold || (m === threshold && tiesLeft-- > 0)) {
      if (!w.mask || w.mask[i]) pruneAt(w, i);
    }
  }
}

/** The conv and dense kernels a per-layer parameter addresses, by layer name. */
export function layerKernels(graph: LayerGraph): Map<string, WeightTensor> {
  const kernels = new Map<string, WeightTensor>();
  for (const node of graph.weightedLayers()) {
    kernels.set(
      node.name,
      node.weights.find((w) => w.prunable)!,
    );
  }
  return kernels;
}

/** Resolves a per-layer value for every conv/dense layer; a name the model lacks is an error. */
export function perLayerValues(
  graph: LayerGraph,
  value: PerLayerValue,
  what: string,
): Map<string, number | undefined> {
  const kernels = layerKernels(graph);
  for (const layer of Object.keys(value)) {
    if (layer !== '*' && !kernels.has(layer)) {
      throw new RecipeError(
        `${what}: the model has no conv or dense layer "${layer}" (its layers: ${[...kernels.keys()].join(', ')})`,
      );
    }
  }
  // Own keys only: a layer named "constructor" or "toString" is not an Object property.
  const own = (key: string) => (Object.hasOwn(value, key) ? value[key] : undefined);
  return new Map([...kernels.keys()].map((layer) => [layer, own(layer) ?? own('*')]));
}
