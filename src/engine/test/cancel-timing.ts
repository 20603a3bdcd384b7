/**
 * How long a cancelled computation takes to stop once an abort comes from a timer (a macrotask,
 * as a newer edit or a worker message does in the page), measured against the same
 * computation run to its end. Shared by src/engine/cancel.test.ts and bench/cancel-bench.ts.
 */

export interface CancelTiming {
  /** The uncancelled run: from the start of the part being measured to the run's end. */
  readonly fullMs: number;
  /** When the abort fired, after the start of the part being measured. */
  readonly abortAtMs: number;
  /**
   * From the moment the abort was due (its timer's time) to the settled promise. A timer fires
   * only when the computation yields, so this, not the time after the callback ran, is how long
   * a cancel waits.
   */
  readonly afterAbortMs: number;
  /** What the cancelled run settled with: its error, or 'finished' when it was not stopped. */
  readonly settled: unknown;
}

/**
 * `work(signal, started)` runs one computation and calls `started()` when the part being
 * measured begins (at once, or from a progress report); it must compute afresh each call (a
 * new seed, nothing cached). It runs once to its end, then again with an abort from a timer
 * `at` (a fraction) of the first run's time after `started()`.
 */
export async function timeCancel(
  work: (signal: AbortSignal | undefined, started: () => void) => Promise<unknown>,
  at = 0.3,
): Promise<CancelTiming> {
  let start = NaN;
  await work(undefined, () => {
    if (Number.isNaN(start)) start = performance.now();
  });
  const fullMs = performance.now() - start;
  const controller = new AbortController();
  let timerSet = false;
  let abortedAt = NaN;
  let startedAt = NaN;
  const settled = await work(controller.signal, () => {
    if (timerSet) return;
    timerSet = true;
    startedAt = performance.now();
    setTimeout(() => {
      abortedAt = performance.now();
      controller.abort();
    }, at * fullMs);
  }).then(
    () => 'finished',
    (err: unknown) => err,
  );
  const end = performance.now();
  // A run that ended before the timer fired was not stopped at all.
  if (Number.isNaN(abortedAt)) return { fullMs, abortAtMs: NaN, afterAbortMs: NaN, settled };
  const dueAt = startedAt + at * fullMs;
  return { fullMs, abortAtMs: abortedAt - startedAt, afterAbortMs: end - dueAt, settled };
}
