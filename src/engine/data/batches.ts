import * as tf from '@tensorflow/tfjs';
import { PIXELS, type DigitSplit } from './digits.ts';

/**
 * The one preprocessing every model sees, in training and in evaluation: pixel / 255 as
 * float32, laid out as the model's input shape without the batch dimension ([784] for an MLP,
 * [28, 28, 1] for a CNN).
 */
export function digitsToTensor(
  split: DigitSplit,
  start: number,
  count: number,
  inputShape: readonly number[],
  order?: ArrayLike<number>,
): tf.Tensor {
  const values = new Float32Array(count * PIXELS);
  for (let k = 0; k < count; k++) {
    const index = order ? order[start + k] : start + k;
    const src = split.images.subarray(index * PIXELS, (index + 1) * PIXELS);
    const dst = k * PIXELS;
    for (let p = 0; p < PIXELS; p++) values[dst + p] = src[p] / 255;
  }
  return tf.tensor(values, [count, ...inputShape], 'float32');
}

/** Labels of `count` digits as int32 (for accuracy) , optionally in a shuffled order. */
export function labelsOf(
  split: DigitSplit,
  start: number,
  count: number,
  order?: ArrayLike<number>,
): Int32Array {
  const labels = new Int32Array(count);
  for (let k = 0; k < count; k++) labels[k] = split.labels[order ? order[start + k] : start + k];
  return labels;
}
