/**
 * How the page words a latency: the median with the spread of its samples, and a comparison
 * with the baseline that claims a speedup only when the two spreads do not overlap
 * (engine/measure/latency-figure.ts).
 */
import {
  describeLatencyDifference,
  latencyDifference,
  type LatencySpread,
} from '../../engine/measure/latency-figure.ts';
import type { RunResult } from '../../engine/lab.ts';
import { formatMs } from '../format.ts';

type LatencyFields = Pick<
  RunResult,
  'latencyMs' | 'baselineLatencyMs' | 'latencySpread' | 'baselineLatencySpread'
>;

/** "middle half 0.61–0.72 ms of 412 runs"; "" for a run recorded before spreads were kept. */
export function formatLatencySpread(spread: LatencySpread | undefined): string {
  if (!spread) return '';
  return `middle half ${formatMs(spread.lowMs).replace(/ ms$/, '')}–${formatMs(spread.highMs)} of ${spread.samples} runs`;
}

/** "(0.61–0.72)": the middle half alone, where space is short; "" without a spread. */
export function formatLatencyRange(spread: LatencySpread | undefined): string {
  if (!spread) return '';
  return `(${formatMs(spread.lowMs).replace(/ ms$/, '')}–${formatMs(spread.highMs).replace(/ ms$/, '')})`;
}

/** "0.67 ms (middle half 0.61–0.72 ms of 412 runs)", or the median alone without a spread. */
export function formatLatency(latencyMs: number, spread: LatencySpread | undefined): string {
  const text = formatLatencySpread(spread);
  return text ? `${formatMs(latencyMs)} (${text})` : formatMs(latencyMs);
}

/** "1.85× faster than the baseline", or "no measurable difference from the baseline". */
export function latencyVersusBaseline(result: LatencyFields, than = 'the baseline'): string {
  return describeLatencyDifference(
    latencyDifference(
      { latencyMs: result.latencyMs, spread: result.latencySpread },
      { latencyMs: result.baselineLatencyMs, spread: result.baselineLatencySpread },
    ),
    than,
  );
}
