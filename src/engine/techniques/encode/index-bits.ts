/**
 * How sparse layers store their positions: Deep Compression's relative indices in k bits
 * (section 2: 8 bits for conv, 5 for fully connected layers), with a filler zero entry where a
 * gap exceeds 2^k - 1. Without this step each tensor gets the k that makes it smallest.
 */
import { techniqueSpec } from '../catalog.ts';
import { numberParam, type Technique } from '../technique.ts';

export const indexBits: Technique = {
  ...techniqueSpec('index-bits'),
  apply(graph, params) {
    for (const node of graph.weightedLayers()) {
      const bits = numberParam(params, node.className === 'Dense' ? 'dense' : 'conv');
      for (const w of node.weights) if (w.prunable) w.indexBits = bits;
    }
  },
};
