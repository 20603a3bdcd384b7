/**
 * Fine-tuning as a recipe step: retrains the network as the earlier steps left it, with their
 * constraints held (pruned weights stay zero, transforms stay in the forward pass).
 */
import type { Technique } from '../technique.ts';
import { trainingParams, trainRequest } from './training-params.ts';

export const fineTune: Technique = {
  id: 'finetune',
  family: 'train',
  label: 'Fine-tune',
  description:
    'Retrains on the 8,000 training digits with every constraint of the steps before it held: pruned weights stay at zero, removed filters stay removed.',
  params: trainingParams({ epochs: 2, lr: 0.0001 }),
  identity: { epochs: 0 },
  trains: true,
  async apply(graph, params, context) {
    const result = await context.train(graph, trainRequest(params));
    return { training: result.epochs };
  },
};
