/**
 * How long a recipe's training will take, before it runs (tfjs-free: the page's main thread
 * reads it to decide whether a shared link may start training on open).
 *
 * Every step that trains (its catalog entry declares `epochs`) trains epochs x batches per
 * epoch, times `rounds` for iterative pruning; a batch is `batch` digits, an epoch the recipe's
 * data set's training split (8,000 digits for mnist-10k, 55,000 images for the standard sets)
 * or `batches` of them. The time per digit is the one measured for the model on
 * this backend (a step of an earlier run that trained at least MIN_MEASURED_DIGITS digits,
 * not from the cache: its time over its digits, evaluation included, so it errs long), or,
 * until one is measured, a conservative figure from the model's multiply-adds.
 */
import type { RunResult } from './lab.ts';
import { dataSetInfo } from './data/datasets.ts';
import { dataSetOf, techniqueSpecOf, type Recipe, type RecipeStep } from './recipe/recipe.ts';

/** mnist-10k's training split (public/data; digits.test.ts holds it to 8,000). */
export const TRAINING_DIGITS = 8000;
/** A link whose training is estimated longer than this waits for the user's Run. */
export const LINK_TRAINING_LIMIT_MS = 120_000;
/**
 * The conservative guess: one training digit costs 3 forward passes (forward, and the two
 * products of backpropagation) at 1.5e9 multiply-adds a second. The shipped models trained at
 * 1.96 (resnext) to 5.3 (lenet5) billion a second on WASM (their cards' trainingTimeSeconds,
 * evaluation included), so the guess errs long for each of them.
 */
const TRAINING_MACS_PER_SECOND = 1.5e9;
const PASSES_PER_TRAINING_DIGIT = 3;
/** A measurement from fewer digits is mostly the step's evaluation: not used. */
export const MIN_MEASURED_DIGITS = 640;

export interface StepTraining {
  readonly technique: string;
  readonly batches: number;
  readonly digits: number;
}

function param(step: RecipeStep, name: string): number {
  const value =
    step.params[name] ??
    techniqueSpecOf(step.technique).params.find((p) => p.name === name)?.default;
  return typeof value === 'number' ? value : 0;
}

/**
 * The batches (and digits) one step trains on a training split of `trainingImages`: zero for a
 * step that does not train.
 */
export function stepTraining(step: RecipeStep, trainingImages = TRAINING_DIGITS): StepTraining {
  const spec = techniqueSpecOf(step.technique);
  if (!spec.params.some((p) => p.name === 'epochs')) {
    return { technique: step.technique, batches: 0, digits: 0 };
  }
  const batch = param(step, 'batch');
  const cap = param(step, 'batches');
  const whole = Math.ceil(trainingImages / batch);
  const perEpoch = cap > 0 ? Math.min(cap, whole) : whole;
  const digitsPerEpoch = Math.min(trainingImages, perEpoch * batch);
  const runs =
    param(step, 'epochs') *
    (spec.params.some((p) => p.name === 'rounds') ? param(step, 'rounds') : 1);
  return { technique: step.technique, batches: runs * perEpoch, digits: runs * digitsPerEpoch };
}

/** What each step of a recipe trains, on its data set's training split. */
export function recipeTraining(recipe: Recipe): StepTraining[] {
  const images = trainingImagesOf(recipe);
  return recipe.steps.map((step) => stepTraining(step, images));
}

/** The size of a recipe's training split. */
const trainingImagesOf = (recipe: Recipe) => dataSetInfo(dataSetOf(recipe)).splits.train.count;

/** Milliseconds per training digit guessed from a model's multiply-adds per digit. */
export function conservativeMsPerDigit(macsPerDigit: number): number {
  return ((PASSES_PER_TRAINING_DIGIT * macsPerDigit) / TRAINING_MACS_PER_SECOND) * 1000;
}

/**
 * The time per training digit runs of `model` on `backend` took: the median over the steps
 * that trained at least MIN_MEASURED_DIGITS digits there (computed, not cached); undefined
 * when none has.
 */
export function measuredMsPerDigit(
  results: readonly RunResult[],
  model: string,
  backend: string,
): number | undefined {
  const rates: number[] = [];
  for (const result of results) {
    if (result.model !== model) continue;
    for (const step of result.steps) {
      if (step.cached || step.trainedOn !== backend || !(step.elapsedMs > 0)) continue;
      const { digits } = stepTraining(
        result.recipe.steps[step.index],
        trainingImagesOf(result.recipe),
      );
      if (digits >= MIN_MEASURED_DIGITS) rates.push(step.elapsedMs / digits);
    }
  }
  if (rates.length === 0) return undefined;
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)];
}

export interface TrainingEstimate {
  readonly batches: number;
  readonly digits: number;
  readonly ms: number;
  /** Whether the time per digit was measured here (else guessed from multiply-adds). */
  readonly measured: boolean;
}

/** The recipe's training time: its digits times the measured (or guessed) time per digit. */
export function estimateTraining(
  recipe: Recipe,
  rate: { readonly measuredMsPerDigit?: number; readonly macsPerDigit: number },
): TrainingEstimate {
  const steps = recipeTraining(recipe);
  const batches = steps.reduce((sum, s) => sum + s.batches, 0);
  const digits = steps.reduce((sum, s) => sum + s.digits, 0);
  const measured = rate.measuredMsPerDigit !== undefined;
  const perDigit = rate.measuredMsPerDigit ?? conservativeMsPerDigit(rate.macsPerDigit);
  return { batches, digits, ms: digits * perDigit, measured };
}

/** Multiply-adds per digit from a model's layers (conv and dense kernels; depthwise errs high). */
export function macsOfLayers(
  layers: readonly {
    readonly outputShape: readonly number[];
    readonly kernelShape?: readonly number[];
  }[],
): number {
  const product = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
  return layers.reduce(
    (sum, l) =>
      l.kernelShape && l.kernelShape.length > 1
        ? sum + product(l.outputShape) * product(l.kernelShape.slice(0, -1))
        : sum,
    0,
  );
}
