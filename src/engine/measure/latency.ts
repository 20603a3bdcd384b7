import { digitsToTensor } from '../data/batches.ts';
import type { DigitSplit } from '../data/digits.ts';
import { throwIfCancelled } from '../cancel.ts';
import type { Predict } from './accuracy.ts';

export const LATENCY_BATCH = 64;
export const LATENCY_REPEATS = 5;

const now = () => performance.now();

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Median wall time of predicting a fixed batch of test digits on the active backend,
 * including the read-back of the result (what a user waits for). One warm-up run first.
 */
export async function measureLatency(
  predict: Predict,
  split: DigitSplit,
  inputShape: readonly number[],
  options: { batch?: number; repeats?: number; signal?: AbortSignal } = {},
): Promise<number> {
  const batch = Math.min(options.batch ?? LATENCY_BATCH, split.count);
  const repeats = options.repeats ?? LATENCY_REPEATS;
  const x = digitsToTensor(split, 0, batch, inputShape);
  try {
    const times: number[] = [];
    for (let r = 0; r <= repeats; r++) {
      throwIfCancelled(options.signal);
      const start = now();
      const y = predict(x);
      try {
        await y.data();
      } finally {
        y.dispose();
      }
      if (r > 0) times.push(now() - start);
    }
    return median(times);
  } finally {
    x.dispose();
  }
}
