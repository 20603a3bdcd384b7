import * as tf from '@tensorflow/tfjs';
import { digitsToTensor } from '../data/batches.ts';
import type { DigitSplit } from '../data/digits.ts';
import { throwIfCancelled } from '../cancel.ts';

export interface AccuracyResult {
  readonly correct: number;
  readonly total: number;
  readonly accuracy: number;
}

/** A model as the engine evaluates it: a batch of inputs in, class probabilities out. */
export type Predict = (x: tf.Tensor) => tf.Tensor;

/** Top-1 accuracy over a whole split, in batches; leaves no tensor behind, even on failure. */
export async function evaluateAccuracy(
  predict: Predict,
  split: DigitSplit,
  inputShape: readonly number[],
  options: { batchSize?: number; signal?: AbortSignal; onBatch?: (done: number) => void } = {},
): Promise<AccuracyResult> {
  const batchSize = options.batchSize ?? 500;
  let correct = 0;
  for (let start = 0; start < split.count; start += batchSize) {
    throwIfCancelled(options.signal);
    const count = Math.min(batchSize, split.count - start);
    const predicted = tf.tidy(() =>
      predict(digitsToTensor(split, start, count, inputShape)).argMax(-1),
    );
    let classes: ArrayLike<number>;
    try {
      classes = await predicted.data();
    } finally {
      predicted.dispose();
    }
    for (let k = 0; k < count; k++) if (classes[k] === split.labels[start + k]) correct++;
    options.onBatch?.(start + count);
  }
  return { correct, total: split.count, accuracy: correct / split.count };
}
