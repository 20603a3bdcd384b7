/**
 * A latency as the lab reports it: the median of many timed predictions and the spread of those
 * samples, and the one rule that says whether two such figures differ measurably. Pure (no
 * tfjs), so the page's views import it without the engine.
 */

/**
 * The spread of a latency's samples. `lowMs`-`highMs` is the interquartile range (the middle
 * half of the samples): robust to the odd sample a garbage collection or another tab delays,
 * and what `latencyDifference` compares. `minMs`/`maxMs` are the extremes, for information.
 */
export interface LatencySpread {
  readonly lowMs: number;
  readonly highMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  /** Timed predictions behind the figure. */
  readonly samples: number;
}

export interface LatencyFigure extends LatencySpread {
  readonly medianMs: number;
}

/** The q-quantile of sorted values, interpolated linearly between neighbours. */
function quantile(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('the median of no values');
  return quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}

export function latencyFigure(timesMs: readonly number[]): LatencyFigure {
  if (timesMs.length === 0) throw new Error('a latency needs at least one timed prediction');
  const sorted = [...timesMs].sort((a, b) => a - b);
  return {
    medianMs: quantile(sorted, 0.5),
    lowMs: quantile(sorted, 0.25),
    highMs: quantile(sorted, 0.75),
    minMs: sorted[0],
    maxMs: sorted[sorted.length - 1],
    samples: sorted.length,
  };
}

export type LatencyDifference =
  { readonly kind: 'none' } | { readonly kind: 'faster' | 'slower'; readonly speedup: number };

/**
 * Whether `ours` differs measurably from `baseline`: only when their interquartile ranges do not
 * overlap. `speedup` is baseline median / our median (> 1: faster). A figure without a spread
 * (a run recorded before spreads were kept) is never called a difference.
 */
export function latencyDifference(
  ours: { readonly latencyMs: number; readonly spread?: LatencySpread },
  baseline: { readonly latencyMs: number; readonly spread?: LatencySpread },
): LatencyDifference {
  const a = ours.spread;
  const b = baseline.spread;
  if (!a || !b || !(ours.latencyMs > 0) || !(baseline.latencyMs > 0)) return { kind: 'none' };
  if (a.highMs >= b.lowMs && b.highMs >= a.lowMs) return { kind: 'none' };
  const speedup = baseline.latencyMs / ours.latencyMs;
  return { kind: speedup > 1 ? 'faster' : 'slower', speedup };
}

/** "1.23x faster than the float model", "0.40x as fast as ...", or "no measurable difference". */
export function describeLatencyDifference(difference: LatencyDifference, than: string): string {
  if (difference.kind === 'none') return `no measurable difference from ${than}`;
  return difference.kind === 'faster'
    ? `${difference.speedup.toFixed(2)}× faster than ${than}`
    : `${difference.speedup.toFixed(2)}× as fast as ${than}`;
}
