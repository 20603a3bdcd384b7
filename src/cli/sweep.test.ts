import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatRecipe, parseRecipe } from '../engine/recipe/share.ts';
import { complab } from '../engine/test/complab-cli.ts';

type Line = Record<string, unknown> & {
  sweep: { index: number; size: number; shard: string | null; axes: { value: number }[] };
};

const readLines = (path: string): Line[] =>
  readFileSync(path, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);

/** The numbers that decide a run (time and latency vary from run to run). */
const numbers = (run: Record<string, unknown>) => ({
  model: run.model,
  recipe: run.recipe,
  shareUrl: run.shareUrl,
  accuracy: run.accuracy,
  correct: run.correct,
  sizeBytes: run.sizeBytes,
  nonzeroParams: run.nonzeroParams,
  layers: (run.layers as { name: string; nonzeroParams: number; sizeBytes: number }[]).map((l) => [
    l.name,
    l.nonzeroParams,
    l.sizeBytes,
  ]),
});

// A fine-tuned prefix (a few batches) before the swept pruning step: the first point trains
// it, the other worker reads it back from the shared cache.
const GRID = 'finetune(epochs=1,batches=4);prune(fraction=0.6..0.8:0.1)';

describe('complab sweep', () => {
  it('writes one eval --json line per grid point, in grid order, equal to eval run alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'complab-sweep-test-'));
    const out = join(dir, 'runs.jsonl');
    const run = await complab(
      'sweep',
      '--model',
      'lenet300',
      '--data',
      'mnist-10k',
      '--grid',
      GRID,
      '--jobs',
      '2',
      '--out',
      out,
    );
    expect(run.stderr).toMatch(/sweep of 3 runs on 2 workers/);
    expect(run.code).toBe(0);
    expect(readdirSync(dir)).toEqual(['runs.jsonl']); // the temporary file was renamed
    const lines = readLines(out);
    expect(lines.map((l) => l.sweep.index)).toEqual([0, 1, 2]);
    expect(lines.map((l) => l.sweep.axes[0].value)).toEqual([0.6, 0.7, 0.8]);
    expect(lines.map((l) => l.recipe)).toEqual(
      [0.6, 0.7, 0.8].map((f) =>
        formatRecipe(
          parseRecipe(`model=lenet300&steps=finetune(epochs=1,batches=4);prune(fraction=${f})`),
        ),
      ),
    );
    // The fine-tuned prefix was trained once (first point) and reused by both workers.
    expect(lines.map((l) => (l.steps as { cached: boolean }[])[0].cached)).toEqual([
      false,
      true,
      true,
    ]);
    // Pruning more keeps fewer weights.
    expect(Number(lines[0].nonzeroParams)).toBeGreaterThan(Number(lines[2].nonzeroParams));
    for (const i of [0, 2]) {
      const alone = await complab('eval', '--recipe', String(lines[i].recipe), '--json');
      expect(alone.code).toBe(0);
      const printed = JSON.parse(alone.stdout);
      expect(numbers(lines[i])).toEqual(numbers(printed));
      // The data set and the paired comparison with the baseline, as eval prints them.
      expect(lines[i].data).toBe('mnist-10k');
      expect(lines[i].paired).toEqual(printed.paired);
    }
  });

  it('splits the grid into shards i/n that together give the whole sweep, each run once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'complab-shard-test-'));
    const grid = 'prune(fraction=0.5..0.9:0.1)';
    const whole = await complab(
      'sweep',
      '--model',
      'lenet300',
      '--data',
      'mnist-10k',
      '--grid',
      grid,
      '--quiet',
    );
    expect(whole.code).toBe(0);
    const wholeLines = whole.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Line);
    expect(wholeLines.map((l) => l.sweep.index)).toEqual([0, 1, 2, 3, 4]);
    const shards = [];
    for (const i of [0, 1]) {
      const out = join(dir, `runs-${i}.jsonl`);
      const run = await complab(
        'sweep',
        '--model',
        'lenet300',
        '--data',
        'mnist-10k',
        '--grid',
        grid,
        '--shard',
        `${i}/2`,
        '--jobs',
        '1',
        '--out',
        out,
        '--quiet',
      );
      expect(run.code).toBe(0);
      shards.push(readLines(out));
    }
    expect(shards.map((s) => s.map((l) => l.sweep.index))).toEqual([
      [0, 2, 4],
      [1, 3],
    ]);
    expect(shards[1][0].sweep.shard).toBe('1/2');
    const merged = shards.flat().sort((a, b) => a.sweep.index - b.sweep.index);
    expect(merged.map(numbers)).toEqual(wholeLines.map(numbers));
  });

  it('refuses a malformed grid or shard with one line and a non-zero exit, writing nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'complab-bad-grid-'));
    const out = join(dir, 'runs.jsonl');
    const cases: [string[], RegExp, number][] = [
      [['--grid', 'prune(fraction=0.5..0.9:0)'], /the step must be above 0/, 1],
      [['--grid', 'prune(fraction=0.9..0.5:0.1)'], /from \(0.9\) is above to \(0.5\)/, 1],
      [['--grid', 'prune(fraction=0.5..1.5:0.1)'], /must be between 0 and 0.99/, 1],
      [
        ['--grid', 'finetune(epochs=1..60:1,batches=0..1000:1)'],
        /the grid has 60060 points \(60 x 1001\), more than the 10000/,
        1,
      ],
      [['--grid', 'finetune(optimizer=1..2:1)'], /a range needs a number parameter/, 1],
      [['--grid', 'prune(fraction=0.5..0.9:0.1)', '--shard', '2/2'], /counted from 0/, 2],
      [['--grid', 'prune(fraction=0.5..0.9:0.1)', '--jobs', '0'], /--jobs must be/, 2],
    ];
    for (const [args, message, code] of cases) {
      const run = await complab('sweep', '--model', 'lenet300', '--out', out, ...args);
      expect(run.code).toBe(code);
      expect(run.stdout).toBe('');
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(/^complab: /);
      expect(run.stderr).toMatch(message);
    }
    expect(existsSync(out)).toBe(false);
    const unwritable = await complab(
      'sweep',
      '--model',
      'lenet300',
      '--grid',
      'prune(fraction=0.5..0.6:0.1)',
      '--out',
      join(dir, 'no-such-folder', 'runs.jsonl'),
    );
    expect(unwritable.code).toBe(2);
    expect(unwritable.stderr).toMatch(/^complab: cannot write .*runs\.jsonl\.tmp: ENOENT\n$/);
  });
});
