/**
 * Magnitude pruning layer by layer, the two ways Deep Compression's pruning is described:
 * - prune-std: Han et al. 2015, section 4: a layer's threshold is a quality parameter times the
 *   standard deviation of its weights, so every layer loses what falls within q standard
 *   deviations of zero (the most sensitive layers get the smallest q);
 * - prune-density: the layer keeps exactly the given fraction of its weights (the densities of
 *   the paper's Tables 2 and 3: LeNet-5 conv1 66%, conv2 12%, fc1 8%, fc2 19%).
 * Both only ever add to what earlier steps pruned.
 */
import type { LayerGraph } from '../../model/graph.ts';
import { techniqueSpec } from '../catalog.ts';
import { perLayerParam, type Technique } from '../technique.ts';
import { density, perLayerValues, pruneAt, pruneToDensity } from './masks.ts';

/** Prunes |w| <= q * std(kept weights of the layer), per layer. Returns each layer's density. */
export function pruneByStd(graph: LayerGraph, quality: ReadonlyMap<string, number | undefined>) {
  const densities: Record<string, number> = {};
  for (const node of graph.weightedLayers()) {
    const w = node.weights.find((x) => x.prunable)!;
    const q = quality.get(node.name);
    if (q !== undefined && q > 0) {
      let n = 0;
      let sum = 0;
      let sumSquares = 0;
      for (let i = 0; i < w.values.length; i++) {
        if (w.mask && !w.mask[i]) continue;
        n++;
        sum += w.values[i];
        sumSquares += w.values[i] * w.values[i];
      }
      const mean = n ? sum / n : 0;
      const std = n ? Math.sqrt(Math.max(0, sumSquares / n - mean * mean)) : 0;
      const threshold = q * std;
      for (let i = 0; i < w.values.length; i++) {
        if ((!w.mask || w.mask[i]) && Math.abs(w.values[i]) <= threshold) pruneAt(w, i);
      }
    }
    densities[node.name] = density(w);
  }
  return densities;
}

export const pruneStd: Technique = {
  ...techniqueSpec('prune-std'),
  apply(graph, params) {
    const quality = perLayerValues(graph, perLayerParam(params, 'quality'), 'quality');
    return { density: pruneByStd(graph, quality) };
  },
};

export const pruneDensity: Technique = {
  ...techniqueSpec('prune-density'),
  apply(graph, params) {
    const targets = perLayerValues(graph, perLayerParam(params, 'density'), 'density');
    const densities: Record<string, number> = {};
    for (const node of graph.weightedLayers()) {
      const w = node.weights.find((x) => x.prunable)!;
      const target = targets.get(node.name);
      if (target !== undefined) pruneToDensity(w, target);
      densities[node.name] = density(w);
    }
    return { density: densities };
  },
};
