/**
 * How sparse layers store their positions: Deep Compression's relative indices in k bits
 * (section 2: 8 bits for conv, 5 for fully connected layers), with a filler zero entry where a
 * gap exceeds 2^k - 1. Without this step each tensor gets the k that makes it smallest.
 */
import { numberParam, type Technique } from '../technique.ts';

export const indexBits: Technique = {
  id: 'index-bits',
  family: 'encode',
  label: 'Sparse index bits',
  description:
    'Fixes the width of the relative indices of sparse layers, as Deep Compression does (8 bits for conv, 5 for dense); without it the lab picks the smallest width per layer.',
  params: [
    {
      type: 'integer',
      name: 'conv',
      label: 'Conv index bits',
      min: 1,
      max: 16,
      default: 8,
      description: 'bits per relative index in conv layers',
    },
    {
      type: 'integer',
      name: 'dense',
      label: 'Dense index bits',
      min: 1,
      max: 16,
      default: 5,
      description: 'bits per relative index in dense layers',
    },
  ],
  apply(graph, params) {
    for (const node of graph.weightedLayers()) {
      const bits = numberParam(params, node.className === 'Dense' ? 'dense' : 'conv');
      for (const w of node.weights) if (w.prunable) w.indexBits = bits;
    }
  },
};
