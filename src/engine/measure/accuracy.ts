import * as tf from '@tensorflow/tfjs';
import { digitsToTensor } from '../data/batches.ts';
import type { DigitSplit } from '../data/digits.ts';
import { makeCheckpoint } from '../cancel.ts';

export interface AccuracyResult {
  readonly correct: number;
  readonly total: number;
  readonly accuracy: number;
  /** The class predicted for each image, in split order (only when keepPredictions is set). */
  readonly predicted?: Uint16Array;
}

/** A model as the engine evaluates it: a batch of inputs in, class probabilities out. */
export type Predict = (x: tf.Tensor) => tf.Tensor;

/**
 * Digits per evaluation chunk when none is asked for. On wasm and cpu a chunk is a stretch of
 * work an abort cannot interrupt, so it is kept short (100 lenet5 digits take about 25 ms
 * there); a GPU backend keeps larger chunks, and awaits its results anyway.
 */
export function defaultEvaluationBatch(backend: string = tf.getBackend()): number {
  return backend === 'wasm' || backend === 'cpu' ? 100 : 500;
}

export interface AccuracyOptions {
  /** Digits per chunk (default: defaultEvaluationBatch()). */
  readonly batchSize?: number;
  /**
   * A smaller first chunk, so a first estimate comes early; the next chunk fills up to
   * `batchSize`, and the rest are as without it.
   */
  readonly firstBatchSize?: number;
  readonly signal?: AbortSignal;
  /** After each chunk: digits evaluated so far and how many of them were right. */
  readonly onBatch?: (done: number, correct: number) => void;
  /** Keep the predicted class of every image (for a paired comparison with another model). */
  readonly keepPredictions?: boolean;
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
  const chunks = evaluationChunks(
    split.count,
    options.batchSize ?? defaultEvaluationBatch(),
    options.firstBatchSize,
  );
  // On wasm and cpu `data()` resolves at once: without a checkpoint that yields, a whole
  // evaluation would run without letting an abort (a timer, a worker message) in.
  const checkpoint = makeCheckpoint(options.signal);
  let correct = 0;
  let start = 0;
  const predictedClasses = options.keepPredictions ? new Uint16Array(split.count) : undefined;
  for (const count of chunks) {
    await checkpoint();
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
    predictedClasses?.set(classes, start);
    start += count;
    options.onBatch?.(start, correct);
  }
  const result = { correct, total: split.count, accuracy: correct / split.count };
  return predictedClasses ? { ...result, predicted: predictedClasses } : result;
}
