import { digitsToTensor } from '../data/batches.ts';
import type { DigitSplit } from '../data/digits.ts';
import { makeCheckpoint } from '../cancel.ts';
import type { Predict } from './accuracy.ts';
import { latencyFigure, type LatencyFigure } from './latency-figure.ts';

export { median, latencyFigure, type LatencyFigure } from './latency-figure.ts';

export const LATENCY_BATCH = 64;
/**
 * Wall time of the sampling window per figure. A handful of predictions (the lab once took 5)
 * left one garbage collection or one busy moment of the machine in the median: the same model
 * measured 0.69 ms on one page load and 6.12 ms on another.
 */
export const LATENCY_WINDOW_MS = 300;
/** At least this many timed predictions per figure, however slow the model. */
export const LATENCY_MIN_SAMPLES = 5;
/** Untimed predictions per model first: kernels compile, buffers are allocated. */
export const LATENCY_WARMUPS = 2;
/** Enough samples for a steady median: a tiny model stops here before its window is over. */
const LATENCY_MAX_SAMPLES = 5000;

const now = () => performance.now();

export interface LatencyOptions {
  readonly batch?: number;
  /** Window per figure, ms (default LATENCY_WINDOW_MS): n figures are sampled over n windows. */
  readonly windowMs?: number;
  readonly minSamples?: number;
  readonly signal?: AbortSignal;
}

/**
 * Latency figures of several predictors measured interleaved in one window: the predictors
 * take turns, one timed prediction each, in an order that reverses every round (A B, B A, ...),
 * for at least `windowMs` of wall time per predictor (two figures: 600 ms by default) and at
 * least `minSamples` turns each. Every figure's samples are spread over the whole window, so a
 * load on the machine that comes and goes weighs on them alike and their ratio is fair.
 * A prediction's time includes reading its result back (what a user waits for). Lets an abort
 * in between predictions (cancel.ts's checkpoint: within one prediction or ~50 ms).
 */
export async function measureLatencies(
  predicts: readonly Predict[],
  split: DigitSplit,
  inputShape: readonly number[],
  options: LatencyOptions = {},
): Promise<LatencyFigure[]> {
  const batch = Math.min(options.batch ?? LATENCY_BATCH, split.count);
  const windowMs = options.windowMs ?? LATENCY_WINDOW_MS;
  const minSamples = Math.max(1, options.minSamples ?? LATENCY_MIN_SAMPLES);
  const checkpoint = makeCheckpoint(options.signal);
  const x = digitsToTensor(split, 0, batch, inputShape);
  const timeOne = async (predict: Predict) => {
    const start = now();
    const y = predict(x);
    try {
      await y.data();
    } finally {
      y.dispose();
    }
    return now() - start;
  };
  try {
    for (const predict of predicts) {
      for (let w = 0; w < LATENCY_WARMUPS; w++) {
        await checkpoint();
        await timeOne(predict);
      }
    }
    const times = predicts.map((): number[] => []);
    const order = predicts.map((_, i) => i);
    const start = now();
    const done = () =>
      times[0].length >= LATENCY_MAX_SAMPLES ||
      (times[0].length >= minSamples && now() - start >= windowMs * predicts.length);
    while (!done()) {
      for (const i of order) {
        await checkpoint();
        times[i].push(await timeOne(predicts[i]));
      }
      order.reverse();
    }
    return times.map((t) => latencyFigure(t));
  } finally {
    x.dispose();
  }
}

/** One predictor's latency figure (see measureLatencies). */
export async function measureLatency(
  predict: Predict,
  split: DigitSplit,
  inputShape: readonly number[],
  options: LatencyOptions = {},
): Promise<LatencyFigure> {
  return (await measureLatencies([predict], split, inputShape, options))[0];
}
