/**
 * Global magnitude pruning (Han et al., NIPS 2015, as used by Deep Compression): the smallest
 * |w| across all prunable kernels of the network are set to zero and masked, so one fraction
 * decides the whole model and each layer loses what its weights' sizes dictate. Biases and
 * batch-norm parameters are left alone.
 */
import type { LayerGraph } from '../../model/graph.ts';
import { kthSmallest } from '../../util/kth-smallest.ts';
import { techniqueSpec } from '../catalog.ts';
import { numberParam, type Technique } from '../technique.ts';

/** Prunes exactly round(fraction * N) kernel weights, ties broken by position. */
export function pruneGlobalMagnitude(graph: LayerGraph, fraction: number): void {
  const kernels = graph.prunableWeights();
  const total = kernels.reduce((sum, w) => sum + w.values.length, 0);
  const toPrune = Math.round(fraction * total);
  if (toPrune === 0) return;
  for (const w of kernels) w.mask ??= new Uint8Array(w.values.length).fill(1);

  const magnitudes = new Float32Array(total);
  let offset = 0;
  for (const w of kernels) {
    for (let i = 0; i < w.values.length; i++) magnitudes[offset + i] = Math.abs(w.values[i]);
    offset += w.values.length;
  }
  // Selection, not a full sort: the same value, in a fraction of the time a slider move allows.
  const threshold = kthSmallest(magnitudes, toPrune - 1);

  // Everything strictly below the threshold goes; then weights equal to it, in order, until the
  // count is exact. Deterministic on every backend and machine.
  let below = 0;
  for (const m of magnitudes) if (m < threshold) below++;
  let equalBudget = toPrune - below;
  offset = 0;
  for (const w of kernels) {
    const mask = w.mask as Uint8Array;
    for (let i = 0; i < w.values.length; i++) {
      const m = magnitudes[offset + i];
      if (m < threshold || (m === threshold && equalBudget-- > 0)) {
        mask[i] = 0;
        w.values[i] = 0;
      }
    }
    offset += w.values.length;
  }
}

export const globalMagnitudePrune: Technique = {
  ...techniqueSpec('prune'),
  apply(graph, params) {
    pruneGlobalMagnitude(graph, numberParam(params, 'fraction'));
  },
};
