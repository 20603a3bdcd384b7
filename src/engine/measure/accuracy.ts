import * as tf from '@tensorflow/tfjs';
import { digitsToTensor } from '../data/batches.ts';
import { classCountOf, type DigitSplit } from '../data/digits.ts';
import { makeCheckpoint } from '../cancel.ts';

export interface AccuracyResult {
  readonly correct: number;
  readonly total: number;
  readonly accuracy: number;
  /** The class predicted for each image, in split order (only when keepPredictions is set). */
  readonly predicted?: Uint16Array;
  /** How sure the model was of each image, in split order (only when keepPredictions is set). */
  readonly confidence?: PredictionConfidence;
}

/**
 * Two probabilities per image, each as 8 bits (round(p * 255)): enough to sort the images whose
 * prediction changed by how much the true class lost, at a byte per figure per image.
 */
export interface PredictionConfidence {
  /** The probability of the predicted class. */
  readonly top: Uint8Array;
  /** The probability of the true class. */
  readonly truth: Uint8Array;
}

/** A probability as 8 bits: round(p * 255), clamped to [0, 255]. */
export const probabilityByte = (p: number): number =>
  Math.min(255, Math.max(0, Math.round(p * 255)));

/**
 * A row of outputs as probabilities: a softmax output as it is, anything else (the logits of
 * a model that ends without a softmax) through a softmax, so a confidence is always in [0, 1].
 */
export function rowProbabilities(outputs: ArrayLike<number>, from: number, classes: number) {
  let sum = 0;
  let isDistribution = true;
  for (let c = 0; c < classes; c++) {
    const v = outputs[from + c];
    if (!(v >= 0 && v <= 1)) isDistribution = false;
    sum += v;
  }
  const row = Array.from({ length: classes }, (_, c) => outputs[from + c]);
  if (isDistribution && Math.abs(sum - 1) < 1e-3) return row;
  const max = Math.max(...row);
  const exps = row.map((v) => Math.exp(v - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
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
  /**
   * Keep the predicted class of every image, and its confidence (for a paired comparison with
   * another model).
   */
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

/**
 * Top-1 accuracy over a whole split, in chunks; leaves no tensor behind, even on failure. The
 * model must score as many classes as the split has (classCountOf: 10 for the shipped sets).
 */
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
  const keep = options.keepPredictions === true;
  const classes = classCountOf(split);
  const predictedClasses = keep ? new Uint16Array(split.count) : undefined;
  const confidence = keep
    ? { top: new Uint8Array(split.count), truth: new Uint8Array(split.count) }
    : undefined;
  for (const count of chunks) {
    await checkpoint();
    // The class is tfjs's argMax as before; the outputs are read back only when kept.
    const [predicted, outputs] = tf.tidy(() => {
      const out = predict(digitsToTensor(split, start, count, inputShape));
      if (out.shape.at(-1) !== classes) {
        throw new Error(
          `the model scores ${out.shape.at(-1)} classes, but the images are in ${classes}`,
        );
      }
      return [out.argMax(-1), keep ? out : undefined] as const;
    });
    let chosen: ArrayLike<number>;
    let probabilities: ArrayLike<number> | undefined;
    try {
      [chosen, probabilities] = await Promise.all([predicted.data(), outputs?.data()]);
    } finally {
      predicted.dispose();
      outputs?.dispose();
    }
    for (let k = 0; k < count; k++) if (chosen[k] === split.labels[start + k]) correct++;
    predictedClasses?.set(chosen, start);
    if (confidence && probabilities) {
      for (let k = 0; k < count; k++) {
        const row = rowProbabilities(probabilities, k * classes, classes);
        confidence.top[start + k] = probabilityByte(row[chosen[k]]);
        confidence.truth[start + k] = probabilityByte(row[split.labels[start + k]] ?? 0);
      }
    }
    start += count;
    options.onBatch?.(start, correct);
  }
  const result = { correct, total: split.count, accuracy: correct / split.count };
  return predictedClasses ? { ...result, predicted: predictedClasses, confidence } : result;
}
