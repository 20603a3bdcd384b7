/**
 * A recipe is everything that determines an experiment's numbers: the model, the data set it is
 * trained and measured on, the seed and an ordered list of technique steps. Its canonical text is also the share URL's hash, so a link,
 * the store and `complab eval --recipe` all read and write one format:
 *
 *   v=2&model=lenet5&data=mnist&seed=1&steps=prune-density(density=conv1:0.66|*:0.1);finetune(epochs=2,...)
 *
 * A recipe without `data` means mnist-10k, the 10,000 digits every link made before data sets
 * used, so those links keep their numbers and their text.
 *
 * `v` is the recipe's version: a link keeps the numbers it was shared with, so a change that
 * moves them (version 2: the compact file's one sparse convention, recipe/file-version.ts)
 * makes a new version and links of the old one keep the old behaviour
 * (docs/links-keep-their-numbers.md). Every new recipe is of the newest version.
 *
 * Steps are joined with ";" and a step's parameters with ",". Parameter values are typed by the
 * technique's declaration: numbers (rounded to the parameter's step), integers, `true`/`false`,
 * choices (a word), and per-layer values (`layer:number` joined with "|", `*` for the rest).
 * Parameters left out take their default. Every parser here is linear in its input and refuses
 * over-long input before looking at it.
 */
import { findTechniqueSpec, TECHNIQUE_SPECS } from '../techniques/catalog.ts';
import type {
  ParamSpec,
  ParamValue,
  PerLayerParamSpec,
  PerLayerValue,
  TechniqueParams,
  TechniqueSpec,
} from '../techniques/technique.ts';
import {
  DEFAULT_DATA_SET,
  isDataSetId,
  knownDataSets,
  LEGACY_DATA_SET,
  type DataSetId,
} from '../data/datasets.ts';
import { RecipeError } from './errors.ts';

/** The recipe versions this lab reads, oldest first; the last is what it makes. */
export const RECIPE_VERSIONS = [1, 2] as const;
export type RecipeVersion = (typeof RECIPE_VERSIONS)[number];
/** The version of every recipe made now (page controls, presets, the CLI, sweeps). */
export const RECIPE_VERSION: RecipeVersion = 2;
export const DEFAULT_MODEL = 'lenet5';
export const DEFAULT_SEED = 1;
export const MAX_SEED = 2 ** 31 - 1;
export const MAX_STEPS = 32;
/** The longest steps text, per-layer values of a deep model included. */
export const MAX_STEPS_TEXT = 8192;
const MAX_VALUE_TEXT = 4096;
const MAX_NUMBER_TEXT = 40;
const MAX_LAYER_NAME = 100;

export interface RecipeStep {
  readonly technique: string;
  readonly params: TechniqueParams;
}

export interface Recipe {
  /** A shipped model id (e.g. "lenet5"), or, in the CLI only, a path to a model.json. */
  readonly model: string;
  /**
   * The data set the model is trained and measured on; absent means mnist-10k (LEGACY_DATA_SET),
   * so a link made before data sets reads as it always did. A normalized recipe never holds
   * mnist-10k explicitly.
   */
  readonly data?: DataSetId;
  readonly seed: number;
  readonly steps: readonly RecipeStep[];
  /**
   * The version whose numbers this recipe keeps: absent for a recipe of the newest version
   * (RECIPE_VERSION), present only for a link of an older one.
   */
  readonly version?: RecipeVersion;
}

/** A recipe's version: its own, or the newest when it has none. */
export const recipeVersionOf = (recipe: Recipe): RecipeVersion => recipe.version ?? RECIPE_VERSION;

/** The data set a recipe runs on: its own, or mnist-10k when it names none. */
export const dataSetOf = (recipe: Pick<Recipe, 'data'>): DataSetId =>
  recipe.data ?? LEGACY_DATA_SET;

/** `recipe` on data set `data` (the legacy set is written as no data set at all). */
export function withDataSet<R extends Recipe>(recipe: R, data: DataSetId): R {
  const { data: _old, ...rest } = recipe;
  return (data === LEGACY_DATA_SET ? rest : { ...rest, data }) as R;
}

/** The recipe as one made now: what an edit makes of an old link's recipe. */
export function asNewRecipe(recipe: Recipe): Recipe {
  const { version: _old, ...current } = recipe;
  return current;
}

/** A new experiment: on the standard data set (a link that names none means mnist-10k). */
export const DEFAULT_RECIPE: Recipe = {
  model: DEFAULT_MODEL,
  data: DEFAULT_DATA_SET,
  seed: DEFAULT_SEED,
  steps: [],
};

/** A technique's declaration, or a RecipeError naming the known ones. */
export function techniqueSpecOf(id: string): TechniqueSpec {
  const spec = findTechniqueSpec(id);
  if (!spec) {
    throw new RecipeError(
      `unknown technique "${id.slice(0, 30)}" (known: ${TECHNIQUE_SPECS.map((t) => t.id).join(', ')})`,
    );
  }
  return spec;
}

const decimalsOf = (step: number) => Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));

/** Rounds to the spec's step and clamps nothing: out-of-range values are errors, not surprises. */
export function roundToStep(value: number, spec: { readonly step: number }): number {
  const rounded = Number(
    (Math.round(value / spec.step) * spec.step).toFixed(decimalsOf(spec.step)),
  );
  return rounded === 0 ? 0 : rounded; // no -0 in canonical text
}

function checkRange(value: number, spec: { min: number; max: number }, what: string): void {
  if (value < spec.min || value > spec.max) {
    throw new RecipeError(`${what} must be between ${spec.min} and ${spec.max} (got ${value})`);
  }
}

const LAYER_NAME = /^[A-Za-z0-9_.\-/]+$/;

function validatePerLayer(spec: PerLayerParamSpec, value: unknown, what: string): PerLayerValue {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RecipeError(`${what} must be per-layer values such as conv1:0.5|*:0.1`);
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) throw new RecipeError(`${what} needs at least one layer:value`);
  const out: Record<string, number> = Object.create(null) as Record<string, number>;
  // Canonical order: "*" first, then layer names in code-point order.
  entries.sort(([a], [b]) => (a === '*' ? -1 : b === '*' ? 1 : a < b ? -1 : a > b ? 1 : 0));
  for (const [layer, raw] of entries) {
    if (layer !== '*' && (layer.length > MAX_LAYER_NAME || !LAYER_NAME.test(layer))) {
      throw new RecipeError(`${what}: "${layer.slice(0, 30)}" is not a layer name`);
    }
    if (typeof raw !== 'number' || !Number.isFinite(raw)) {
      throw new RecipeError(`${what} for ${layer} must be a number`);
    }
    const rounded = roundToStep(raw, spec);
    checkRange(rounded, spec, `${what} for ${layer}`);
    out[layer] = rounded;
  }
  return { ...out };
}

/** Checks one value against its declaration; returns it canonical (rounded, ordered). */
export function validateParam(spec: ParamSpec, value: unknown, techniqueId: string): ParamValue {
  const what = `${techniqueId} ${spec.name}`;
  switch (spec.type) {
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new RecipeError(`${what} must be a number`);
      }
      const rounded = roundToStep(value, spec);
      checkRange(rounded, spec, what);
      return rounded;
    }
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        throw new RecipeError(`${what} must be a whole number`);
      }
      checkRange(value, spec, what);
      return value === 0 ? 0 : value;
    case 'boolean':
      if (typeof value !== 'boolean') throw new RecipeError(`${what} must be true or false`);
      return value;
    case 'choice':
      if (typeof value !== 'string' || !spec.options.some((o) => o.value === value)) {
        throw new RecipeError(
          `${what} must be one of ${spec.options.map((o) => o.value).join(', ')} (got "${String(value).slice(0, 20)}")`,
        );
      }
      return value;
    case 'perLayer':
      return validatePerLayer(spec, value, what);
  }
}

/** Checks a step against its technique: known name, known parameters, values in range. */
export function normalizeStep(
  technique: string,
  params: Readonly<Record<string, unknown>>,
): RecipeStep {
  const t = techniqueSpecOf(technique);
  for (const name of Object.keys(params)) {
    if (!t.params.some((p) => p.name === name)) {
      throw new RecipeError(
        `${technique} has no parameter "${name.slice(0, 30)}" (it takes: ${t.params.map((p) => p.name).join(', ') || 'nothing'})`,
      );
    }
  }
  const normalized: Record<string, ParamValue> = {};
  for (const spec of t.params) {
    const given = Object.prototype.hasOwnProperty.call(params, spec.name)
      ? params[spec.name]
      : undefined;
    normalized[spec.name] = validateParam(spec, given ?? spec.default, technique);
  }
  return { technique, params: normalized };
}

/** True when `step` is its technique's identity: applying it would change nothing. */
export function isIdentityStep(step: RecipeStep): boolean {
  const technique = findTechniqueSpec(step.technique);
  const identity = technique?.identity;
  if (!technique || !identity) return false;
  return Object.entries(identity).every(
    ([name, value]) => formatValue(step.params[name]) === formatValue(value),
  );
}

export function validateSeed(seed: number): number {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED || Object.is(seed, -0)) {
    throw new RecipeError(`seed must be a whole number from 0 to ${MAX_SEED} (got ${seed})`);
  }
  return seed;
}

const MODEL_PATTERN = /^[A-Za-z0-9_.\-/]+$/;

export function validateModel(model: string): string {
  if (!model || model.length > 200 || !MODEL_PATTERN.test(model)) {
    throw new RecipeError(`"${model.slice(0, 40)}" is not a model name`);
  }
  return model;
}

/**
 * A data set this build knows, or a RecipeError naming the known ones (a link from a build with
 * more data sets is refused this way, and the page opens its defaults).
 */
export function validateDataSet(data: string): DataSetId {
  if (isDataSetId(data)) return data;
  throw new RecipeError(
    `data set "${String(data).slice(0, 40)}" is not in this build (known: ${knownDataSets()
      .map((d) => d.id)
      .join(', ')})`,
  );
}

/** A known recipe version, or a RecipeError naming the versions this lab reads. */
export function validateVersion(version: unknown): RecipeVersion {
  const known = RECIPE_VERSIONS.find((v) => v === version);
  if (known === undefined) {
    throw new RecipeError(
      `this link uses format version "${String(version).slice(0, 10)}"; this lab reads versions ${RECIPE_VERSIONS.join(' and ')}`,
    );
  }
  return known;
}

/**
 * Validates a recipe and drops identity steps (pruning 0%), so equal experiments read alike.
 * The version is kept when it is an older one and left out when it is the newest.
 */
export function normalizeRecipe(recipe: Recipe): Recipe {
  if (recipe.steps.length > MAX_STEPS)
    throw new RecipeError(`a recipe has at most ${MAX_STEPS} steps`);
  const version = recipe.version === undefined ? RECIPE_VERSION : validateVersion(recipe.version);
  const data = recipe.data === undefined ? LEGACY_DATA_SET : validateDataSet(recipe.data);
  return {
    model: validateModel(recipe.model),
    ...(data === LEGACY_DATA_SET ? {} : { data }),
    seed: validateSeed(recipe.seed),
    steps: recipe.steps
      .map((s) => normalizeStep(s.technique, s.params))
      .filter((s) => !isIdentityStep(s)),
    ...(version === RECIPE_VERSION ? {} : { version }),
  };
}

function formatValue(value: ParamValue | undefined): string {
  if (typeof value === 'object') {
    return Object.entries(value)
      .map(([layer, v]) => `${layer}:${String(v)}`)
      .join('|');
  }
  return String(value);
}

export function formatStep(step: RecipeStep): string {
  const spec = techniqueSpecOf(step.technique).params;
  const args = spec.map((p) => `${p.name}=${formatValue(step.params[p.name] ?? p.default)}`);
  return `${step.technique}(${args.join(',')})`;
}

export function formatSteps(steps: readonly RecipeStep[]): string {
  return steps.map(formatStep).join(';');
}

// One optional sign, digits with at most one point, an optional exponent: no two quantifiers
// can share a character, so matching is linear (the old pattern backtracked quadratically).
const NUMBER_PATTERN = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;

export function parseNumber(text: string, what: string): number {
  const trimmed = text.trim();
  if (trimmed.length > MAX_NUMBER_TEXT || !NUMBER_PATTERN.test(trimmed)) {
    throw new RecipeError(`${what} must be a number (got "${trimmed.slice(0, 20)}")`);
  }
  return Number(trimmed);
}

function parsePerLayer(text: string, what: string): Record<string, number> {
  const out = Object.create(null) as Record<string, number>;
  for (const entry of text.split('|')) {
    const colon = entry.lastIndexOf(':');
    if (colon <= 0) throw new RecipeError(`${what}: "${entry.slice(0, 30)}" should be layer:value`);
    const layer = entry.slice(0, colon).trim();
    if (layer in out) throw new RecipeError(`${what}: layer ${layer.slice(0, 30)} is given twice`);
    out[layer] = parseNumber(entry.slice(colon + 1), `${what} for ${layer.slice(0, 30)}`);
  }
  return out;
}

/** Turns a value's text into the type its declaration asks for (validation comes after). */
function parseValue(spec: ParamSpec | undefined, text: string, what: string): unknown {
  const trimmed = text.trim();
  if (trimmed.length > MAX_VALUE_TEXT) throw new RecipeError(`${what} is too long`);
  switch (spec?.type) {
    case 'boolean':
      if (trimmed === 'true') return true;
      if (trimmed === 'false') return false;
      throw new RecipeError(`${what} must be true or false (got "${trimmed.slice(0, 20)}")`);
    case 'choice':
      return trimmed;
    case 'perLayer':
      return parsePerLayer(trimmed, what);
    default:
      return parseNumber(trimmed, what);
  }
}

const TECHNIQUE_NAME = /^[a-z][a-z0-9-]*$/;

/** Parses "prune(fraction=0.9);finetune(epochs=1)" into validated steps, identities dropped. */
export function parseSteps(text: string): RecipeStep[] {
  if (text.length > MAX_STEPS_TEXT) {
    throw new RecipeError(`the steps are too long (at most ${MAX_STEPS_TEXT} characters)`);
  }
  const trimmed = text.trim();
  if (trimmed === '') return [];
  const parts = trimmed.split(';');
  if (parts.length > MAX_STEPS) throw new RecipeError(`a recipe has at most ${MAX_STEPS} steps`);
  return parts
    .map((raw, index) => {
      const stepText = raw.trim();
      const open = stepText.indexOf('(');
      const name = open < 0 ? stepText : stepText.slice(0, open);
      const shapeOk = open < 0 || stepText.endsWith(')');
      if (!TECHNIQUE_NAME.test(name) || !shapeOk) {
        throw new RecipeError(
          `step ${index + 1} "${stepText.slice(0, 40)}" is not of the form name(param=value,...)`,
        );
      }
      const technique = techniqueSpecOf(name);
      const argText = open < 0 ? '' : stepText.slice(open + 1, -1);
      const params = new Map<string, unknown>();
      if (argText.trim() !== '') {
        for (const arg of argText.split(',')) {
          const eq = arg.indexOf('=');
          if (arg.trim() === '') throw new RecipeError(`step ${index + 1}: an empty parameter`);
          if (eq < 0)
            throw new RecipeError(
              `step ${index + 1}: "${arg.trim().slice(0, 30)}" should be name=value`,
            );
          const param = arg.slice(0, eq).trim();
          if (params.has(param))
            throw new RecipeError(`step ${index + 1}: ${param.slice(0, 30)} is given twice`);
          const spec = technique.params.find((p) => p.name === param);
          params.set(param, parseValue(spec, arg.slice(eq + 1), `${name} ${param.slice(0, 30)}`));
        }
      }
      return normalizeStep(name, Object.fromEntries(params));
    })
    .filter((s) => !isIdentityStep(s));
}

/** Techniques by id, for the CLI's help. */
export function describeTechniques(): string {
  return TECHNIQUE_SPECS.map((t) => `  ${t.id.padEnd(18)} ${t.label}`).join('\n');
}
