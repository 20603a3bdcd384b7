/**
 * The options several commands share, each declared once: every command that takes `--model`
 * adds this very Option, so its flags, description, default and checks cannot differ.
 * Light imports only: `complab --help` loads this module.
 */
import { Option } from 'commander';
import {
  DATA_SET_IDS,
  DEFAULT_DATA_SET,
  isDataSetId,
  LEGACY_DATA_SET,
  type DataSetId,
} from '../engine/data/datasets.ts';
import { SHIPPED_MODELS } from '../engine/model/shipped.ts';
import { NODE_BACKENDS, type NodeBackendName } from '../engine/node/backend-names.ts';
import { PRESETS } from '../engine/techniques/presets.ts';
import { UsageError } from './errors.ts';

const PRESET_IDS = PRESETS.map((p) => p.id);

/**
 * An option's value as typed: `--out --json` is a forgotten value, not a file named "--json".
 * (Commander takes the next word as the value whatever it is.)
 */
export const valueOf =
  (flag: string) =>
  (value: string): string => {
    if (value.startsWith('--')) throw new UsageError(`${flag} needs a value (got "${value}")`);
    return value;
  };

export function backendOf(value: unknown): NodeBackendName {
  if (!(NODE_BACKENDS as readonly string[]).includes(String(value))) {
    throw new UsageError(
      `--backend must be one of ${NODE_BACKENDS.join(', ')} in Node (got "${String(value)}")`,
    );
  }
  return value as NodeBackendName;
}

export function presetOf(value: string): string {
  if (!PRESET_IDS.includes(value)) {
    throw new UsageError(`unknown preset "${value}" (known: ${PRESET_IDS.join(', ')})`);
  }
  return value;
}

function seedOf(value: string): number {
  if (!/^\d{1,10}$/.test(value))
    throw new UsageError(`--seed must be a whole number (got "${value}")`);
  return Number(value);
}

export const modelOption = new Option(
  '--model <model>',
  `a shipped model (${SHIPPED_MODELS.join(', ')}); eval, compare, export, sensitivity and presets also take a tfjs LayersModel's model.json (or its folder), a compact model file written by complab export or an ONNX model (a path ending in .onnx)`,
).argParser(valueOf('--model'));

export const recipeOption = new Option(
  '--recipe <recipe>',
  "recipe text such as 'v=2&model=lenet5&seed=1&steps=prune(fraction=0.9)', or a whole share link copied from the lab",
).argParser(valueOf('--recipe'));

export const pruneOption = new Option(
  '--prune <fraction>',
  'shorthand for a recipe of one global magnitude-pruning step, e.g. --prune 0.9',
).argParser(valueOf('--prune'));

export const presetOption = new Option(
  '--preset <name>',
  "a paper's recipe, expanded for the model (and printed as the recipe it expands to)",
)
  .choices(PRESET_IDS)
  // After choices(), which only lists them in the help: the error names every preset.
  .argParser(presetOf);

/** A data set id, or a UsageError listing the ones this build has. */
export function dataOf(value: string): DataSetId {
  if (!isDataSetId(value)) {
    throw new UsageError(
      `unknown data set "${value.slice(0, 40)}" for --data (known: ${DATA_SET_IDS.join(', ')})`,
    );
  }
  return value;
}

export const dataOption = new Option(
  '--data <id>',
  `the data set to train and measure on: ${DATA_SET_IDS.join(', ')} (default: ${DEFAULT_DATA_SET} for a new experiment; a --recipe or link keeps its own, and one that names none means ${LEGACY_DATA_SET}, the 2,000 test digits of links made before data sets)`,
)
  .choices(DATA_SET_IDS)
  // After choices(), which only lists them in the help: the error names every data set.
  .argParser(dataOf);

export const seedOption = new Option(
  '--seed <n>',
  "the recipes' seed, a whole number (default: the recipe's own, else 1)",
).argParser(seedOf);

export const backendOption = new Option(
  '--backend <name>',
  'the tfjs backend: wasm (WASM-SIMD) or cpu; fine-tuning always runs on wasm',
)
  .choices(NODE_BACKENDS)
  .default('wasm')
  .argParser(backendOf);

export const cacheOption = new Option(
  '--cache <dir>',
  "a folder that keeps every recipe prefix's result, so fine-tuning is done once (sweep: shared by its workers, a temporary one by default)",
).argParser(valueOf('--cache'));

export const quietOption = new Option('--quiet', 'no progress lines on stderr');

export const jsonOption = new Option('--json', 'print JSON instead of a table');

/** Every shared option, for the test that each is one definition wherever it appears. */
export const SHARED_OPTIONS: readonly Option[] = [
  modelOption,
  recipeOption,
  pruneOption,
  presetOption,
  dataOption,
  seedOption,
  backendOption,
  cacheOption,
  quietOption,
  jsonOption,
];

/** What the shared options parse to (commander leaves an option not given undefined). */
export interface SharedFlags {
  readonly model?: string;
  readonly recipe?: string;
  readonly prune?: string;
  readonly preset?: string;
  readonly data?: DataSetId;
  readonly seed?: number;
  readonly backend: NodeBackendName;
  readonly cache?: string;
  readonly quiet?: boolean;
  readonly json?: boolean;
}
