/**
 * Reads the JSONL files `complab sweep` writes (one `complab eval --json` object per line, plus
 * `sweep`) back into history records. Every line is checked on its own: a line that is not
 * JSON, lacks a number the page shows, or names a recipe the codec refuses is counted as broken,
 * with its line number and the reason, and the good lines still load.
 */
import { z } from 'zod';
import { BACKENDS } from '../engine/backend-names.ts';
import type { RunResult } from '../engine/lab.ts';
import { isShippedModel } from '../engine/model/catalog.ts';
import { RecipeError } from '../engine/recipe/errors.ts';
import { dataSetOf } from '../engine/recipe/recipe.ts';
import { formatRecipe, parseRecipe } from '../engine/recipe/share.ts';
import type { RunRecord } from './state.ts';
import type { ImportReport, SweepPoint, SweepState } from './sweep-state.ts';

/** Longer files are refused before reading (a 10,000-point lenet5 sweep is about 200 MB). */
export const MAX_IMPORT_BYTES = 256 * 1024 * 1024;
/** Longer lines are broken lines: an eval line of the shipped models is a few tens of KB. */
const MAX_LINE_CHARS = 4 * 1024 * 1024;
/** Broken lines named one by one (the rest are counted). */
export const MAX_BROKEN_NAMED = 50;

const count = z.number().int().nonnegative();
const fraction = z.number().min(0).max(1);
const backend = z.enum(BACKENDS);

const layerSchema = z.looseObject({
  name: z.string(),
  className: z.string(),
  inputs: z.array(z.string()),
  outputShape: z.array(z.number()),
  params: count,
  nonzeroParams: count,
  macs: count,
  sizeBytes: count,
  layout: z.string(),
});

const stepSchema = z.looseObject({
  index: count,
  technique: z.string(),
  recipeText: z.string(),
  accuracy: fraction,
  correct: count,
  params: count,
  nonzeroParams: count,
  sizeBytes: count,
  elapsedMs: z.number().nonnegative(),
  cached: z.boolean(),
});

const sweepSchema = z.object({
  index: count,
  size: count,
  axes: z.array(
    z.object({ step: count, technique: z.string(), param: z.string(), value: z.number() }),
  ),
});

/** The spread of a latency's samples (engine/measure/latency-figure.ts); older lines lack it. */
const spreadSchema = z
  .object({
    lowMs: z.number().nonnegative(),
    highMs: z.number().nonnegative(),
    minMs: z.number().nonnegative(),
    maxMs: z.number().nonnegative(),
    samples: z.number().int().positive(),
  })
  .refine((s) => s.minMs <= s.lowMs && s.lowMs <= s.highMs && s.highMs <= s.maxMs, {
    message: 'a latency spread must have min <= low <= high <= max',
  });

/** `complab eval --json`'s object (see toJson in src/cli/run-json.ts). */
const evalLineSchema = z.object({
  model: z.string(),
  backend,
  trainedOn: backend.nullable(),
  recipe: z.string().max(10_000),
  accuracy: fraction,
  correct: count,
  total: z.number().int().positive(),
  baselineAccuracy: fraction,
  sizeBytes: z.number().int().positive(),
  baselineSizeBytes: z.number().int().positive(),
  compressionRatio: z.number().positive(),
  params: count,
  baselineParams: count,
  nonzeroParams: count,
  macs: count,
  baselineMacs: count,
  sparseMacs: count,
  latencyMs: z.number().nonnegative(),
  baselineLatencyMs: z.number().nonnegative(),
  latencySpread: spreadSchema.optional(),
  baselineLatencySpread: spreadSchema.optional(),
  latencyBatch: z.number().int().positive(),
  elapsedMs: z.number().nonnegative(),
  layers: z.array(layerSchema).max(2000),
  steps: z.array(stepSchema).max(64),
  sweep: sweepSchema.optional(),
});

export interface ParsedImport {
  readonly files: string[];
  readonly records: Omit<RunRecord, 'runId'>[];
  readonly broken: ImportReport['broken'][number][];
  sweep: Omit<SweepState, 'id' | 'phase'> | null;
}

function reasonOf(error: z.ZodError): string {
  const issue = error.issues[0];
  const where = issue.path.length ? issue.path.join('.') : 'the line';
  return `${where}: ${issue.message}`;
}

type LineResult =
  | {
      readonly ok: true;
      readonly record: Omit<RunRecord, 'runId'>;
      readonly axes?: z.infer<typeof sweepSchema>['axes'];
    }
  | { readonly ok: false; readonly reason: string };

function readLine(file: string, lineNumber: number, text: string, now: number): LineResult {
  if (text.length > MAX_LINE_CHARS) return { ok: false, reason: 'the line is too long' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `not JSON (${(err as Error).message.slice(0, 120)})` };
  }
  const parsed = evalLineSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: reasonOf(parsed.error) };
  const { sweep, recipe: recipeText, ...numbers } = parsed.data;
  let recipe;
  try {
    recipe = parseRecipe(recipeText);
  } catch (err) {
    if (err instanceof RecipeError) return { ok: false, reason: `recipe: ${err.message}` };
    throw err;
  }
  if (!isShippedModel(recipe.model) || recipe.model !== numbers.model) {
    return { ok: false, reason: `model "${numbers.model.slice(0, 40)}" is not one this page has` };
  }
  if (numbers.correct > numbers.total) {
    return { ok: false, reason: 'correct is more than total' };
  }
  const canonical = formatRecipe(recipe);
  // The line's data set is its recipe's (a recipe without data= ran on mnist-10k).
  const result = {
    ...numbers,
    data: dataSetOf(recipe),
    recipe,
    recipeText: canonical,
  } as unknown as RunResult;
  return {
    ok: true,
    record: {
      recipeText: canonical,
      result,
      timestamp: now,
      requestedAt: 0,
      deliveredAt: 0,
      origin: { kind: 'import', file, line: lineNumber },
    },
    axes: sweep?.axes,
  };
}

/** Reads JSONL files' text: the good lines as records, the broken ones named with reasons. */
export function parseRunFiles(
  files: readonly { readonly name: string; readonly text: string }[],
  now = Date.now(),
): ParsedImport {
  const out: ParsedImport = {
    files: files.map((f) => f.name),
    records: [],
    broken: [],
    sweep: null,
  };
  const sweepPoints: { key: string; point: SweepPoint }[] = [];
  let allSweep = true;
  for (const { name, text } of files) {
    const lines = text.split('\n');
    for (const [i, raw] of lines.entries()) {
      const line = raw.trim();
      if (line === '') continue;
      const read = readLine(name, i + 1, line, now);
      if (!read.ok) {
        out.broken.push({ file: name, line: i + 1, reason: read.reason });
        continue;
      }
      out.records.push(read.record);
      const axis = read.axes?.length === 1 ? read.axes[0] : undefined;
      if (!axis) {
        allSweep = false;
        continue;
      }
      sweepPoints.push({
        key: `${read.record.result.model}|step ${axis.step + 1} ${axis.technique} ${axis.param}`,
        point: {
          value: axis.value,
          accuracy: read.record.result.accuracy,
          sizeBytes: read.record.result.sizeBytes,
          recipeText: read.record.recipeText,
        },
      });
    }
  }
  // One parameter swept over one model (in any number of shard files): that is a curve.
  const keys = new Set(sweepPoints.map((p) => p.key));
  if (allSweep && keys.size === 1 && sweepPoints.length > 0) {
    const [model, label] = [...keys][0].split('|');
    const points = sweepPoints.map((p) => p.point).sort((a, b) => a.value - b.value);
    out.sweep = {
      label,
      model,
      values: points.map((p) => p.value),
      points,
      percent: points.every((p) => p.value >= 0 && p.value <= 1) && /fraction|density/.test(label),
    };
  }
  return out;
}
