/**
 * The re-dense phase of Dense-Sparse-Dense training (Han et al., ICLR 2017, Algorithm 1): the
 * masks are dropped and the pruned weights restart at zero, free to learn again. A DSD recipe is
 * prune -> fine-tune (sparse) -> redense -> fine-tune at a lower learning rate (dense).
 */
import { techniqueSpec } from '../catalog.ts';
import type { Technique } from '../technique.ts';

export const redense: Technique = {
  ...techniqueSpec('redense'),
  apply(graph) {
    let released = 0;
    for (const w of graph.prunableWeights()) {
      if (!w.mask) continue;
      for (const m of w.mask) released += 1 - m;
      w.mask = undefined;
    }
    return { released };
  },
};
