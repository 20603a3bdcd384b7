/**
 * Fine-tuning as a recipe step: retrains the network as the earlier steps left it, with their
 * constraints held (pruned weights stay zero, transforms stay in the forward pass).
 */
import type { Technique } from '../technique.ts';
import { techniqueSpec } from '../catalog.ts';
import { trainRequest } from './training-params.ts';

export const fineTune: Technique = {
  ...techniqueSpec('finetune'),
  async apply(graph, params, context) {
    const result = await context.train(graph, trainRequest(params));
    return { training: result.epochs };
  },
};
