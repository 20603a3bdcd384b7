/**
 * The Pareto front of a set of runs: the ones no other run beats on both counts, more accurate
 * and smaller (in bytes or in milliseconds, whichever the plot's x axis shows). React-free.
 */

export interface Tradeoff {
  /** Smaller is better: stored size or latency. */
  readonly cost: number;
  /** Larger is better. */
  readonly accuracy: number;
}

/**
 * For each point, whether it is on the front: no other point is at least as cheap and at least
 * as accurate, and strictly better on one of the two. Of exact duplicates only the first is on
 * the front (the others add nothing to it).
 */
export function paretoFlags(points: readonly Tradeoff[]): boolean[] {
  return points.map(
    (p, i) =>
      !points.some(
        (q, j) =>
          j !== i &&
          q.cost <= p.cost &&
          q.accuracy >= p.accuracy &&
          (q.cost < p.cost || q.accuracy > p.accuracy || j < i),
      ),
  );
}

/** The points on the front, cheapest first (the order a line through them is drawn in). */
export function paretoFront<T extends Tradeoff>(points: readonly T[]): T[] {
  const flags = paretoFlags(points);
  return points.filter((_, i) => flags[i]).sort((a, b) => a.cost - b.cost);
}
