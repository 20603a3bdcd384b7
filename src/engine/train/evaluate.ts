import * as tf from '@tensorflow/tfjs';
import { digitsToTensor } from '../data/batches.ts';
import type { DigitSplit } from '../data/digits.ts';

/** Top-1 accuracy of `model` on a whole split, in batches, leaving no tensor behind. */
export async function splitAccuracy(
  model: tf.LayersModel,
  split: DigitSplit,
  inputShape: readonly number[],
  batchSize = 500,
): Promise<number> {
  let correct = 0;
  for (let start = 0; start < split.count; start += batchSize) {
    const count = Math.min(batchSize, split.count - start);
    const predicted = tf.tidy(() => {
      const x = digitsToTensor(split, start, count, inputShape);
      return (model.predict(x) as tf.Tensor).argMax(-1);
    });
    const classes = await predicted.data();
    predicted.dispose();
    for (let k = 0; k < count; k++) if (classes[k] === split.labels[start + k]) correct++;
  }
  return correct / split.count;
}
