/**
 * The training side of compact binary nets (Tang, Hua, Wang, AAAI 2017) and of BinaryConnect /
 * XNOR-Net: latent weights clipped to [-1, 1] after every update (so sign flips stay cheap and
 * the straight-through gradient, zero beyond |w| = 1, never dies), Tang's bipolar regularizer
 * lambda * sum(1 - w^2) that pulls weights towards +-1, and their low learning rate (1e-4).
 * (PReLU, the scale before the softmax and multiple binarizations are graph changes: xnor.ts.)
 */
import * as tf from '@tensorflow/tfjs';
import type { WeightTensor } from '../../model/graph.ts';
import type { Regularizer } from '../../train/finetune.ts';
import {
  booleanParam,
  numberParam,
  type TechniqueParams,
  type TrainRequest,
} from '../technique.ts';

/** Tang et al.'s learning rate for binary nets: fewer sign flips per step. */
export const TANG_LEARNING_RATE = 1e-4;

/** After every update: latent weights of the named kernels clipped to [-1, 1]. */
export function clipLatent(names: readonly string[]) {
  return (weights: ReadonlyMap<string, tf.Variable>) => {
    for (const name of names) {
      const v = weights.get(name);
      if (v) tf.tidy(() => v.assign(tf.clipByValue(v, -1, 1)));
    }
  };
}

/** lambda * sum over the kernels of (1 - w^2); its gradient -2 lambda w pushes |w| up. */
export function bipolarRegularizer(names: readonly string[], lambda: number): Regularizer {
  return {
    id: 'bipolar',
    penalty: (weights) =>
      tf.tidy(
        () =>
          tf.mul(
            tf.addN(names.map((n) => tf.sum(tf.sub(1, tf.square(weights.get(n)!))))),
            lambda,
          ) as tf.Scalar,
      ),
  };
}

/** Tang's training toggles as a piece of a training request. */
export function tangTraining(
  params: TechniqueParams,
  kernels: readonly WeightTensor[],
): Partial<TrainRequest> {
  const request: { learningRate?: number; regularizers?: Regularizer[] } = {};
  if (booleanParam(params, 'lowLr')) request.learningRate = TANG_LEARNING_RATE;
  const lambda = numberParam(params, 'bipolar');
  if (lambda > 0) {
    request.regularizers = [
      bipolarRegularizer(
        kernels.map((w) => w.name),
        lambda,
      ),
    ];
  }
  return request;
}
