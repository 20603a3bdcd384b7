import { describe, expect, it } from 'vitest';
import type { RunProgress } from '../engine/lab.ts';
import { isProgressNews, throttleProgress, type ProgressClock } from './progress-throttle.ts';

/** A clock the test moves by hand; timers fire when their time is passed. */
function manualClock() {
  let now = 0;
  let timers: { at: number; callback: () => void; id: number }[] = [];
  let nextId = 1;
  const clock: ProgressClock = {
    now: () => now,
    setTimeout: (callback, ms) => {
      const id = nextId++;
      timers.push({ at: now + ms, callback, id });
      return id;
    },
    clearTimeout: (id) => {
      timers = timers.filter((t) => t.id !== id);
    },
  };
  const advance = (ms: number) => {
    const until = now + ms;
    for (;;) {
      const due = timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      timers = timers.filter((t) => t !== due);
      now = due.at;
      due.callback();
    }
    now = until;
  };
  return { clock, advance, pendingTimers: () => timers.length };
}

describe('throttleProgress', () => {
  it('sends 25 reports a second as at most 10, the newest of each interval, at the interval', () => {
    const { clock, advance } = manualClock();
    const sent: { value: number; at: number }[] = [];
    const throttle = throttleProgress<number>(
      (value) => sent.push({ value, at: clock.now() }),
      100,
      clock,
    );
    // One report every 40 ms for one second: batches 0..24.
    for (let batch = 0; batch < 25; batch++) {
      throttle.report(batch);
      advance(40);
    }
    // By hand: 0 at t=0; then at 100 the newest reported by then (batch 2, at 80), at 200
    // batch 4 (160), 300 batch 7 (280), 400 batch 9 (360), ... every 100 ms.
    expect(sent.slice(0, 5)).toEqual([
      { value: 0, at: 0 },
      { value: 2, at: 100 },
      { value: 4, at: 200 },
      { value: 7, at: 300 },
      { value: 9, at: 400 },
    ]);
    expect(sent.length).toBeLessThanOrEqual(11);
    for (let i = 1; i < sent.length; i++) {
      expect(sent[i].at - sent[i - 1].at).toBeGreaterThanOrEqual(100);
    }
  });

  it('flush sends the kept report at once, so the last one reaches the page before the answer', () => {
    const { clock, advance, pendingTimers } = manualClock();
    const sent: number[] = [];
    const throttle = throttleProgress<number>((value) => sent.push(value), 100, clock);
    throttle.report(1);
    advance(10);
    throttle.report(2);
    throttle.report(3);
    expect(sent).toEqual([1]);
    throttle.flush();
    expect(sent).toEqual([1, 3]);
    expect(pendingTimers()).toBe(0);
    // Nothing kept: a second flush sends nothing, and the timer that was set sends nothing.
    throttle.flush();
    advance(500);
    expect(sent).toEqual([1, 3]);
  });

  it('a report after a quiet spell goes out at once; stop drops the kept one', () => {
    const { clock, advance } = manualClock();
    const sent: number[] = [];
    const throttle = throttleProgress<number>((value) => sent.push(value), 100, clock);
    throttle.report(1);
    advance(250);
    throttle.report(2);
    expect(sent).toEqual([1, 2]);
    throttle.report(3);
    throttle.stop();
    advance(500);
    throttle.report(4);
    throttle.flush();
    expect(sent).toEqual([1, 2]);
  });

  it('a new step, stage or first estimate goes at once; more batches of the same step wait', () => {
    const { clock, advance } = manualClock();
    const sent: RunProgress[] = [];
    const throttle = throttleProgress<RunProgress>((p) => sent.push(p), 100, clock, isProgressNews);
    const training = (batch: number): RunProgress => ({
      stage: 'compressing',
      fraction: batch / 100,
      step: 0,
      steps: 2,
      batch,
    });
    const evaluating = (seen: number): RunProgress => ({
      stage: 'evaluating',
      fraction: seen / 2000,
      step: 0,
      steps: 2,
      estimate: { correct: seen - 1, seen, total: 2000, sizeBytes: 1000 },
    });
    throttle.report(training(0));
    advance(10);
    throttle.report(training(1));
    advance(10);
    throttle.report(evaluating(100)); // a new stage with its first estimate: at once
    advance(10);
    throttle.report(evaluating(200)); // the next chunk waits for the interval
    expect(sent.map((p) => p.batch ?? p.estimate?.seen)).toEqual([0, 100]);
    advance(100);
    expect(sent.map((p) => p.batch ?? p.estimate?.seen)).toEqual([0, 100, 200]);
    throttle.report({ ...training(0), step: 1 }); // the next step: at once
    expect(sent.at(-1)).toMatchObject({ step: 1, batch: 0 });
  });
});
