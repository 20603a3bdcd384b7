import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dataSetInfo } from '../engine/data/datasets.ts';
import { Lab } from '../engine/lab.ts';
import { fileAssetReader } from '../engine/node/assets.ts';
import { useNodeBackend } from '../engine/node/backend.ts';
import { parseRecipe } from '../engine/recipe/share.ts';
import { complab, type CliRun } from '../engine/test/complab-cli.ts';

interface Side {
  recipe: string;
  correct: number;
  total: number;
  perClass: number[];
  confusion: number[][];
}
interface Printed {
  data: string;
  a: Side;
  b: Side;
  lost: number;
  gained: number;
  pValue: number;
  flips: { index: number; label: number; a: number; b: number }[];
}

const sum = (values: readonly number[]) => values.reduce((s, v) => s + v, 0);

function expectOneLineError(run: CliRun, code: number, message: RegExp) {
  expect(run.code).toBe(code);
  expect(run.stdout).toBe('');
  const lines = run.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^complab: /);
  expect(lines[0]).toMatch(message);
}

describe('complab compare', () => {
  beforeAll(async () => {
    await useNodeBackend('wasm');
  });

  it('prints a run against its baseline as JSON: figures that add up, every flip', async () => {
    const recipe = 'v=2&model=lenet300&seed=1&steps=prune(fraction=0.9)';
    const dir = mkdtempSync(join(tmpdir(), 'complab-compare-'));
    const [classesFile, flipsFile] = [join(dir, 'classes.csv'), join(dir, 'flips.csv')];
    const run = await complab(
      'compare',
      recipe,
      '--data',
      'mnist-10k',
      '--csv-per-class',
      classesFile,
      '--csv-flips',
      flipsFile,
      '--quiet',
      '--json',
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const printed = JSON.parse(run.stdout) as Printed;
    expect(printed.data).toBe('mnist-10k');
    expect(printed.a.recipe).toBe('v=2&model=lenet300&seed=1&steps=');
    expect(printed.b.recipe).toBe(recipe);

    // The reference: both networks' answers from the engine, compared here by hand.
    const lab = new Lab({ read: fileAssetReader() });
    const base = await lab.run(parseRecipe('v=2&model=lenet300&seed=1&steps='));
    const pruned = await lab.run(parseRecipe(recipe));
    const test = await lab.test('mnist-10k');
    await lab.dispose();
    const classCounts = dataSetInfo('mnist-10k').splits.test.classCounts;
    for (const [side, result] of [
      [printed.a, base],
      [printed.b, pruned],
    ] as const) {
      expect(side.total).toBe(2000);
      expect(side.correct).toBe(result.correct);
      expect(sum(side.perClass)).toBe(result.correct);
      expect(side.confusion.map(sum)).toEqual(classCounts);
      expect(side.confusion.map((row, c) => row[c])).toEqual(side.perClass);
    }
    // The same lost, gained and p as eval's paired line for the run.
    expect({ lost: printed.lost, gained: printed.gained, pValue: printed.pValue }).toEqual(
      pruned.paired,
    );
    expect(printed.lost - printed.gained).toBe(printed.a.correct - printed.b.correct);
    const flips = [];
    for (let i = 0; i < test.count; i++) {
      const [a, b] = [base.predicted![i], pruned.predicted![i]];
      if (a !== b) flips.push({ index: i, label: test.labels[i], a, b });
    }
    expect(printed.flips).toEqual(flips);
    expect(printed.flips.filter((f) => f.a === f.label)).toHaveLength(printed.lost);
    expect(printed.flips.filter((f) => f.b === f.label)).toHaveLength(printed.gained);

    // The CSV files say the same: a row per class in class order, a row per flip in split order.
    const rows = (file: string) =>
      readFileSync(file, 'utf8')
        .split('\r\n')
        .slice(1, -1)
        .map((line) => line.split(','));
    const classes = rows(classesFile);
    expect(classes.map((r) => r[1])).toEqual(dataSetInfo('mnist-10k').classNames);
    expect(classes.map((r) => Number(r[2]))).toEqual(classCounts);
    expect(classes.map((r) => Number(r[3]))).toEqual(printed.a.perClass);
    expect(classes.map((r) => Number(r[4]))).toEqual(printed.b.perClass);
    const flipRows = rows(flipsFile);
    expect(flipRows.map((r) => r.slice(0, 1).concat(r[1], r[3], r[5]).map(Number))).toEqual(
      printed.flips.map((f) => [f.index, f.label, f.a, f.b]),
    );
    expect(flipRows.filter((r) => r[7] === 'lost')).toHaveLength(printed.lost);
    expect(flipRows.filter((r) => r[7] === 'gained')).toHaveLength(printed.gained);
    // A lost image: b is wrong, so another class has at least the label's probability in b
    // (at most 1/2, as 8 bits 128/255); a is right, so the label has at least 1/10 in a.
    for (const r of flipRows.filter((r) => r[7] === 'lost')) {
      expect(Number(r[9])).toBeLessThanOrEqual(128 / 255);
      expect(Number(r[8])).toBeGreaterThanOrEqual(25 / 255);
    }
  }, 120_000);

  it('reads two recipes against each other as text: paired line, classes, first flips', async () => {
    const run = await complab(
      'compare',
      'steps=prune(fraction=0.8)',
      'steps=prune(fraction=0.9)',
      '--model',
      'lenet300',
      '--data',
      'mnist-10k',
    );
    expect(run.code).toBe(0);
    // Progress names each run on stderr; stdout holds only the comparison.
    expect(run.stderr).toContain(
      'complab: running a: v=2&model=lenet300&seed=1&steps=prune(fraction=0.8)\n',
    );
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^data {4}mnist-10k \(MNIST, .*\), 2,000 test images$/);
    expect(run.stdout).toMatch(
      /\nb vs a {2}-\d+\.\d\d pt \([\d,]+ lost, \d+ gained; p [<=] [\d.]+\)\n/,
    );
    const table = lines.indexOf('per class, the largest loss first:');
    const changes = lines
      .slice(table + 2, table + 12)
      .map((line) => Number(/(-?[\d.]+) pt$/.exec(line)![1].replace(/^-?0\.00$/, '0')));
    expect(changes).toEqual([...changes].sort((x, y) => x - y));
    expect(lines[table + 12]).toBe('');
    expect(run.stdout).toMatch(
      /\nflips {3}[\d,]+ images answered differently: [\d,]+ lost \(a right, b wrong\), /,
    );
  }, 120_000);

  it.each([
    [
      'runs on different data sets, naming both',
      ['v=2&model=lenet300&data=mnist&seed=1&steps=', 'model=lenet300&steps=prune(fraction=0.5)'],
      /cannot be compared image by image: a runs on mnist, b on mnist-10k/,
    ],
    ['no recipe at all', ['baseline'], /give a recipe or link to compare/],
    [
      'a CSV file in a folder that is not there',
      ['model=lenet300&steps=', '--csv-flips', '/nonexistent/flips.csv'],
      /--csv-flips \/nonexistent\/flips\.csv: the folder \/nonexistent does not exist/,
    ],
    ['a recipe without a model', ['steps=prune(fraction=0.5)'], /name a model with --model/],
    [
      '--data against a link that names another',
      ['v=2&model=lenet300&data=mnist&seed=1&steps=', '--data', 'fashion-mnist'],
      /--data fashion-mnist disagrees with the recipe's data set mnist/,
    ],
  ])('refuses %s in one line, before running anything', async (_, args, message) => {
    expectOneLineError(await complab('compare', ...args), 2, message);
  });
});
