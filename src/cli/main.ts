/**
 * `complab`: the lab's engine, headless. `complab eval` runs one recipe on the shipped test
 * digits and prints the same numbers the page shows for the same share link.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AssetError } from '../engine/assets.ts';
import { Lab, type ModelSource, type RunResult } from '../engine/lab.ts';
import { isShippedModel, SHIPPED_MODELS } from '../engine/model/catalog.ts';
import { ModelLoadError } from '../engine/model/errors.ts';
import { fileAssetReader } from '../engine/node/assets.ts';
import { NODE_BACKENDS, useNodeBackend, type NodeBackendName } from '../engine/node/backend.ts';
import { RecipeError } from '../engine/recipe/errors.ts';
import { normalizeRecipe, type Recipe } from '../engine/recipe/recipe.ts';
import {
  DEFAULT_UI,
  extractStateText,
  formatRecipe,
  parseShareState,
  shareUrl,
} from '../engine/recipe/share.ts';
import { WeightsFormatError } from '../engine/encode/weights-blob.ts';

/** Where share links point; override with COMPLAB_URL when the lab is hosted elsewhere. */
export const DEFAULT_LAB_URL = 'http://localhost:5173/';

export const USAGE = `Usage: complab eval [--model <id | path/to/model.json>] [--recipe <recipe | share URL>]
                    [--prune <fraction>] [--seed <n>] [--backend cpu|wasm] [--json]

Evaluates a model and a compression recipe on the 2,000 shipped MNIST test digits.
  --model     a shipped model (${SHIPPED_MODELS.join(', ')}) or a tfjs LayersModel's model.json
              (or its folder); may be left out when the recipe names the model
  --recipe    recipe text such as 'v=1&model=lenet5&seed=1&steps=prune(fraction=0.9)',
              or a whole share link copied from the lab
  --prune     shorthand for a recipe of one global magnitude-pruning step, e.g. --prune 0.9
  --seed      the recipe's seed (default 1)
  --backend   wasm (default, WASM-SIMD) or cpu
  --json      print one JSON object instead of a table`;

/** A mistake in how the command was called: printed as one line, exit code 2. */
class UsageError extends Error {}

interface EvalOptions {
  recipe: Recipe;
  backend: NodeBackendName;
  json: boolean;
}

function modelSourceForPath(model: string): ModelSource | undefined {
  if (isShippedModel(model)) return undefined;
  let path = resolve(model);
  if (existsSync(path) && statSync(path).isDirectory()) path = join(path, 'model.json');
  // Rooted at '' so the absolute path itself is what error messages name.
  return { read: fileAssetReader(''), modelJsonPath: path };
}

const looksLikePath = (model: string) => model.includes('/') || model.endsWith('.json');

export function parseEvalArgs(args: string[]): EvalOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        model: { type: 'string' },
        recipe: { type: 'string' },
        prune: { type: 'string' },
        seed: { type: 'string' },
        backend: { type: 'string', default: 'wasm' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]);
  }
  if (!(NODE_BACKENDS as readonly string[]).includes(values.backend)) {
    throw new UsageError(
      `--backend must be one of ${NODE_BACKENDS.join(', ')} in Node (got "${values.backend}")`,
    );
  }
  if (values.recipe !== undefined && values.prune !== undefined) {
    throw new UsageError('give --recipe or --prune, not both');
  }
  let text = values.recipe ?? '';
  if (values.prune !== undefined) text = `steps=prune(fraction=${values.prune})`;
  const recipeNamesModel = /(^|&)model=/.test(extractStateText(text));
  const parsed = parseShareState(text).recipe;
  if (values.model !== undefined && recipeNamesModel && parsed.model !== values.model) {
    throw new UsageError(
      `--model ${values.model} disagrees with the recipe's model ${parsed.model}`,
    );
  }
  if (values.model === undefined && !recipeNamesModel) {
    throw new UsageError(
      `name a model with --model (${SHIPPED_MODELS.join(', ')}) or in the recipe`,
    );
  }
  const model = values.model ?? parsed.model;
  if (!isShippedModel(model) && !looksLikePath(model)) {
    throw new UsageError(
      `unknown model "${model}": use ${SHIPPED_MODELS.join(', ')} or a path to a model.json`,
    );
  }
  const seed = values.seed === undefined ? parsed.seed : Number(values.seed);
  return {
    recipe: normalizeRecipe({ ...parsed, model, seed }),
    backend: values.backend as NodeBackendName,
    json: values.json,
  };
}

const percent = (x: number) => `${(100 * x).toFixed(2)}%`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

export function formatTable(result: RunResult, link: string | null): string {
  const rows: [string, string][] = [
    ['model', result.model],
    ['backend', result.backend],
    ['recipe', result.recipeText],
    [
      'accuracy',
      `${percent(result.accuracy)} (${result.correct}/${result.total}; baseline ${percent(result.baselineAccuracy)})`,
    ],
    [
      'size',
      `${result.sizeBytes} bytes = ${kib(result.sizeBytes)} (baseline ${kib(result.baselineSizeBytes)}, ${result.compressionRatio.toFixed(2)}x smaller)`,
    ],
    ['params', `${result.nonzeroParams} nonzero of ${result.params}`],
    ['MACs', `${result.macs} dense, ${result.sparseMacs} with zero weights skipped`],
    [
      'latency',
      `${result.latencyMs.toFixed(2)} ms per batch of 64 (baseline ${result.baselineLatencyMs.toFixed(2)} ms)`,
    ],
  ];
  if (link) rows.push(['share link', link]);
  const width = Math.max(...rows.map(([k]) => k.length));
  const layerLines = result.layers
    .filter((l) => l.params > 0)
    .map(
      (l) =>
        `  ${l.name.padEnd(12)} ${l.className.padEnd(12)} ${String(l.nonzeroParams).padStart(8)}/${String(l.params).padEnd(8)} ${l.layout.padEnd(6)} ${String(l.sizeBytes).padStart(9)} B`,
    );
  return [
    ...rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`),
    'layers (nonzero/params, layout, stored bytes):',
    ...layerLines,
  ].join('\n');
}

export function toJson(result: RunResult, link: string | null) {
  const { recipe: _recipe, recipeText, ...rest } = result;
  return { ...rest, recipe: recipeText, shareUrl: link };
}

async function evalCommand(args: string[]): Promise<number> {
  const options = parseEvalArgs(args);
  await useNodeBackend(options.backend);
  const lab = new Lab({ read: fileAssetReader(), resolveModel: modelSourceForPath });
  const result = await lab.run(options.recipe);
  await lab.dispose();
  // A link only reproduces a run when the page can load the model, i.e. a shipped one.
  const link = isShippedModel(result.model)
    ? shareUrl(process.env.COMPLAB_URL ?? DEFAULT_LAB_URL, {
        recipe: result.recipe,
        ui: DEFAULT_UI,
      })
    : null;
  process.stdout.write(
    options.json ? `${JSON.stringify(toJson(result, link))}\n` : `${formatTable(result, link)}\n`,
  );
  return 0;
}

const USER_ERRORS = [RecipeError, ModelLoadError, AssetError, WeightsFormatError];

/** Runs the CLI and returns its exit code; every failure is one line on stderr. */
export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  try {
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    }
    if (command === 'eval') {
      if (rest.includes('--help') || rest.includes('-h')) {
        process.stdout.write(`${USAGE}\n`);
        return 0;
      }
      return await evalCommand(rest);
    }
    throw new UsageError(`unknown command "${command}" (try: complab eval --help)`);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`complab: ${err.message}\n`);
      return 2;
    }
    if (USER_ERRORS.some((type) => err instanceof type)) {
      process.stderr.write(`complab: ${(err as Error).message}\n`);
      return 1;
    }
    const detail = process.env.COMPLAB_DEBUG
      ? (err as Error).stack
      : (err as Error).message?.split('\n')[0];
    process.stderr.write(
      `complab: unexpected error: ${detail} (set COMPLAB_DEBUG=1 for details)\n`,
    );
    return 1;
  }
}

export { formatRecipe };
