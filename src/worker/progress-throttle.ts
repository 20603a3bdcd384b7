/**
 * Progress reports from the worker to the page, at most one per interval. The engine reports
 * every training batch and every evaluation chunk (25 a second on lenet300); each report the
 * page gets updates its store and redraws, so an unthrottled stream piles up in the page's
 * message queue and the run's own answer ("done", "cancelled") waits behind it. Here the newest
 * report wins: one that arrives within the interval replaces the one waiting, which is sent when
 * the interval ends; flush() sends the waiting one at once (before a run's answer, so the last
 * report is never lost) and stop() drops it.
 */
import type { RunProgress } from '../engine/lab.ts';

/** The page gets at most this many reports a second. */
export const PROGRESS_PER_SECOND = 10;
export const PROGRESS_INTERVAL_MS = 1000 / PROGRESS_PER_SECOND;

export interface ProgressClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: ProgressClock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface ProgressThrottle<P> {
  /** A new report: sent now if the interval since the last one has passed, else kept. */
  report(progress: P): void;
  /** Sends the kept report, if any, now. */
  flush(): void;
  /** Drops the kept report; nothing is sent after this. */
  stop(): void;
}

export function throttleProgress<P>(
  send: (progress: P) => void,
  intervalMs = PROGRESS_INTERVAL_MS,
  clock: ProgressClock = realClock,
  /** A report that is news (a new stage or step) goes at once, whatever the interval. */
  isNews: (last: P, next: P) => boolean = () => false,
): ProgressThrottle<P> {
  let lastSentAt = -Infinity;
  let lastSent: { readonly progress: P } | null = null;
  let pending: { readonly progress: P } | null = null;
  let timer: unknown = null;
  let stopped = false;

  const cancelTimer = () => {
    if (timer !== null) clock.clearTimeout(timer);
    timer = null;
  };
  const sendPending = () => {
    cancelTimer();
    if (!pending || stopped) return;
    const { progress } = pending;
    pending = null;
    lastSentAt = clock.now();
    lastSent = { progress };
    send(progress);
  };

  return {
    report(progress) {
      if (stopped) return;
      pending = { progress };
      const wait = lastSentAt + intervalMs - clock.now();
      if (wait <= 0 || (lastSent && isNews(lastSent.progress, progress))) sendPending();
      else timer ??= clock.setTimeout(sendPending, wait);
    },
    flush: sendPending,
    stop() {
      stopped = true;
      pending = null;
      cancelTimer();
    },
  };
}

/**
 * The reports worth sending at once: a new stage or step (rare, and the page names it), and the
 * first accuracy estimate of an evaluation (the plot's provisional point should not wait).
 */
export function isProgressNews(last: RunProgress, next: RunProgress): boolean {
  return (
    next.stage !== last.stage ||
    next.step !== last.step ||
    (next.estimate !== undefined && last.estimate === undefined)
  );
}
