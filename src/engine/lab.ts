/**
 * The engine's front door: `Lab.run(recipe)` loads the base model (cached), applies the steps
 * in order, encodes the result and measures it on the active backend. The page (through the
 * worker), the CLI and the tests all call this one function, so a share link and
 * `complab eval --recipe` give the same numbers.
 */
import * as tf from '@tensorflow/tfjs';
import type { AssetReader } from './assets.ts';
import { isBackendName, type BackendName } from './backend-names.ts';
import { RunCancelledError, throwIfCancelled } from './cancel.ts';
import { loadDigitSplit, type DigitSplit } from './data/digits.ts';
import { encodeWeights, type WeightLayout } from './encode/weights-blob.ts';
import { evaluateAccuracy } from './measure/accuracy.ts';
import { LATENCY_BATCH, measureLatency } from './measure/latency.ts';
import {
  SHIPPED_MODELS,
  isShippedModel,
  loadModelCard,
  modelJsonPath,
  type ModelCard,
} from './model/catalog.ts';
import { ModelLoadError } from './model/errors.ts';
import { LayerGraph } from './model/graph.ts';
import { checkDigitModel, modelFromArtifacts, readModelArtifacts } from './model/load.ts';
import { loadGraphWeights } from './model/runtime.ts';
import { formatRecipe } from './recipe/share.ts';
import { normalizeRecipe, type Recipe } from './recipe/recipe.ts';
import { getTechnique } from './techniques/registry.ts';

export { RunCancelledError };
export type { ModelCard };

export interface LayerStats {
  readonly name: string;
  readonly className: string;
  readonly params: number;
  readonly nonzeroParams: number;
  readonly macs: number;
  /** Bytes of this layer's weights in the stored blob. */
  readonly sizeBytes: number;
  readonly layout: WeightLayout | 'none';
}

export interface RunResult {
  readonly model: string;
  readonly backend: BackendName;
  readonly recipe: Recipe;
  readonly recipeText: string;
  readonly accuracy: number;
  readonly correct: number;
  readonly total: number;
  readonly baselineAccuracy: number;
  readonly sizeBytes: number;
  readonly baselineSizeBytes: number;
  readonly compressionRatio: number;
  readonly params: number;
  readonly nonzeroParams: number;
  readonly macs: number;
  /** MACs left when products with zero weights are skipped. */
  readonly sparseMacs: number;
  /** Median time to predict and read back a batch of `latencyBatch` test digits. */
  readonly latencyMs: number;
  readonly baselineLatencyMs: number;
  readonly latencyBatch: number;
  readonly elapsedMs: number;
  readonly layers: readonly LayerStats[];
}

export type RunStage = 'loading' | 'baseline' | 'compressing' | 'evaluating' | 'measuring';
export interface RunProgress {
  readonly stage: RunStage;
  readonly fraction: number;
}

export interface RunOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: RunProgress) => void;
}

/** Where a recipe's model comes from: a reader and the path of its model.json. */
export interface ModelSource {
  readonly read: AssetReader;
  readonly modelJsonPath: string;
}

export interface LabOptions {
  /** Reads the shipped digits and models. */
  readonly read: AssetReader;
  /** Resolves models that are not shipped ids (the CLI passes file paths this way). */
  readonly resolveModel?: (model: string) => ModelSource | undefined;
}

interface BaseModel {
  readonly artifacts: tf.io.ModelArtifacts;
  readonly graph: LayerGraph;
  readonly inputShape: readonly number[];
  /** The executing model, rebuilt when the backend changes. */
  runtime?: { backend: string; model: tf.LayersModel };
}

interface Baseline {
  readonly accuracy: number;
  readonly correct: number;
  readonly sizeBytes: number;
  readonly latencyMs: number;
}

const now = () => performance.now();

export class Lab {
  private readonly bases = new Map<string, Promise<BaseModel>>();
  private readonly baselines = new Map<string, Baseline>();
  private testSplit?: Promise<DigitSplit>;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: LabOptions) {}

  /** Cards of the shipped models, for pickers and reports. */
  cards(): Promise<ModelCard[]> {
    return Promise.all(SHIPPED_MODELS.map((id) => loadModelCard(this.options.read, id)));
  }

  test(): Promise<DigitSplit> {
    this.testSplit ??= loadDigitSplit(this.options.read, 'test');
    this.testSplit.catch(() => (this.testSplit = undefined));
    return this.testSplit;
  }

  /** Runs one recipe. Runs are queued: the weights of a base model are shared between them. */
  run(recipe: Recipe, options: RunOptions = {}): Promise<RunResult> {
    const job = this.queue.then(() => this.runNow(recipe, options));
    this.queue = job.catch(() => undefined);
    return job;
  }

  private source(model: string): ModelSource {
    if (isShippedModel(model))
      return { read: this.options.read, modelJsonPath: modelJsonPath(model) };
    const custom = this.options.resolveModel?.(model);
    if (custom) return custom;
    throw new ModelLoadError(
      `unknown model "${model.slice(0, 60)}" (shipped models: ${SHIPPED_MODELS.join(', ')})`,
    );
  }

  private base(model: string): Promise<BaseModel> {
    let base = this.bases.get(model);
    if (!base) {
      base = this.loadBase(model);
      this.bases.set(model, base);
      base.catch(() => this.bases.delete(model));
    }
    return base;
  }

  private async loadBase(model: string): Promise<BaseModel> {
    const source = this.source(model);
    const artifacts = await readModelArtifacts(source.read, source.modelJsonPath);
    const built = await modelFromArtifacts(artifacts, source.modelJsonPath);
    try {
      const inputShape = checkDigitModel(built, source.modelJsonPath);
      const graph = await LayerGraph.fromModel(built);
      return { artifacts, graph, inputShape, runtime: { backend: tf.getBackend(), model: built } };
    } catch (err) {
      built.dispose();
      throw err;
    }
  }

  /** The tfjs model that executes `base` on the current backend. */
  private async runtimeOf(base: BaseModel, source: string): Promise<tf.LayersModel> {
    const backend = tf.getBackend();
    if (base.runtime?.backend !== backend) {
      base.runtime?.model.dispose();
      base.runtime = { backend, model: await modelFromArtifacts(base.artifacts, source) };
    }
    return base.runtime.model;
  }

  private async runNow(input: Recipe, options: RunOptions): Promise<RunResult> {
    const { signal, onProgress } = options;
    const started = now();
    throwIfCancelled(signal);
    const recipe = normalizeRecipe(input);
    const backend = tf.getBackend();
    if (!isBackendName(backend))
      throw new Error(`no lab backend is active (tfjs has "${backend}")`);

    onProgress?.({ stage: 'loading', fraction: 0 });
    const [base, test] = await Promise.all([this.base(recipe.model), this.test()]);
    const model = await this.runtimeOf(base, recipe.model);
    throwIfCancelled(signal);

    const baseline = await this.baseline(recipe.model, backend, base, model, test, options);
    // normalizeRecipe dropped identity steps: an empty recipe is the baseline, already measured.
    const unchanged = recipe.steps.length === 0;

    onProgress?.({ stage: 'compressing', fraction: 0 });
    const graph = base.graph.clone();
    for (const [i, step] of recipe.steps.entries()) {
      await getTechnique(step.technique).apply(graph, step.params, { seed: recipe.seed, signal });
      throwIfCancelled(signal);
      onProgress?.({ stage: 'compressing', fraction: (i + 1) / recipe.steps.length });
    }

    if (!unchanged) loadGraphWeights(model, graph);
    try {
      onProgress?.({ stage: 'evaluating', fraction: 0 });
      const accuracy = unchanged
        ? { accuracy: baseline.accuracy, correct: baseline.correct, total: test.count }
        : await evaluateAccuracy(model, test, base.inputShape, {
            signal,
            onBatch: (done) => onProgress?.({ stage: 'evaluating', fraction: done / test.count }),
          });
      onProgress?.({ stage: 'measuring', fraction: 0 });
      const latencyMs = unchanged
        ? baseline.latencyMs
        : await measureLatency(model, test, base.inputShape, { signal });
      const encoded = encodeWeights(graph.weights);
      const layers = graph.layers.map((layer): LayerStats => {
        const weights = layer.weightIndices.map((i) => graph.weights[i]);
        const encodedTensors = layer.weightIndices.map((i) => encoded.tensors[i]);
        let nonzero = 0;
        for (const w of weights) for (const v of w.values) if (v !== 0) nonzero++;
        return {
          name: layer.name,
          className: layer.className,
          params: weights.reduce((sum, w) => sum + w.values.length, 0),
          nonzeroParams: nonzero,
          macs: layer.macs,
          sizeBytes: encodedTensors.reduce((sum, t) => sum + t.bytes, 0),
          layout: encodedTensors.find((t) => t.layout === 'sparse')
            ? 'sparse'
            : encodedTensors.length
              ? 'dense'
              : 'none',
        };
      });
      return {
        model: recipe.model,
        backend,
        recipe,
        recipeText: formatRecipe(recipe),
        accuracy: accuracy.accuracy,
        correct: accuracy.correct,
        total: accuracy.total,
        baselineAccuracy: baseline.accuracy,
        sizeBytes: encoded.blob.length,
        baselineSizeBytes: baseline.sizeBytes,
        compressionRatio: baseline.sizeBytes / encoded.blob.length,
        params: graph.params,
        nonzeroParams: graph.nonzeroParams,
        macs: graph.macs,
        sparseMacs: graph.sparseMacs,
        latencyMs,
        baselineLatencyMs: baseline.latencyMs,
        latencyBatch: LATENCY_BATCH,
        elapsedMs: now() - started,
        layers,
      };
    } finally {
      // The runtime model always returns to the base weights, whatever happened above.
      if (!unchanged) loadGraphWeights(model, base.graph);
    }
  }

  private async baseline(
    modelId: string,
    backend: string,
    base: BaseModel,
    model: tf.LayersModel,
    test: DigitSplit,
    { signal, onProgress }: RunOptions,
  ): Promise<Baseline> {
    const key = `${modelId}|${backend}`;
    const cached = this.baselines.get(key);
    if (cached) return cached;
    onProgress?.({ stage: 'baseline', fraction: 0 });
    const accuracy = await evaluateAccuracy(model, test, base.inputShape, {
      signal,
      onBatch: (done) => onProgress?.({ stage: 'baseline', fraction: done / test.count }),
    });
    const latencyMs = await measureLatency(model, test, base.inputShape, { signal });
    const baseline = {
      accuracy: accuracy.accuracy,
      correct: accuracy.correct,
      sizeBytes: encodeWeights(base.graph.weights).blob.length,
      latencyMs,
    };
    this.baselines.set(key, baseline);
    return baseline;
  }

  /** Frees every tfjs model the lab holds. */
  async dispose(): Promise<void> {
    for (const base of this.bases.values()) {
      try {
        (await base).runtime?.model.dispose();
      } catch {
        // a base that failed to load holds nothing
      }
    }
    this.bases.clear();
    this.baselines.clear();
  }
}
