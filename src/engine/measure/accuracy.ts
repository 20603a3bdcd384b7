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

export interface AccuracyOptions {
  readonly batchSize?: number;
  /**
   * A smaller first chunk, so a first estimate comes early; the next chunk fills up to
   * `batchSize`, and the rest are as without it.
   */
  readonly firstBatchSize?: number;
  readonly signal?: AbortSignal;
  /** After each chunk: digits evaluated so far and how many of them were right. */
  readonly onBatch?: (done: number, correct: number) => void;
}

/** The sizes of the chunks `count` digits are evaluated in. */
export function evaluationChunks(
  count: number,
  batchSize: number,
  firstBatchSize?: number,
): number[] {
  const chunks: number[] = [];
  const first = firstBatchSize !== undefined && firstBatchSize < batchSize ? firstBatchSize : 0;
  const sizes = first > 0 ? [first, batchSize - first] : [];
  for (let done = 0; done < count;) {
    const size = Math.min(sizes[chunks.length] ?? batchSize, count - done);
    chunks.push(size);
    done += size;
  }
  return chunks;
}

/** Top-1 accuracy over a whole split, in chunks; leaves no tensor behind, even on failure. */
export async function evaluateAccuracy(
  predict: Predict,
  split: DigitSplit,
  inputShape: readonly number[],
  options: AccuracyOptions = {},
): Promise<AccuracyResult> {
  const chunks = evaluationChunks(split.count, options.batchSize ?? 500, options.firstBatchSize);
  let correct = 0;
  let start = 0;
  for (const count of chunks) {
    throwIfCancelled(options.signal);
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
    start += count;
    options.onBatch?.(start, correct);
  }
  return { correct, total: split.count, accuracy: correct / split.count };
}
