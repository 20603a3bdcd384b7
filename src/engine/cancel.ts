/** Thrown when a run is superseded (the slider moved again) or stopped by its caller. */
export class RunCancelledError extends Error {
  constructor() {
    super('run cancelled');
    this.name = 'RunCancelledError';
  }
}

export function throwIfCancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new RunCancelledError();
}

/**
 * Resolves after one turn of the event loop (a macrotask), so that timers and worker messages
 * queued meanwhile (an abort among them) get in. Awaiting a resolved promise is not enough: on
 * WASM and CPU `data()` resolves at once, and microtasks never let a timer or a message run.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** A cancellation point to await once per iteration of a long loop (see makeCheckpoint). */
export type Checkpoint = () => Promise<void>;

/** How much uninterrupted work a loop may do before it lets an abort in. */
export const YIELD_SLICE_MS = 50;

/**
 * A cancellation point for a long loop: call `await checkpoint()` once per iteration. It throws
 * `RunCancelledError` once `signal` is aborted, and yields to the event loop whenever `sliceMs`
 * of work went by since the last yield, so an abort from a timer or a message lands within one
 * slice while a short loop pays nothing.
 */
export function makeCheckpoint(signal?: AbortSignal, sliceMs: number = YIELD_SLICE_MS): Checkpoint {
  let lastYield = performance.now();
  return async () => {
    throwIfCancelled(signal);
    if (performance.now() - lastYield < sliceMs) return;
    await yieldToEventLoop();
    lastYield = performance.now();
    throwIfCancelled(signal);
  };
}

/**
 * A synchronous computation cut into slices: a generator that yields between them. Callers that
 * must stay synchronous run it to its end with `finishSlices`; a step that may be cancelled runs
 * it with `runSlices`, awaiting a checkpoint between slices.
 */
export type Slices<T> = Generator<void, T, void>;

export function finishSlices<T>(slices: Slices<T>): T {
  for (;;) {
    const next = slices.next();
    if (next.done) return next.value;
  }
}

export async function runSlices<T>(slices: Slices<T>, checkpoint: Checkpoint): Promise<T> {
  for (;;) {
    const next = slices.next();
    if (next.done) return next.value;
    await checkpoint();
  }
}
