/**
 * `complab`: the lab's engine, headless. `complab eval` runs one recipe on the shipped test
 * digits and prints the same numbers the page shows for the same share link; `sensitivity`
 * prints per-layer accuracy-vs-density curves; `reproduce` runs a paper's preset and prints
 * its figures beside ours; `presets` lists what the presets expand to.
 */
import {
  existsSync,
  openSync,
  readSync,
  closeSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AssetError } from '../engine/assets.ts';
import { WeightsFormatError } from '../engine/encode/weights-blob.ts';
import { isCompactModel } from '../engine/encode/model-file.ts';
import { CompactExportError } from '../engine/encode/verified-export.ts';
import { LayersExportError } from '../engine/encode/layers-model-export.ts';
import { Lab, RunCancelledError, type ModelSource, type RunResult } from '../engine/lab.ts';
import { isShippedModel, MODEL_PAPERS, SHIPPED_MODELS } from '../engine/model/catalog.ts';
import { droppedModel } from '../engine/model/dropped-files.ts';
import { ModelLoadError } from '../engine/model/errors.ts';
import { isUserModelId } from '../engine/model/user-models.ts';
import { fileAssetReader } from '../engine/node/assets.ts';
import { modelFilesOnDisk } from '../engine/node/model-files.ts';
import { writeModelExport } from '../engine/node/export-model.ts';
import { NODE_BACKENDS, useNodeBackend, type NodeBackendName } from '../engine/node/backend.ts';
import { paperFigures } from '../engine/papers.ts';
import { decompositionSummary } from '../engine/techniques/decompose/summary.ts';
import { RecipeError } from '../engine/recipe/errors.ts';
import { normalizeRecipe, normalizeStep, type Recipe } from '../engine/recipe/recipe.ts';
import {
  DEFAULT_UI,
  extractStateText,
  formatRecipe,
  parseShareState,
  shareUrl,
} from '../engine/recipe/share.ts';
import { TECHNIQUE_SPECS } from '../engine/techniques/catalog.ts';
import { PRESETS } from '../engine/techniques/presets.ts';
import { stageRatios } from '../engine/techniques/quantize/stages.ts';
import { codingSummary } from '../engine/techniques/quantize/binary-common.ts';
import { directoryPrefixStore } from './cache.ts';
import { progressPrinter } from './progress.ts';
import { SWEEP_USAGE, sweepCommand } from './sweep.ts';

/** Where share links point; override with COMPLAB_URL when the lab is hosted elsewhere. */
export const DEFAULT_LAB_URL = 'http://localhost:5173/';

const COMMON = `  --backend   wasm (default, WASM-SIMD) or cpu; fine-tuning always runs on wasm
  --cache     a folder that keeps every recipe prefix's result, so fine-tuning is done once
  --quiet     no progress lines on stderr
  --json      print one JSON object instead of a table`;

export const USAGE = `Usage: complab <command> [options]   (complab help <command> for details)

  eval          evaluate a model and a compression recipe on the 2,000 shipped test digits
  sensitivity   accuracy of each layer pruned alone to a range of densities
  reproduce     run a paper's preset and print the paper's figures beside ours
  export        write the compact model file a recipe leaves (its length is the reported size)
  presets       list the presets and the recipes they expand to
  zoo           every shipped model: paper, params, MACs, size, accuracy and latency now
  sweep         run a grid of recipes (ranges from..to:step) on every core, one JSON line each`;

const EVAL_USAGE = `Usage: complab eval [--model <id | path/to/model.json | compact file>] [--recipe <recipe | share URL>]
                    [--prune <fraction>] [--preset <name>] [--seed <n>] [--backend cpu|wasm]
                    [--cache <dir>] [--export-model <dir>] [--quiet] [--json]

Evaluates a model and a compression recipe on the 2,000 shipped MNIST test digits.
  --model     a shipped model (${SHIPPED_MODELS.join(', ')}), a tfjs LayersModel's model.json
              (or its folder), or a compact model file written by complab export; may be left
              out when the recipe names the model
  --recipe    recipe text such as 'v=1&model=lenet5&seed=1&steps=prune(fraction=0.9)',
              or a whole share link copied from the lab
  --prune     shorthand for a recipe of one global magnitude-pruning step, e.g. --prune 0.9
  --preset    a paper's recipe: ${PRESETS.map((p) => p.id).join(', ')} (printed as the recipe
              it expands to)
  --seed      the recipe's seed (default 1)
  --export-model  a folder to write the compressed model to: model.json + weights.bin (a plain
              tfjs LayersModel, masks and quantization baked into float weights) and model.clw
              (the compact file); a layer plain tfjs cannot compute is refused by name
${COMMON}

Techniques (steps=name(param=value,...);...):
${TECHNIQUE_SPECS.map((t) => `  ${t.id.padEnd(16)} ${t.params.map((p) => p.name).join(', ') || '(no parameters)'}`).join('\n')}`;

const SENSITIVITY_USAGE = `Usage: complab sensitivity --model <id | path> [--recipe <recipe>] [--digits test|check]
                           [--densities 0.5,0.3,0.1] [--backend cpu|wasm] [--quiet] [--json]

Prunes each conv and dense layer alone (one-shot, the others untouched) to each density and
prints the accuracy: {model, digits, baseAccuracy, layers: [{name, points: [{density, accuracy}]}]}.
  --recipe    analyse the network a recipe leaves (default: the model as shipped)
  --digits    test (default): the 2,000 test digits; check: 2,000 training digits held apart
  --densities the fractions of weights kept to try (default: 0.9 down to 0.01)`;

const REPRODUCE_USAGE = `Usage: complab reproduce <${PRESETS.map((p) => p.id).join(' | ')}> --model <id>
                         [--backend cpu|wasm] [--cache <dir>] [--batches <n>] [--quiet] [--json]

Runs a paper's preset on a shipped model and prints {paper, ours}: what the paper reports and
what the lab measures (accuracy, density, size, latency, per-layer figures, the recipe and its
share link).
  --batches   a smoke run: every training epoch stops after n batches (not the reproduction)
${COMMON}`;

const EXPORT_USAGE = `Usage: complab export --out FILE [--model <id | path>] [--recipe <recipe | share URL>]
                     [--preset <name>] [--seed <n>] [--backend cpu|wasm] [--cache <dir>]
                     [--quiet] [--json]

Runs the recipe (as complab eval does) and writes the compact model file it leaves: the
architecture and every weight in its stored form (dense or sparse floats, codebook + indices,
Huffman-coded streams, fixed point, ternary, binary). Its length is the size complab eval
reports; complab eval --model FILE decodes it and gives the same accuracy. The format is in the
README ("The compact model file").
${COMMON}`;

const PRESETS_USAGE = `Usage: complab presets [--model <id>] [--json]

Lists the presets and, for a model, the recipe each expands to.`;

const ZOO_USAGE = `Usage: complab zoo [--backend cpu|wasm] [--quiet] [--json]

Evaluates every shipped model as trained (${SHIPPED_MODELS.join(', ')}) on the 2,000 test
digits and prints one row each: id, paper, params, macs, sizeBytes, accuracy and latencyMs
(median time per batch of 64 digits, measured now on the chosen backend, as eval measures it).`;

/** A mistake in how the command was called: printed as one line, exit code 2. */
export class UsageError extends Error {}

const looksLikePath = (model: string) =>
  model.includes('/') || model.endsWith('.json') || existsSync(model);

/** Whether a path is a file that starts with the compact model file's magic. */
function isCompactFile(path: string): boolean {
  if (!existsSync(path) || !statSync(path).isFile()) return false;
  const fd = openSync(path, 'r');
  try {
    const head = new Uint8Array(4);
    readSync(fd, head, 0, 4, 0);
    return isCompactModel(head);
  } finally {
    closeSync(fd);
  }
}

function modelSourceForPath(model: string): ModelSource | undefined {
  if (isShippedModel(model)) return undefined;
  let path = resolve(model);
  if (isCompactFile(path)) {
    return { read: fileAssetReader(''), modelJsonPath: path, compactFile: readFileSync(path) };
  }
  if (existsSync(path) && statSync(path).isDirectory()) path = join(path, 'model.json');
  // Rooted at '' so the absolute path itself is what error messages name.
  return { read: fileAssetReader(''), modelJsonPath: path };
}

/**
 * The id the page gives these files when they are dropped on it (user/NAME/HASH), so that a
 * link to a run on an imported model runs here with --model and the same files. The files are
 * read with the loader's path check and the page's limits (modelFilesOnDisk); ModelLoadError
 * says why they cannot be read.
 */
function importedIdOf(model: string): string {
  return droppedModel(modelFilesOnDisk(model)).id;
}

function parse(
  args: string[],
  options: NonNullable<ParseArgsConfig['options']>,
  positionals = false,
) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: positionals });
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]);
  }
}

const commonOptions = {
  backend: { type: 'string', default: 'wasm' },
  cache: { type: 'string' },
  quiet: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
} as const;

export function backendOf(value: unknown): NodeBackendName {
  if (!(NODE_BACKENDS as readonly string[]).includes(String(value))) {
    throw new UsageError(
      `--backend must be one of ${NODE_BACKENDS.join(', ')} in Node (got "${String(value)}")`,
    );
  }
  return value as NodeBackendName;
}

export function checkModel(model: string, fromLink: boolean): void {
  if (isShippedModel(model)) return;
  if (fromLink) {
    // A link only ever names shipped models: a path must come from --model, typed by the user.
    throw new UsageError(
      `the recipe names model "${model.slice(0, 60)}", which is not shipped (${SHIPPED_MODELS.join(', ')}); give a model file with --model`,
    );
  }
  if (!looksLikePath(model)) {
    throw new UsageError(
      `unknown model "${model}": use ${SHIPPED_MODELS.join(', ')} or a path to a model.json`,
    );
  }
}

export interface EvalOptions {
  recipe: Recipe;
  preset?: string;
  backend: NodeBackendName;
  json: boolean;
  quiet: boolean;
  cache?: string;
}

export function parseEvalArgs(args: string[]): EvalOptions {
  const { values } = parse(args, {
    ...commonOptions,
    model: { type: 'string' },
    recipe: { type: 'string' },
    prune: { type: 'string' },
    preset: { type: 'string' },
    seed: { type: 'string' },
  });
  const backend = backendOf(values.backend);
  const given = [values.recipe, values.prune, values.preset].filter((v) => v !== undefined).length;
  if (given > 1) throw new UsageError('give one of --recipe, --prune and --preset');
  let text = (values.recipe as string | undefined) ?? '';
  if (values.prune !== undefined) text = `steps=prune(fraction=${String(values.prune)})`;
  const recipeNamesModel = /(^|&)model=/.test(extractStateText(text));
  const parsed = parseShareState(text).recipe;
  const model = values.model as string | undefined;
  if (model !== undefined && recipeNamesModel && parsed.model !== model) {
    if (!isUserModelId(parsed.model)) {
      throw new UsageError(`--model ${model} disagrees with the recipe's model ${parsed.model}`);
    }
    // A link to a run on a model imported in a browser: the same files, given here, will do.
    let id: string;
    try {
      id = importedIdOf(model);
    } catch (err) {
      if (!(err instanceof ModelLoadError)) throw err;
      id = `not a readable model (${err.message})`;
    }
    if (id !== parsed.model) {
      throw new UsageError(
        `--model ${model} is not the model the link needs: the link names ${parsed.model} (a model imported in a browser; give the same files), these files are ${id}`,
      );
    }
  }
  if (model === undefined && !recipeNamesModel) {
    throw new UsageError(
      `name a model with --model (${SHIPPED_MODELS.join(', ')}) or in the recipe`,
    );
  }
  checkModel(model ?? parsed.model, model === undefined);
  let seed = parsed.seed;
  if (values.seed !== undefined) {
    if (!/^\d{1,10}$/.test(String(values.seed)))
      throw new UsageError(`--seed must be a whole number (got "${String(values.seed)}")`);
    seed = Number(values.seed);
  }
  if (values.preset !== undefined && !PRESETS.some((p) => p.id === values.preset)) {
    throw new UsageError(
      `unknown preset "${String(values.preset)}" (known: ${PRESETS.map((p) => p.id).join(', ')})`,
    );
  }
  return {
    recipe: normalizeRecipe({ ...parsed, model: model ?? parsed.model, seed }),
    preset: values.preset as string | undefined,
    backend,
    json: values.json as boolean,
    quiet: values.quiet as boolean,
    cache: values.cache as string | undefined,
  };
}

export async function openLab(backend: NodeBackendName, cache?: string): Promise<Lab> {
  await useNodeBackend(backend);
  return new Lab({
    read: fileAssetReader(),
    resolveModel: modelSourceForPath,
    trainingBackend: 'wasm',
    activateBackend: async (name) => {
      if (name !== 'wasm' && name !== 'cpu') return false;
      await useNodeBackend(name);
      return true;
    },
    prefixStore: cache ? directoryPrefixStore(resolve(cache)) : undefined,
  });
}

/** A link only reproduces a run when the page can load the model, i.e. a shipped one. */
export function linkFor(recipe: Recipe): string | null {
  return isShippedModel(recipe.model)
    ? shareUrl(process.env.COMPLAB_URL ?? DEFAULT_LAB_URL, { recipe, ui: DEFAULT_UI })
    : null;
}

const percent = (x: number) => `${(100 * x).toFixed(2)}%`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

export function formatTable(result: RunResult, link: string | null): string {
  const rows: [string, string][] = [
    ['model', result.model],
    [
      'backend',
      result.trainedOn && result.trainedOn !== result.backend
        ? `${result.backend} (fine-tuned on ${result.trainedOn})`
        : result.backend,
    ],
    ['recipe', result.recipeText],
    [
      'accuracy',
      `${percent(result.accuracy)} (${result.correct}/${result.total}; baseline ${percent(result.baselineAccuracy)})`,
    ],
    [
      'size',
      `${result.sizeBytes} bytes = ${kib(result.sizeBytes)} (baseline ${kib(result.baselineSizeBytes)}, ${result.compressionRatio.toFixed(2)}x smaller)`,
    ],
    [
      'params',
      `${result.nonzeroParams} nonzero of ${result.params} (baseline ${result.baselineParams})`,
    ],
    [
      'MACs',
      `${result.macs} dense, ${result.sparseMacs} with zero weights skipped (baseline ${result.baselineMacs})`,
    ],
    [
      'latency',
      `${result.latencyMs.toFixed(2)} ms per batch of ${result.latencyBatch} (baseline ${result.baselineLatencyMs.toFixed(2)} ms)`,
    ],
  ];
  if (link) rows.push(['share link', link]);
  const width = Math.max(...rows.map(([k]) => k.length));
  const steps = result.steps.map(
    (s) =>
      `  ${String(s.index + 1).padStart(2)}. ${s.technique.padEnd(16)} ${percent(s.accuracy).padStart(7)}  ${String(s.nonzeroParams).padStart(8)} nonzero  ${String(s.sizeBytes).padStart(9)} B  ${(s.elapsedMs / 1000).toFixed(1).padStart(6)} s${s.cached ? ' (cached)' : ''}`,
  );
  const layerLines = result.layers
    .filter((l) => l.params > 0)
    .map(
      (l) =>
        `  ${l.name.padEnd(12)} ${l.className.padEnd(12)} ${`[${(l.kernelShape ?? []).join('x')}]`.padEnd(16)} ${String(l.nonzeroParams).padStart(8)}/${String(l.params).padEnd(8)} ${l.layout.padEnd(6)} ${l.indexBits ? `${l.indexBits}-bit` : '     '} ${String(l.sizeBytes).padStart(9)} B`,
    );
  return [
    ...rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`),
    ...(steps.length
      ? ['steps (test accuracy after each, nonzero params, stored size, time):', ...steps]
      : []),
    'layers (kernel shape, nonzero/params, layout, index bits, stored bytes):',
    ...layerLines,
  ].join('\n');
}

export function toJson(result: RunResult, link: string | null) {
  const { recipe: _recipe, recipeText, ...rest } = result;
  return { ...rest, recipe: recipeText, shareUrl: link };
}

/** The recipe `eval` and `export` run: the given one, or the preset expanded for its model. */
async function recipeOf(lab: Lab, options: ReturnType<typeof parseEvalArgs>): Promise<Recipe> {
  if (!options.preset) return options.recipe;
  return normalizeRecipe({
    ...options.recipe,
    steps: await lab.expandPreset(options.recipe.model, options.preset),
  });
}

/** Takes `--name VALUE` or `--name=VALUE` out of args (options eval's parser does not know). */
function takeOption(args: string[], name: string): { value?: string; rest: string[] } {
  const rest = [...args];
  const at = rest.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (at < 0) return { rest };
  if (rest[at].startsWith(`${name}=`)) {
    const value = rest[at].slice(name.length + 1);
    rest.splice(at, 1);
    return { value, rest };
  }
  const value = rest[at + 1];
  rest.splice(at, 2);
  if (value === undefined || value.startsWith('--')) throw new UsageError(`${name} needs a value`);
  return { value, rest };
}

async function evalCommand(args: string[]): Promise<number> {
  const { value: exportDir, rest } = takeOption(args, '--export-model');
  const options = parseEvalArgs(rest);
  const lab = await openLab(options.backend, options.cache);
  try {
    const recipe = await recipeOf(lab, options);
    if (options.preset) {
      process.stderr.write(`complab: preset ${options.preset} is ${formatRecipe(recipe)}\n`);
    }
    const progress = progressPrinter(process.stderr, options.quiet);
    const result = await lab.run(recipe, { onProgress: progress.onProgress });
    progress.done();
    if (exportDir !== undefined) {
      const compact = await lab.exportCompact(recipe, { reported: result });
      const written = await writeModelExport(
        await lab.graphOf(recipe),
        compact.bytes,
        resolve(exportDir),
      );
      if (!options.quiet) process.stderr.write(`complab: wrote ${written.join(', ')}\n`);
    }
    const link = linkFor(result.recipe);
    process.stdout.write(
      options.json ? `${JSON.stringify(toJson(result, link))}\n` : `${formatTable(result, link)}\n`,
    );
    return 0;
  } finally {
    await lab.dispose();
  }
}

async function exportCommand(args: string[]): Promise<number> {
  const at = args.findIndex((a) => a === '--out' || a.startsWith('--out='));
  let out: string | undefined;
  const rest = [...args];
  if (at >= 0) {
    if (rest[at].startsWith('--out=')) {
      out = rest[at].slice('--out='.length);
      rest.splice(at, 1);
    } else {
      out = rest[at + 1];
      rest.splice(at, 2);
    }
  }
  if (!out) throw new UsageError('name the file to write with --out FILE');
  const options = parseEvalArgs(rest);
  const lab = await openLab(options.backend, options.cache);
  try {
    const recipe = await recipeOf(lab, options);
    const progress = progressPrinter(process.stderr, options.quiet);
    const result = await lab.run(recipe, { onProgress: progress.onProgress });
    progress.done();
    // Decoded and evaluated again: a file that is not the model reported is never written.
    const encoded = await lab.exportCompact(recipe, { reported: result });
    writeFileSync(resolve(out), encoded.bytes);
    const summary = {
      out: resolve(out),
      sizeBytes: encoded.bytes.length,
      architectureBytes: encoded.archBytes,
      compressionRatio: result.compressionRatio,
      accuracy: result.accuracy,
      recipe: result.recipeText,
    };
    process.stdout.write(
      options.json
        ? `${JSON.stringify(summary)}\n`
        : `wrote ${summary.out}: ${summary.sizeBytes} bytes (${summary.architectureBytes} of them the architecture), ${summary.compressionRatio.toFixed(1)}x smaller than the baseline; test accuracy ${percent(summary.accuracy)}\n`,
    );
    return 0;
  } finally {
    await lab.dispose();
  }
}

function parseDensities(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const values = text.split(',').map((t) => Number(t.trim()));
  if (values.length === 0 || values.length > 50 || values.some((v) => !(v > 0 && v <= 1))) {
    throw new UsageError(
      `--densities must be fractions in (0, 1] separated by commas (got "${text.slice(0, 40)}")`,
    );
  }
  return values;
}

async function sensitivityCommand(args: string[]): Promise<number> {
  const { values } = parse(args, {
    ...commonOptions,
    model: { type: 'string' },
    recipe: { type: 'string' },
    digits: { type: 'string', default: 'test' },
    densities: { type: 'string' },
  });
  const backend = backendOf(values.backend);
  const digits = values.digits as string;
  if (digits !== 'test' && digits !== 'check')
    throw new UsageError(`--digits must be test or check (got "${digits}")`);
  const densities = parseDensities(values.densities as string | undefined);
  const text = (values.recipe as string | undefined) ?? '';
  const parsed = parseShareState(text).recipe;
  const model =
    (values.model as string | undefined) ??
    (/(^|&)model=/.test(extractStateText(text)) ? parsed.model : undefined);
  if (model === undefined)
    throw new UsageError(`name a model with --model (${SHIPPED_MODELS.join(', ')})`);
  checkModel(model, values.model === undefined);
  const recipe = normalizeRecipe({ ...parsed, model });
  const lab = await openLab(backend, values.cache as string | undefined);
  try {
    const progress = progressPrinter(process.stderr, values.quiet as boolean);
    const result = await lab.sensitivity(recipe, {
      digits,
      densities,
      onProgress: progress.onProgress,
    });
    progress.done();
    const output = { model, recipe: formatRecipe(recipe), ...result };
    if (values.json) {
      process.stdout.write(`${JSON.stringify(output)}\n`);
    } else {
      const all = [...new Set(result.layers.flatMap((l) => l.points.map((p) => p.density)))].sort(
        (a, b) => b - a,
      );
      const lines = [
        `accuracy on the ${digits === 'test' ? '2,000 test digits' : '2,000 check digits (training digits held apart)'}, one layer pruned at a time; base ${percent(result.baseAccuracy)}`,
        `density   ${result.layers.map((l) => l.name.padStart(9)).join(' ')}`,
        ...all.map(
          (d) =>
            `${d.toFixed(2).padStart(7)}   ${result.layers
              .map((l) => {
                const point = l.points.find((p) => p.density === d);
                return (point ? percent(point.accuracy) : '').padStart(9);
              })
              .join(' ')}`,
        ),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    return 0;
  } finally {
    await lab.dispose();
  }
}

/** Fraction of conv/dense kernel weights that are nonzero, per layer and overall. */
function kernelDensity(result: RunResult) {
  const layers: Record<
    string,
    {
      density: number;
      weights: number;
      kept: number;
      indexBits?: number;
      sizeBytes: number;
      /** Quantized kernels: bits of a shared-weight index or level, before and after Huffman. */
      weightBits?: number;
      weightBitsHuffman?: number;
      /** Stored position bits per kept weight (after Huffman when coded). */
      indexBitsHuffman?: number;
      huffman?: boolean;
    }
  > = {};
  let weights = 0;
  let kept = 0;
  for (const l of result.layers) {
    if (!l.kernelShape) continue;
    const n = l.kernelShape.reduce((a, b) => a * b, 1);
    const bias = l.params - n;
    const nonzero = Math.max(0, l.nonzeroParams - bias); // biases are rarely zero; close enough per layer
    layers[l.name] = {
      density: nonzero / n,
      weights: n,
      kept: nonzero,
      indexBits: l.indexBits,
      sizeBytes: l.sizeBytes,
      ...(l.storage?.symbolBits
        ? {
            weightBits: l.storage.symbolBits,
            weightBitsHuffman: Number(l.storage.valueBits.toFixed(2)),
            indexBitsHuffman: Number(l.storage.indexBits.toFixed(2)),
            huffman: l.storage.huffman,
          }
        : {}),
    };
    weights += n;
    kept += nonzero;
  }
  return { density: kept / weights, layers };
}

async function reproduceCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    { ...commonOptions, model: { type: 'string' }, batches: { type: 'string' } },
    true,
  );
  const backend = backendOf(values.backend);
  const batches = values.batches === undefined ? undefined : Number(values.batches);
  if (batches !== undefined && !(Number.isInteger(batches) && batches >= 1 && batches <= 1000)) {
    throw new UsageError(
      `--batches must be a whole number from 1 to 1000 (got "${values.batches}")`,
    );
  }
  const [preset, ...extra] = positionals;
  if (!preset || extra.length)
    throw new UsageError(`name one preset: ${PRESETS.map((p) => p.id).join(', ')}`);
  if (!PRESETS.some((p) => p.id === preset)) {
    throw new UsageError(
      `unknown preset "${preset}" (known: ${PRESETS.map((p) => p.id).join(', ')})`,
    );
  }
  const model = values.model as string | undefined;
  if (!model || !isShippedModel(model)) {
    throw new UsageError(`reproduce needs a shipped model: --model ${SHIPPED_MODELS.join(' | ')}`);
  }
  const lab = await openLab(backend, values.cache as string | undefined);
  try {
    // --batches: a smoke run (every training epoch cut short), not the reproduction.
    const steps = (await lab.expandPreset(model, preset)).map((s) =>
      batches !== undefined && 'batches' in s.params
        ? normalizeStep(s.technique, { ...s.params, batches })
        : s,
    );
    const recipe = normalizeRecipe({ model, seed: 1, steps });
    const quiet = values.quiet as boolean;
    if (!quiet) process.stderr.write(`complab: preset ${preset} is ${formatRecipe(recipe)}\n`);
    const progress = progressPrinter(process.stderr, quiet);
    const result = await lab.run(recipe, { onProgress: progress.onProgress });
    progress.done();
    // Latency of both networks measured in alternation, so the speedup compares like with like.
    const latency = await lab.compareLatency(recipe);
    const { density, layers } = kernelDensity(result);
    // Bits per weight and the size the storage codings imply, counted apart from the encoder.
    const coding = codingSummary(await lab.graphOf(recipe), await lab.baseGraph(model));
    for (const [name, l] of Object.entries(coding.layers)) {
      if (layers[name]) Object.assign(layers[name], { bits: l.bits, codedBytes: l.bytes });
    }
    const channels = result.steps.map((s) => s.report?.channelsAfter).find(Boolean);
    const decomposition = decompositionSummary(result.steps);
    const ours = {
      model,
      backend: result.backend,
      trainedOn: result.trainedOn,
      accuracy: result.accuracy,
      baselineAccuracy: result.baselineAccuracy,
      accuracyDrop: result.baselineAccuracy - result.accuracy,
      density,
      compressionRatio: result.compressionRatio,
      sizeBytes: result.sizeBytes,
      baselineSizeBytes: result.baselineSizeBytes,
      codedSizeBytes: coding.bytes,
      codedCompressionRatio: coding.ratio,
      params: result.params,
      baselineParams: result.baselineParams,
      nonzeroParams: result.nonzeroParams,
      macs: result.macs,
      baselineMacs: result.baselineMacs,
      latencyMs: latency.latencyMs,
      baselineLatencyMs: latency.baselineLatencyMs,
      latencySpread: latency.latencySpread,
      baselineLatencySpread: latency.baselineLatencySpread,
      speedup: latency.speedup,
      elapsedMs: result.elapsedMs,
      recipe: result.recipeText,
      shareUrl: linkFor(result.recipe),
      layers,
      stages: stageRatios(result.steps, result.baselineSizeBytes),
      channels: channels ?? undefined,
      ranks: decomposition?.ranks,
      decomposition,
      steps: result.steps.map((s) => ({
        technique: s.technique,
        accuracy: s.accuracy,
        elapsedMs: s.elapsedMs,
        cached: s.cached,
      })),
    };
    const paper = paperFigures(preset, model);
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ paper, ours })}\n`);
    } else {
      const paperLayers = (paper.layers ?? {}) as Record<string, unknown>;
      const lines = [
        `${preset} on ${model} — paper: ${paper.paper} (${paper.source})`,
        `accuracy ${percent(ours.accuracy)} vs baseline ${percent(ours.baselineAccuracy)} (drop ${(100 * ours.accuracyDrop).toFixed(2)} points)`,
        `weights kept ${percent(density)}${typeof paper.density === 'number' ? ` (paper ${percent(paper.density)})` : ''}; stored ${kib(ours.sizeBytes)}, ${ours.compressionRatio.toFixed(1)}x smaller than ${kib(ours.baselineSizeBytes)}`,
        `params ${ours.params} (baseline ${ours.baselineParams}); latency ${ours.latencyMs.toFixed(2)} ms vs ${ours.baselineLatencyMs.toFixed(2)} ms per batch of ${result.latencyBatch}; ${(ours.elapsedMs / 1000).toFixed(0)} s`,
        ...(ours.stages.length
          ? [
              `ratio after ${ours.stages.map((st) => `${st.stage} ${st.ratio.toFixed(1)}x`).join(', after ')}`,
            ]
          : []),
        `storage codings imply ${kib(coding.bytes)}, ${coding.ratio.toFixed(1)}x smaller (bits per weight: ${Object.entries(
          coding.layers,
        )
          .map(([name, l]) => `${name} ${l.bits}`)
          .join(', ')})`,
        'layer          weights   kept (ours)  kept (paper)  index bits  weight bits (Huffman)  index bits (Huffman)  stored bytes',
        ...Object.entries(layers).map(([name, l]) => {
          const paperLayer = paperLayers[name] as unknown;
          const paperKept =
            typeof paperLayer === 'number'
              ? paperLayer
              : (paperLayer as { kept?: number } | undefined)?.kept;
          return `${name.padEnd(12)} ${String(l.weights).padStart(9)}   ${percent(l.density).padStart(9)}   ${(paperKept !== undefined ? percent(paperKept) : '-').padStart(11)}  ${String(l.indexBits ?? '-').padStart(10)}  ${(l.weightBits ? `${l.weightBits} (${l.weightBitsHuffman})` : '-').padStart(21)}  ${(l.weightBits ? String(l.indexBitsHuffman) : '-').padStart(20)}  ${String(l.sizeBytes).padStart(12)}`;
        }),
        ...(decomposition
          ? [
              `decomposed layers: ${decomposition.macsBefore} -> ${decomposition.macsAfter} MACs (${decomposition.macsReduction.toFixed(2)}x fewer), ${decomposition.paramsBefore} -> ${decomposition.paramsAfter} weights; ranks ${JSON.stringify(decomposition.ranks)}`,
              ...decomposition.warnings.map((w) => `warning: ${w}`),
            ]
          : []),
        `recipe: ${ours.recipe}`,
        ...(ours.shareUrl ? [`share link: ${ours.shareUrl}`] : []),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    return 0;
  } finally {
    await lab.dispose();
  }
}

async function presetsCommand(args: string[]): Promise<number> {
  const { values } = parse(args, {
    model: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  const model = values.model as string | undefined;
  if (model !== undefined) checkModel(model, false);
  const lab = model ? await openLab('wasm') : null;
  try {
    const rows = await Promise.all(
      PRESETS.map(async (p) => ({
        id: p.id,
        label: p.label,
        paper: p.paper,
        description: p.description,
        recipe:
          lab && model
            ? formatRecipe(
                normalizeRecipe({ model, seed: 1, steps: await lab.expandPreset(model, p.id) }),
              )
            : undefined,
      })),
    );
    process.stdout.write(
      values.json
        ? `${JSON.stringify(rows)}\n`
        : `${rows.map((r) => `${r.id}: ${r.label} (${r.paper})\n  ${r.description}${r.recipe ? `\n  ${r.recipe}` : ''}`).join('\n')}\n`,
    );
    return 0;
  } finally {
    await lab?.dispose();
  }
}

export interface ZooRow {
  readonly id: string;
  readonly paper: string;
  readonly params: number;
  readonly macs: number;
  readonly sizeBytes: number;
  readonly accuracy: number;
  readonly latencyMs: number;
}

export function formatZooTable(rows: readonly ZooRow[]): string {
  const header = `${'model'.padEnd(11)} ${'params'.padStart(8)} ${'MACs'.padStart(10)} ${'stored'.padStart(10)} ${'accuracy'.padStart(8)} ${'latency'.padStart(10)}  paper`;
  return [
    header,
    ...rows.map(
      (r) =>
        `${r.id.padEnd(11)} ${String(r.params).padStart(8)} ${String(r.macs).padStart(10)} ${kib(r.sizeBytes).padStart(10)} ${percent(r.accuracy).padStart(8)} ${`${r.latencyMs.toFixed(2)} ms`.padStart(10)}  ${r.paper}`,
    ),
  ].join('\n');
}

async function zooCommand(args: string[]): Promise<number> {
  const { values } = parse(args, {
    backend: commonOptions.backend,
    quiet: commonOptions.quiet,
    json: commonOptions.json,
  });
  const lab = await openLab(backendOf(values.backend));
  try {
    const rows: ZooRow[] = [];
    for (const id of SHIPPED_MODELS) {
      if (!values.quiet) process.stderr.write(`complab: evaluating ${id}\n`);
      const result = await lab.run(normalizeRecipe({ model: id, seed: 1, steps: [] }));
      rows.push({
        id,
        paper: MODEL_PAPERS[id],
        params: result.params,
        macs: result.macs,
        sizeBytes: result.sizeBytes,
        accuracy: result.accuracy,
        latencyMs: result.latencyMs,
      });
    }
    process.stdout.write(values.json ? `${JSON.stringify(rows)}\n` : `${formatZooTable(rows)}\n`);
    return 0;
  } finally {
    await lab.dispose();
  }
}

const COMMANDS: Record<string, { usage: string; run: (args: string[]) => Promise<number> }> = {
  eval: { usage: EVAL_USAGE, run: evalCommand },
  sensitivity: { usage: SENSITIVITY_USAGE, run: sensitivityCommand },
  reproduce: { usage: REPRODUCE_USAGE, run: reproduceCommand },
  export: { usage: EXPORT_USAGE, run: exportCommand },
  presets: { usage: PRESETS_USAGE, run: presetsCommand },
  zoo: { usage: ZOO_USAGE, run: zooCommand },
  sweep: { usage: SWEEP_USAGE, run: sweepCommand },
};

/** A command by name; only the table's own entries (not "constructor" and the like). */
const commandNamed = (name: string) => (Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined);

const USER_ERRORS = [
  RecipeError,
  ModelLoadError,
  AssetError,
  WeightsFormatError,
  LayersExportError,
  CompactExportError,
];

/** Runs the CLI and returns its exit code; every failure is one line on stderr. */
export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  try {
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      const topic = command === 'help' ? commandNamed(rest[0] ?? '') : undefined;
      process.stdout.write(`${topic ? topic.usage : USAGE}\n`);
      return command === undefined ? 2 : 0;
    }
    const entry = commandNamed(command);
    if (!entry)
      throw new UsageError(`unknown command "${command.slice(0, 30)}" (try: complab help)`);
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(`${entry.usage}\n`);
      return 0;
    }
    return await entry.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`complab: ${err.message}\n`);
      return 2;
    }
    if (err instanceof RunCancelledError) {
      process.stderr.write('complab: cancelled\n');
      return 130; // as a shell reports a command ended by Ctrl-C
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
