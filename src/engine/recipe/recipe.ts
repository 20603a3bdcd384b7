/**
 * A recipe is everything that determines an experiment's numbers: the model, the seed and an
 * ordered list of technique steps. Its canonical text is also the share URL's hash, so a link,
 * the store and `complab eval --recipe` all read and write one format:
 *
 *   v=1&model=lenet5&seed=1&steps=prune(fraction=0.9)
 *
 * Steps are joined with ";" and a step's parameters with ",". Parameters left out take their
 * default; values are rounded to the parameter's step and printed in shortest form.
 */
import { getTechnique, isIdentityStep } from '../techniques/registry.ts';
import type { NumberParamSpec, TechniqueParams } from '../techniques/technique.ts';
import { RecipeError } from './errors.ts';

export const RECIPE_VERSION = 1;
export const DEFAULT_MODEL = 'lenet5';
export const DEFAULT_SEED = 1;
export const MAX_SEED = 2 ** 31 - 1;

export interface RecipeStep {
  readonly technique: string;
  readonly params: TechniqueParams;
}

export interface Recipe {
  /** A shipped model id (e.g. "lenet5"), or, in the CLI only, a path to a model.json. */
  readonly model: string;
  readonly seed: number;
  readonly steps: readonly RecipeStep[];
}

export const DEFAULT_RECIPE: Recipe = { model: DEFAULT_MODEL, seed: DEFAULT_SEED, steps: [] };

/** Rounds to the spec's step and clamps nothing: out-of-range values are errors, not surprises. */
export function roundToStep(value: number, spec: NumberParamSpec): number {
  const decimals = Math.max(0, Math.ceil(-Math.log10(spec.step) - 1e-9));
  return Number((Math.round(value / spec.step) * spec.step).toFixed(decimals));
}

export function validateParam(spec: NumberParamSpec, value: number, techniqueId: string): number {
  if (!Number.isFinite(value)) {
    throw new RecipeError(`${techniqueId} ${spec.name} must be a number`);
  }
  const rounded = roundToStep(value, spec);
  if (rounded < spec.min || rounded > spec.max) {
    throw new RecipeError(
      `${techniqueId} ${spec.name} must be between ${spec.min} and ${spec.max} (got ${value})`,
    );
  }
  return rounded;
}

/** Checks a step against its technique: known name, known parameters, values in range. */
export function normalizeStep(technique: string, params: Record<string, number>): RecipeStep {
  const t = getTechnique(technique);
  for (const name of Object.keys(params)) {
    if (!t.params.some((p) => p.name === name)) {
      throw new RecipeError(
        `${technique} has no parameter "${name}" (it takes: ${t.params.map((p) => p.name).join(', ')})`,
      );
    }
  }
  const normalized: TechniqueParams = {};
  for (const spec of t.params) {
    normalized[spec.name] = validateParam(spec, params[spec.name] ?? spec.default, technique);
  }
  return { technique, params: normalized };
}

export function validateSeed(seed: number): number {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new RecipeError(`seed must be a whole number from 0 to ${MAX_SEED} (got ${seed})`);
  }
  return seed;
}

const MODEL_PATTERN = /^[A-Za-z0-9_.\-/]+$/;

export function validateModel(model: string): string {
  if (!model || !MODEL_PATTERN.test(model) || model.length > 200) {
    throw new RecipeError(`"${model.slice(0, 40)}" is not a model name`);
  }
  return model;
}

/** Validates a recipe and drops identity steps (pruning 0%), so equal experiments read alike. */
export function normalizeRecipe(recipe: Recipe): Recipe {
  return {
    model: validateModel(recipe.model),
    seed: validateSeed(recipe.seed),
    steps: recipe.steps
      .map((s) => normalizeStep(s.technique, s.params))
      .filter((s) => !isIdentityStep(s)),
  };
}

function formatNumber(value: number): string {
  return String(value);
}

export function formatStep(step: RecipeStep): string {
  const spec = getTechnique(step.technique).params;
  const args = spec.map((p) => `${p.name}=${formatNumber(step.params[p.name] ?? p.default)}`);
  return `${step.technique}(${args.join(',')})`;
}

export function formatSteps(steps: readonly RecipeStep[]): string {
  return steps.map(formatStep).join(';');
}

const STEP_PATTERN = /^([a-z][a-z0-9-]*)(?:\((.*)\))?$/;
const NUMBER_PATTERN = /^-?(?:\d+\.?\d*|\.\d+)(?:e-?\d+)?$/i;

export function parseNumber(text: string, what: string): number {
  const trimmed = text.trim();
  if (!NUMBER_PATTERN.test(trimmed))
    throw new RecipeError(`${what} must be a number (got "${trimmed.slice(0, 20)}")`);
  return Number(trimmed);
}

/** Parses "prune(fraction=0.9);prune(fraction=0.5)" into validated steps, identities dropped. */
export function parseSteps(text: string): RecipeStep[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  return trimmed
    .split(';')
    .map((raw, index) => {
      const stepText = raw.trim();
      const match = STEP_PATTERN.exec(stepText);
      if (!match)
        throw new RecipeError(
          `step ${index + 1} "${stepText.slice(0, 40)}" is not of the form name(param=value,...)`,
        );
      const [, technique, argText = ''] = match;
      const params: Record<string, number> = {};
      for (const arg of argText.split(',').filter((a) => a.trim() !== '')) {
        const eq = arg.indexOf('=');
        if (eq < 0)
          throw new RecipeError(`step ${index + 1}: "${arg.trim()}" should be name=value`);
        const name = arg.slice(0, eq).trim();
        if (name in params) throw new RecipeError(`step ${index + 1}: ${name} is given twice`);
        params[name] = parseNumber(arg.slice(eq + 1), `${technique} ${name}`);
      }
      return normalizeStep(technique, params);
    })
    .filter((s) => !isIdentityStep(s));
}
