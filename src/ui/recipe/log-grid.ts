/** A log-scale slider's positions for parameters such as learning rates. */

/**
 * Positions of a log slider: 1, 1.5, 2, 3, 5, 7 per decade within [min, max], both ends
 * included, leaving out values off the parameter's grid (1.5e-6 when the step is 1e-6).
 */
export function logGrid(min: number, max: number, step = 0): number[] {
  const onGrid = (v: number) =>
    step === 0 || Math.abs(Math.round(v / step) * step - v) <= step * 1e-6;
  const values = new Set<number>([min]);
  for (let e = Math.floor(Math.log10(min)); 10 ** e <= max; e++) {
    for (const m of [1, 1.5, 2, 3, 5, 7]) {
      const v = Number((m * 10 ** e).toPrecision(3));
      if (v > min && v < max && onGrid(v)) values.add(v);
    }
  }
  values.add(max);
  return [...values].sort((a, b) => a - b);
}

/** The grid position nearest to `value` on a log scale. */
export function nearestLogPosition(grid: readonly number[], value: number): number {
  let best = 0;
  for (let i = 1; i < grid.length; i++) {
    if (Math.abs(Math.log(grid[i] / value)) < Math.abs(Math.log(grid[best] / value))) best = i;
  }
  return best;
}
