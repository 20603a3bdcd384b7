import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunCancelledError } from '../engine/cancel.ts';
import { timeCancel } from '../engine/test/cancel-timing.ts';
import { sweepCommand } from './commands/sweep.ts';

describe('complab sweep, cancelled', () => {
  it('stops its worker mid-run on an abort from a timer and leaves no output file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'complab-sweep-cancel-'));
    let run = 0;
    // Each point fine-tunes (the swept parameter is the training's), so a point is long and an
    // abort halfway through the sweep lands inside one.
    const timing = await timeCancel((signal, started) => {
      started();
      const out = join(dir, `runs-${run++}.jsonl`);
      return sweepCommand(
        [
          '--model',
          'lenet300',
          '--data',
          'mnist-10k',
          '--grid',
          'finetune(epochs=1,batches=60..80:20)',
          '--jobs',
          '1',
          '--quiet',
          '--out',
          out,
        ],
        signal,
      );
    }, 0.5);
    expect(timing.settled).toBeInstanceOf(RunCancelledError);
    // The worker answers within a batch; finishing its point would take seconds.
    expect(timing.afterAbortMs).toBeLessThan(0.1 * timing.fullMs);
    expect(readdirSync(dir)).toEqual(['runs-0.jsonl']); // the cancelled one left nothing
    expect(existsSync(join(dir, 'runs-1.jsonl.tmp'))).toBe(false);
  }, 120_000);
});
