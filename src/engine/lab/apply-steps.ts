/**
 * A recipe's steps applied in order, each from the longest cached prefix on: a new step runs
 * its technique on a copy of the graph before it, is evaluated on the test digits (reporting
 * early estimates) and cached; a cached step from another backend is evaluated again here.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../backend-names.ts';
import { RunCancelledError, throwIfCancelled } from '../cancel.ts';
import { GraphError, type LayerGraph } from '../model/graph.ts';
import { RecipeError } from '../recipe/errors.ts';
import { fileVersionOf } from '../recipe/file-version.ts';
import type { Recipe } from '../recipe/recipe.ts';
import { formatRecipe } from '../recipe/share.ts';
import { getTechnique } from '../techniques/registry.ts';
import type { StepProgress, StepReport } from '../techniques/technique.ts';
import { techniqueContext, trainingBackendName, type TrainingSetup } from './fine-tuning.ts';
import type { PredictionConfidence } from '../measure/accuracy.ts';
import type { BaseModel } from './loading.ts';
import { testAccuracy, type TestAccuracy } from './measurement.ts';
import { fileSize, PERSIST_AFTER_MS, type PrefixCache, type PrefixEntry } from './prefix-cache.ts';
import type { AccuracyEstimate, RunOptions, StepResult } from './run-types.ts';

const now = () => performance.now();

/** A step's failure named as the step's: "step 2 (prune): ...". */
function stepError(index: number, technique: string, err: unknown): unknown {
  if (err instanceof RunCancelledError) return err;
  if (err instanceof RecipeError || err instanceof GraphError) {
    return new RecipeError(`step ${index + 1} (${technique}): ${err.message}`);
  }
  return err;
}

export interface AppliedSteps {
  readonly graph: LayerGraph;
  readonly steps: StepResult[];
  /** Backend that trained the steps that train, null when none did. */
  readonly trainedOn: BackendName | null;
  /** The last step's class for each test image (absent without steps). */
  readonly predicted?: Uint16Array;
  /** The last step's confidences on each test image (absent without steps). */
  readonly confidence?: PredictionConfidence;
}

export async function applySteps(
  recipe: Recipe,
  base: BaseModel,
  { signal, onProgress }: RunOptions,
  prefixes: PrefixCache,
  training: TrainingSetup,
): Promise<AppliedSteps> {
  const steps: StepResult[] = [];
  let graph = base.graph;
  let trainedOn: BackendName | null = null;
  let lastPredicted: Uint16Array | undefined;
  let lastConfidence: PredictionConfidence | undefined;
  const total = recipe.steps.length;
  // Each step's size is its file's in the version the recipe's version names.
  const version = fileVersionOf(recipe);
  for (const [index, step] of recipe.steps.entries()) {
    const prefix = { ...recipe, steps: recipe.steps.slice(0, index + 1) };
    const technique = getTechnique(step.technique);
    const key = prefixes.key(
      base,
      prefix,
      trainedOn ?? (technique.trains ? trainingBackendName(training) : null),
    );
    let entry = await prefixes.get(key, prefix);
    const cached = entry !== undefined;
    if (!entry) {
      throwIfCancelled(signal);
      const stepStarted = now();
      const working = graph.clone();
      let stepTrainedOn: BackendName | null = trainedOn;
      const report = (p: StepProgress) => {
        const elapsed = now() - stepStarted;
        onProgress?.({
          ...p,
          stage: 'compressing',
          step: index,
          steps: total,
          technique: step.technique,
          etaMs: p.fraction > 0.02 ? (elapsed * (1 - p.fraction)) / p.fraction : undefined,
        });
      };
      report({ fraction: 0 });
      let stepReport: StepReport | void;
      try {
        stepReport = await technique.apply(
          working,
          step.params,
          techniqueContext(training, recipe.seed, signal, report, (name) => (stepTrainedOn = name)),
        );
        working.info(); // an edit that broke the network is the step's error, named as such
      } catch (err) {
        throw stepError(index, step.technique, err);
      }
      entry = {
        graph: working,
        trainedOn: stepTrainedOn,
        persist: technique.trains === true || now() - stepStarted >= PERSIST_AFTER_MS,
        accuracy: {},
        sizes: new Map(),
        step: {
          technique: step.technique,
          params: working.params,
          nonzeroParams: working.nonzeroParams,
          elapsedMs: now() - stepStarted,
          trainedOn: stepTrainedOn !== trainedOn ? (stepTrainedOn ?? undefined) : undefined,
          report: stepReport ? (JSON.parse(JSON.stringify(stepReport)) as StepReport) : undefined,
        },
      } satisfies PrefixEntry;
      prefixes.remember(key, entry);
    }
    const sizeBytes = fileSize(entry, version);
    // Accuracy is the evaluating backend's own: a step cached from another backend is
    // evaluated again here (the graph is reused, not recomputed).
    const evalBackend = tf.getBackend() as BackendName;
    // An entry read back from the persistent store keeps its counts but not each image's answer
    // and confidence, which the paired comparison with the baseline needs: it is evaluated again.
    const known = entry.accuracy[evalBackend];
    let accuracy: TestAccuracy;
    if (known?.predicted && known.confidence) {
      accuracy = { ...known, predicted: known.predicted, confidence: known.confidence };
    } else {
      const evaluating = (fraction: number, estimate?: Omit<AccuracyEstimate, 'sizeBytes'>) =>
        onProgress?.({
          stage: 'evaluating',
          fraction,
          step: index,
          steps: total,
          technique: step.technique,
          estimate: estimate && { ...estimate, sizeBytes },
        });
      evaluating(0);
      accuracy = await testAccuracy(
        entry.graph,
        await training.data.split('test'),
        signal,
        evaluating,
      );
      entry = { ...entry, accuracy: { ...entry.accuracy, [evalBackend]: accuracy } };
      prefixes.remember(key, entry);
      // A stored entry evaluated again only for its answers: the store keeps counts, not them.
      if (!known) await prefixes.persist(key, prefix, entry);
    }
    graph = entry.graph;
    trainedOn = entry.trainedOn;
    const recipeText = formatRecipe(prefix);
    const { predicted, confidence, ...counts } = accuracy;
    lastPredicted = predicted;
    lastConfidence = confidence;
    steps.push({ ...entry.step, recipeText, sizeBytes, ...counts, index, cached });
  }
  return { graph, steps, trainedOn, predicted: lastPredicted, confidence: lastConfidence };
}
