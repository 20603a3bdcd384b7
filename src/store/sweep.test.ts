import { beforeAll, describe, expect, it } from 'vitest';
import { toJson } from '../cli/run-json.ts';
import { linkFor } from '../cli/share-link.ts';
import { Lab, type RunResult } from '../engine/lab.ts';
import { fileAssetReader } from '../engine/node/assets.ts';
import { useNodeBackend } from '../engine/node/backend.ts';
import { parseSteps } from '../engine/recipe/recipe.ts';
import { formatRecipe, parseRecipe } from '../engine/recipe/share.ts';
import { parseRunFiles } from './run-import.ts';
import { INITIAL_STATE, MAX_RUNS, type LabState, type RunRecord } from './state.ts';
import { planSweep, runsImported } from './sweep.ts';

const state = (patch: Partial<LabState> = {}): LabState => ({ ...INITIAL_STATE, ...patch });

describe('planSweep', () => {
  const recipe = {
    model: 'lenet5',
    seed: 3,
    steps: parseSteps('finetune(epochs=1);prune(fraction=0.5)'),
  };

  it('makes one recipe per value, only the swept parameter changed', () => {
    const plan = planSweep(recipe, {
      stepIndex: 1,
      param: 'fraction',
      from: 0.5,
      to: 0.8,
      step: 0.1,
    });
    expect(plan.values).toEqual([0.5, 0.6, 0.7, 0.8]);
    expect(plan.label).toBe('step 2 prune fraction');
    expect(plan.recipes.map(formatRecipe)).toEqual(
      [0.5, 0.6, 0.7, 0.8].map((f) =>
        formatRecipe(
          parseRecipe(`model=lenet5&seed=3&steps=finetune(epochs=1);prune(fraction=${f})`),
        ),
      ),
    );
  });

  it('refuses what complab sweep refuses, and more than 100 values', () => {
    const plan =
      (from: number, to: number, step: number, param = 'fraction', stepIndex = 1) =>
      () =>
        planSweep(recipe, { stepIndex, param, from, to, step });
    expect(plan(0.5, 0.8, 0)).toThrow(/the step must be above 0/);
    expect(plan(0.8, 0.5, 0.1)).toThrow(/from \(0.8\) is above to/);
    expect(plan(0.5, 1.2, 0.1)).toThrow(/must be between 0 and 0.99/);
    expect(plan(Number.NaN, 0.5, 0.1)).toThrow(/from, to and step must all be numbers/);
    expect(plan(0, 0.99, 0.01)).not.toThrow(); // 100 values, the most
    expect(plan(0, 1000, 5, 'batches', 0)).toThrow(/201 values, more than the 100/);
    expect(plan(1, 2, 1, 'optimizer', 0)).toThrow(/a range needs a number parameter/);
  });
});

/** Real runs of lenet300, as complab eval --json prints them. */
let results: RunResult[];
let lines: string[];

beforeAll(async () => {
  await useNodeBackend('wasm');
  const lab = new Lab({ read: fileAssetReader() });
  results = [];
  for (const f of [0.5, 0.9]) {
    results.push(await lab.run(parseRecipe(`model=lenet300&steps=prune(fraction=${f})`)));
  }
  await lab.dispose();
  lines = results.map((r, i) =>
    JSON.stringify({
      ...toJson(r, linkFor(r.recipe)),
      sweep: {
        index: i,
        size: 2,
        shard: null,
        grid: 'prune(fraction=0.5..0.9:0.4)',
        axes: [{ step: 0, technique: 'prune', param: 'fraction', value: [0.5, 0.9][i] }],
      },
    }),
  );
}, 120_000);

describe('importing JSONL', () => {
  it('reads complab eval --json lines back into the runs they were', () => {
    const parsed = parseRunFiles([{ name: 'runs.jsonl', text: `${lines.join('\n')}\n` }]);
    expect(parsed.broken).toEqual([]);
    expect(parsed.records).toHaveLength(2);
    for (const [i, record] of parsed.records.entries()) {
      expect(record.recipeText).toBe(results[i].recipeText);
      expect(record.result.recipe).toEqual(results[i].recipe);
      expect(record.result.correct).toBe(results[i].correct);
      expect(record.result.sizeBytes).toBe(results[i].sizeBytes);
      expect(record.result.layers).toEqual(JSON.parse(JSON.stringify(results[i].layers)));
      expect(record.result.latencySpread).toEqual(results[i].latencySpread);
      expect(record.result.baselineLatencySpread).toEqual(results[i].baselineLatencySpread);
      expect(record.result.latencySpread?.samples).toBeGreaterThanOrEqual(5);
      expect(record.origin).toEqual({ kind: 'import', file: 'runs.jsonl', line: i + 1 });
    }
    expect(parsed.sweep).toMatchObject({
      label: 'step 1 prune fraction',
      model: 'lenet300',
      values: [0.5, 0.9],
      percent: true,
    });
    expect(parsed.sweep?.points.map((p) => p.accuracy)).toEqual(results.map((r) => r.accuracy));
  });

  it('loads the good lines and names each broken one with its line number and reason', () => {
    const good = JSON.parse(lines[0]) as Record<string, unknown>;
    const text = [
      lines[0],
      '{"model": "lenet300", "accur', // cut off mid-line
      JSON.stringify({ ...good, accuracy: undefined }),
      '',
      JSON.stringify({ ...good, recipe: 'v=1&model=lenet300&steps=prune(fraction=7)' }),
      JSON.stringify({ ...good, model: 'mymodel', recipe: 'v=1&model=mymodel&steps=' }),
      lines[1],
      'not json at all',
    ].join('\n');
    const parsed = parseRunFiles([
      { name: 'shard-0.jsonl', text },
      { name: 'shard-1.jsonl', text: `${lines[1]}\n[1, 2]\n` },
    ]);
    expect(parsed.records.map((r) => r.origin)).toEqual([
      { kind: 'import', file: 'shard-0.jsonl', line: 1 },
      { kind: 'import', file: 'shard-0.jsonl', line: 7 },
      { kind: 'import', file: 'shard-1.jsonl', line: 1 },
    ]);
    expect(parsed.broken.map((b) => [b.file, b.line])).toEqual([
      ['shard-0.jsonl', 2],
      ['shard-0.jsonl', 3],
      ['shard-0.jsonl', 5],
      ['shard-0.jsonl', 6],
      ['shard-0.jsonl', 8],
      ['shard-1.jsonl', 2],
    ]);
    const reasons = parsed.broken.map((b) => b.reason);
    expect(reasons[0]).toMatch(/^not JSON/);
    expect(reasons[1]).toMatch(/^accuracy: /);
    expect(reasons[2]).toMatch(/^recipe: prune fraction must be between 0 and 0.99/);
    expect(reasons[3]).toMatch(/model "mymodel" is not one this page has/);
    expect(reasons[4]).toMatch(/^not JSON/);
    expect(reasons[5]).toMatch(/^the line: /);
  });

  it('adds imported runs before the newest run, so the result shown and the history stay', () => {
    const own = (runId: number): RunRecord => ({
      runId,
      recipeText: results[0].recipeText,
      result: results[0],
      timestamp: 0,
      requestedAt: 0,
      deliveredAt: 0,
    });
    const before = state({ runs: [own(1), own(2), own(3)] });
    const parsed = parseRunFiles([{ name: 'runs.jsonl', text: lines.join('\n') }]);
    const patch = runsImported(before, parsed);
    expect(patch.runs?.map((r) => r.runId)).toEqual([1, 2, -1, -2, 3]);
    expect(patch.importReport).toEqual({
      files: ['runs.jsonl'],
      loaded: 2,
      broken: [],
      skipped: 0,
    });
    expect(patch.sweep?.phase).toBe('imported');
    // A second import gets ids of its own.
    const again = runsImported({ ...before, ...patch }, parsed);
    expect(again.runs?.map((r) => r.runId)).toEqual([1, 2, -1, -2, -3, -4, 3]);
  });

  it('never pushes a run out of a full history: lines beyond its room are counted', () => {
    const full = state({
      runs: Array.from({ length: MAX_RUNS - 1 }, (_, i) => ({
        runId: i + 1,
        recipeText: results[0].recipeText,
        result: results[0],
        timestamp: 0,
        requestedAt: 0,
        deliveredAt: 0,
      })),
    });
    const patch = runsImported(full, parseRunFiles([{ name: 'r.jsonl', text: lines.join('\n') }]));
    expect(patch.runs).toHaveLength(MAX_RUNS);
    expect(patch.runs?.[0].runId).toBe(1);
    expect(patch.runs?.at(-1)?.runId).toBe(MAX_RUNS - 1);
    expect(patch.importReport).toMatchObject({ loaded: 1, skipped: 1 });
  });
});
