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
/**
 * At least this many timed predictions per figure, even past the window: a conv model that
 * takes 50 ms a prediction gets only 5 or 6 in 300 ms. Why 15: the median of n samples lies,
 * with 95 % confidence and whatever their distribution, between the k-th smallest and the k-th
 * largest (the binomial interval); with 5 samples not even the minimum and the maximum give 95 %
 * (93.8 %), with 15 the 4th and 12th do (96.5 %), about the interquartile range the page shows.
 */
export const LATENCY_MIN_SAMPLES = 15;
/**
 * A figure stops at this many windows of sampling (3 s for the default 300 ms) even short of
 * LATENCY_MIN_SAMPLES, so a huge model does not take forever...
 */
export const LATENCY_MAX_WINDOWS = 10;
/** ...though never with fewer predictions than this, however slow each one is. */
export const LATENCY_FLOOR_SAMPLES = 5;
/** Untimed predictions per model first: kernels compile, buffers are allocated. */
export const LATENCY_WARMUPS = 2;
/** Enough samples for a steady median: a tiny model stops here before its window is over. */
const LATENCY_MAX_SAMPLES = 5000;

const now = () => performance.now();

export interface LatencyOptions {
  readonly batch?: number;
  /** Window per figure, ms (default LATENCY_WINDOW_MS): n figures are sampled over n windows. */
  readonly windowMs?: number;
  /** Timed predictions per figure at least (default LATENCY_MIN_SAMPLES; see the cap below). */
  readonly minSamples?: number;
  readonly signal?: AbortSignal;
}

/**
 * Latency figures of several predictors measured interleaved in one window: the predictors
 * take turns, one timed prediction each, in an order that reverses every round (A B, B A, ...),
 * for at least `windowMs` of wall time per predictor (two figures: 600 ms by default) AND at
 * least `minSamples` turns each (15 by default), but for no more than LATENCY_MAX_WINDOWS
 * windows per predictor (3 s each by default) once LATENCY_FLOOR_SAMPLES (5) turns are in: a
 * model too slow for 15 predictions in that time is reported from fewer. Every figure's samples
 * are spread over the whole window, so a load on the machine that comes and goes weighs on them
 * alike and their ratio is fair. A prediction's time includes reading its result back (what a
 * user waits for). Lets an abort in between predictions (cancel.ts's checkpoint: within one
 * prediction or ~50 ms).
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
  const floorSamples = Math.min(minSamples, LATENCY_FLOOR_SAMPLES);
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
    const done = () => {
      const samples = times[0].length;
      const windows = (now() - start) / (windowMs * predicts.length);
      return (
        samples >= LATENCY_MAX_SAMPLES ||
        (samples >= minSamples && windows >= 1) ||
        (samples >= floorSamples && windows >= LATENCY_MAX_WINDOWS)
      );
    };
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
