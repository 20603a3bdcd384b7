import * as tf from '@tensorflow/tfjs';
import { imageShapeOf, valuesPerImage, type DigitSplit } from './digits.ts';

/**
 * The one preprocessing every model sees, in training and in evaluation: pixel / 255 as
 * float32, laid out as the model's input shape without the batch dimension: the split's
 * images are H x W x C (channels last), which the model may read as [H, W, C] (a CNN) or flat
 * as [H * W * C] (an MLP); either way the values keep their row-major HWC order.
 */
export function digitsToTensor(
  split: DigitSplit,
  start: number,
  count: number,
  inputShape: readonly number[],
  order?: ArrayLike<number>,
): tf.Tensor {
  const perImage = valuesPerImage(split);
  checkInputFitsSplit(inputShape, split);
  const values = new Float32Array(count * perImage);
  for (let k = 0; k < count; k++) {
    const index = order ? order[start + k] : start + k;
    const src = split.images.subarray(index * perImage, (index + 1) * perImage);
    const dst = k * perImage;
    for (let p = 0; p < perImage; p++) values[dst + p] = src[p] / 255;
  }
  return tf.tensor(values, [count, ...inputShape], 'float32');
}

/**
 * Throws unless a model input of `inputShape` (without the batch dimension) holds exactly one
 * of the split's images: the same number of values, so [H, W, C] and [H * W * C] both fit.
 */
export function checkInputFitsSplit(inputShape: readonly number[], split: DigitSplit): void {
  const inputs = inputShape.reduce((a, b) => a * b, 1);
  if (inputs !== valuesPerImage(split)) {
    throw new Error(
      `the model reads [${inputShape.join(', ')}] per image, but the images are ${imageShapeOf(split).join('x')} (H x W x C)`,
    );
  }
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
