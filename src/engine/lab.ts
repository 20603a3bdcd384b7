/**
 * The engine's front door: `Lab.run(recipe)` loads the base model (cached), applies the steps in
 * order (each may prune, fine-tune or reshape the network), encodes the result and measures it
 * on the active backend. The page (through the worker), the CLI and the tests all call this one
 * function, so a share link and `complab eval --recipe` give the same numbers.
 *
 * Every step's result is kept under its recipe prefix (model fingerprint, seed, steps so far,
 * and the backend that trained it), in memory and optionally in a persistent store, so moving a
 * control of a later step never re-runs the fine-tuning before it.
 *
 * Lab sequences the jobs of a run, each in its own module under lab/: loading (models and
 * digits), the prefix cache, step application, fine-tuning (on the training backend),
 * measurement (accuracy, the baseline, latency) and the layer table.
 */
import * as tf from '@tensorflow/tfjs';
import type { AssetReader } from './assets.ts';
import { isBackendName, type BackendName } from './backend-names.ts';
import { RunCancelledError, throwIfCancelled } from './cancel.ts';
import { DATA_SET_IDS, dataSetInfo, LEGACY_DATA_SET, type DataSetId } from './data/datasets.ts';
import type { DigitSplit } from './data/digits.ts';
import { DataSets, type DataSet } from './data/load.ts';
import { encodeModel } from './encode/model-file.ts';
import {
  verifiedCompactFile,
  type ReportedRun,
  type VerifiedCompactFile,
} from './encode/verified-export.ts';
import { KernelMemory } from './measure/kernel-memory.ts';
import { LATENCY_BATCH } from './measure/latency.ts';
import type { LatencySpread } from './measure/latency-figure.ts';
import { maskPicture, type MaskPicture } from './measure/pictures.ts';
import { SHIPPED_WEIGHTS, loadModelCard, type ModelCard } from './model/catalog.ts';
import type { LayerGraph } from './model/graph.ts';
import { fileVersionOf } from './recipe/file-version.ts';
import { verifiedOnnxFile, type VerifiedOnnxFile } from './onnx/export-run.ts';
import { formatRecipe } from './recipe/share.ts';
import { dataSetOf, normalizeRecipe, type Recipe, type RecipeStep } from './recipe/recipe.ts';
import { comparePaired } from './stats/mcnemar.ts';
import { expandPreset, type PresetModel } from './techniques/presets.ts';
import { sensitivityCurves, type SensitivityResult } from './techniques/prune/sensitivity.ts';
import { applySteps } from './lab/apply-steps.ts';
import type { TrainingSetup } from './lab/fine-tuning.ts';
import { layerTable } from './lab/layer-table.ts';
import { BaseModels, type ModelSource } from './lab/loading.ts';
import { accuracyOn, Baselines, latencies, spreadOf, testAccuracy } from './lab/measurement.ts';
import { latencySettingsFromEnvironment } from './measure/latency-settings.ts';
import { PrefixCache, type PrefixStore } from './lab/prefix-cache.ts';
import type { RunOptions, RunResult } from './lab/run-types.ts';

export { RunCancelledError };
export type { ModelCard };
export { HISTOGRAM_BINS, type LayerStats } from './lab/layer-table.ts';
export type { ModelSource } from './lab/loading.ts';
export { FIRST_ESTIMATE_DIGITS } from './lab/measurement.ts';
export type { PrefixStore } from './lab/prefix-cache.ts';
export type {
  AccuracyEstimate,
  RunOptions,
  RunProgress,
  RunResult,
  RunStage,
  StepResult,
} from './lab/run-types.ts';

export interface LabOptions {
  /** Reads the shipped data sets and models. */
  readonly read: AssetReader;
  /** Resolves models that are not shipped ids (the CLI passes file paths this way). */
  readonly resolveModel?: (model: string) => ModelSource | undefined;
  /**
   * Backend that fine-tunes (default: the active one). The lab switches to it for training and
   * back for evaluation; wasm trains fastest where there is no GPU.
   */
  readonly trainingBackend?: BackendName;
  /** Starts a backend (with its gradient kernels); needed when trainingBackend is set. */
  readonly activateBackend?: (name: BackendName) => Promise<boolean>;
  /** Keeps prefix results across sessions. Failures to read or write it are not errors. */
  readonly prefixStore?: PrefixStore;
  /** Prefix results kept in memory (default 48). */
  readonly memoryEntries?: number;
  /**
   * Sampling window per latency figure of a run, ms. Default: LATENCY_WINDOW_MS (300), or
   * $COMPLAB_LATENCY_WINDOW_MS in Node, which the unit tests set (vitest.config.ts): they run
   * hundreds of recipes, and those that check latency measure it with windows of their own.
   * The page passes localStorage's setting, which the e2e specs set (measure/latency-settings.ts).
   */
  readonly latencyWindowMs?: number;
  /**
   * Timed predictions per latency figure at least. Default: LATENCY_MIN_SAMPLES (15), or
   * $COMPLAB_LATENCY_MIN_SAMPLES in Node; set by the tests as the window is.
   */
  readonly latencyMinSamples?: number;
}

const now = () => performance.now();

export class Lab {
  private readonly bases: BaseModels;
  private readonly dataSets: DataSets;
  private readonly baselines = new Baselines();
  private readonly prefixes: PrefixCache;
  private readonly kernelMemory: KernelMemory;
  private readonly training: Omit<TrainingSetup, 'data'>;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: LabOptions) {
    this.bases = new BaseModels(options.read, options.resolveModel);
    this.dataSets = new DataSets(options.read);
    this.prefixes = new PrefixCache(options.prefixStore, options.memoryEntries);
    this.kernelMemory = new KernelMemory(options.prefixStore);
    this.training = {
      trainingBackend: options.trainingBackend,
      activateBackend: options.activateBackend,
    };
  }

  /** Cards of every shipped set of weights (each names its data set), for pickers and reports. */
  cards(): Promise<ModelCard[]> {
    const shipped = DATA_SET_IDS.flatMap((data) =>
      SHIPPED_WEIGHTS[data].map((id) => loadModelCard(this.options.read, id, data)),
    );
    return Promise.all(shipped);
  }

  /** Data set `id` (its manifest read, checked against the pinned checksums; splits on demand). */
  dataSet(id: DataSetId = LEGACY_DATA_SET): Promise<DataSet> {
    return this.dataSets.get(id);
  }

  /** A data set's test split: only for reporting. */
  async test(data: DataSetId = LEGACY_DATA_SET): Promise<DigitSplit> {
    return (await this.dataSet(data)).split('test');
  }

  /** A data set's training split (for the standard sets, without its validation images). */
  async train(data: DataSetId = LEGACY_DATA_SET): Promise<DigitSplit> {
    return (await this.dataSet(data)).split('train');
  }

  /**
   * A data set's validation split: what steps choose on without seeing the test set (for
   * mnist-10k, the last 2,000 training digits, as the lab always chose).
   */
  async checkDigits(data: DataSetId = LEGACY_DATA_SET): Promise<DigitSplit> {
    return (await this.dataSet(data)).split('validation');
  }

  /** What a recipe's steps train and check on: its data set. */
  private async trainingFor(recipe: Recipe): Promise<TrainingSetup> {
    return { ...this.training, data: await this.dataSet(dataSetOf(recipe)) };
  }

  /** Runs one recipe. Runs are queued: one tfjs computation at a time. */
  run(recipe: Recipe, options: RunOptions = {}): Promise<RunResult> {
    return this.enqueue(() => this.runNow(recipe, options));
  }

  /** The graph a recipe leaves (computed or from the cache), for pictures of its layers. */
  graphOf(recipe: Recipe, options: RunOptions = {}): Promise<LayerGraph> {
    return this.enqueue(async () => {
      const normalized = normalizeRecipe(recipe);
      const base = await this.bases.get(normalized.model, dataSetOf(normalized));
      const training = await this.trainingFor(normalized);
      return (await applySteps(normalized, base, options, this.prefixes, training)).graph;
    });
  }

  /**
   * The compact model file a recipe leaves, decoded and evaluated again before it is handed
   * out: CompactExportError when its length or its correct count differs from the run's
   * (`reported`, else this lab's run of the recipe). Every export goes through here.
   */
  async exportCompact(
    recipe: Recipe,
    options: RunOptions & { reported?: ReportedRun } = {},
  ): Promise<VerifiedCompactFile> {
    const reported = options.reported ?? (await this.run(recipe, options));
    const graph = await this.graphOf(recipe, options);
    return this.enqueue(() =>
      verifiedCompactFile(
        graph,
        reported,
        async (decoded) =>
          (await testAccuracy(decoded, await this.test(dataSetOf(recipe)), options.signal)).correct,
        { version: fileVersionOf(normalizeRecipe(recipe)) },
      ),
    );
  }

  /**
   * The ONNX file of the graph a recipe leaves, taking the input the model came with (see
   * onnx/export-run.ts), imported again and evaluated before it is handed out: OnnxExportError
   * when a layer cannot be written faithfully or its correct count differs from the run's
   * (`reported`, else this lab's run of the recipe).
   */
  async exportOnnx(
    recipe: Recipe,
    options: RunOptions & { reported?: { correct: number; total: number } } = {},
  ): Promise<VerifiedOnnxFile> {
    const reported = options.reported ?? (await this.run(recipe, options));
    const normalized = normalizeRecipe(recipe);
    const data = dataSetOf(normalized);
    const graph = await this.graphOf(normalized, options);
    const base = await this.bases.get(normalized.model, data);
    return this.enqueue(async () =>
      verifiedOnnxFile(
        graph,
        base.onnx,
        reported,
        async (imported) =>
          (await testAccuracy(imported, await this.test(data), options.signal)).correct,
      ),
    );
  }

  /** The base model's graph (as loaded, before any step), as trained on data set `data`. */
  async baseGraph(model: string, data: DataSetId = LEGACY_DATA_SET): Promise<LayerGraph> {
    return (await this.bases.get(model, data)).graph;
  }

  /**
   * A model's conv and dense layers, for presets and per-layer controls, and the size of data
   * set `data`'s training split (the presets keep their training budget on larger ones).
   */
  async presetModel(model: string, data: DataSetId = LEGACY_DATA_SET): Promise<PresetModel> {
    const graph = await this.baseGraph(model, data);
    return {
      id: model,
      layers: graph.weightedLayers().map((n) => ({ name: n.name, className: n.className })),
      trainingImages: dataSetInfo(data).splits.train.count,
    };
  }

  /** The steps a preset expands to for a model on data set `data` (default mnist-10k). */
  async expandPreset(
    model: string,
    preset: string,
    data: DataSetId = LEGACY_DATA_SET,
  ): Promise<RecipeStep[]> {
    return expandPreset(preset, await this.presetModel(model, data));
  }

  /**
   * Sensitivity curves of the network a recipe leaves: each conv/dense layer pruned alone to a
   * range of densities, accuracy on the test split or on the validation split ("check") of the
   * recipe's data set.
   */
  async sensitivity(
    recipe: Recipe,
    options: RunOptions & { digits?: 'test' | 'check'; densities?: readonly number[] } = {},
  ): Promise<SensitivityResult & { digits: 'test' | 'check' }> {
    const graph = await this.graphOf(recipe, options);
    // Curves choose densities: on the validation split unless the test split is asked for.
    const digits = options.digits ?? 'check';
    return this.enqueue(async () => {
      const data = dataSetOf(recipe);
      const split = digits === 'test' ? await this.test(data) : await this.checkDigits(data);
      const result = await sensitivityCurves(graph, (g) => accuracyOn(g, split, options.signal), {
        densities: options.densities,
        signal: options.signal,
        onProgress: (fraction) => options.onProgress?.({ stage: 'evaluating', fraction }),
      });
      return { ...result, digits };
    });
  }

  /**
   * Latency of the base model and of the network a recipe leaves, measured interleaved in one
   * window on the active backend so both see the same machine state: a fair speedup. A run
   * measures the same way; `windowMs` (per figure) samples longer for a steadier figure.
   */
  async compareLatency(
    recipe: Recipe,
    options: RunOptions & { windowMs?: number } = {},
  ): Promise<{
    latencyMs: number;
    baselineLatencyMs: number;
    speedup: number;
    latencySpread: LatencySpread;
    baselineLatencySpread: LatencySpread;
  }> {
    const normalized = normalizeRecipe(recipe);
    const graph = await this.graphOf(normalized, options);
    const base = await this.baseGraph(normalized.model, dataSetOf(normalized));
    const version = fileVersionOf(normalized);
    return this.enqueue(async () => {
      const test = await this.test(dataSetOf(normalized));
      const { baseline, ours } = await latencies(
        this.kernelMemory,
        { graph: base, file: encodeModel(base, { version }).bytes },
        { graph, file: encodeModel(graph, { version }).bytes },
        test,
        options.signal,
        { windowMs: options.windowMs },
      );
      return {
        latencyMs: ours.medianMs,
        baselineLatencyMs: baseline.medianMs,
        speedup: baseline.medianMs / ours.medianMs,
        latencySpread: spreadOf(ours),
        baselineLatencySpread: spreadOf(baseline),
      };
    });
  }

  /** The pruning mask of one layer after a recipe, as a picture. */
  async maskPicture(recipe: Recipe, layer: string, options: RunOptions = {}): Promise<MaskPicture> {
    return maskPicture(await this.graphOf(recipe, options), layer);
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const job = this.queue.then(task);
    this.queue = job.catch(() => undefined);
    return job;
  }

  /**
   * A run: the base model and its baseline, the steps (from the prefix cache on), the encoded
   * result timed beside the baseline, and the layer table.
   */
  private async runNow(input: Recipe, options: RunOptions): Promise<RunResult> {
    const { signal, onProgress } = options;
    const started = now();
    throwIfCancelled(signal);
    const recipe = normalizeRecipe(input);
    const backend = tf.getBackend();
    if (!isBackendName(backend))
      throw new Error(`no lab backend is active (tfjs has "${backend}")`);

    const data = dataSetOf(recipe);
    const dataSet = await this.dataSet(data);
    onProgress?.({ stage: 'loading', fraction: 0, downloadBytes: dataSet.downloadBytes('test') });
    const [base, test] = await Promise.all([
      this.bases.get(recipe.model, data),
      dataSet.split('test'),
    ]);
    throwIfCancelled(signal);
    // The file written for the run and its baseline: the version the recipe's version names.
    const version = fileVersionOf(recipe);
    const baseline = await this.baselines.get(
      recipe.model,
      data,
      backend,
      base.graph,
      test,
      options,
    );
    const baselineFile = baseline.files(version);

    const { graph, steps, trainedOn, predicted, confidence } = await applySteps(
      recipe,
      base,
      options,
      this.prefixes,
      { ...this.training, data: dataSet },
    );
    const unchanged = recipe.steps.length === 0;
    const last = steps.at(-1);

    onProgress?.({ stage: 'measuring', fraction: 0 });
    const encoded = encodeModel(graph, { version });
    // The run and its baseline share one window (an unchanged model is its own baseline).
    const settings = latencySettingsFromEnvironment();
    const latency = await latencies(
      this.kernelMemory,
      { graph: base.graph, file: baselineFile },
      unchanged ? null : { graph, file: encoded.bytes },
      test,
      signal,
      {
        windowMs: this.options.latencyWindowMs ?? settings.latencyWindowMs,
        minSamples: this.options.latencyMinSamples ?? settings.latencyMinSamples,
      },
    );
    const layers = layerTable(graph, base.graph, encoded.tensors, latency.choices);
    return {
      model: recipe.model,
      data,
      backend,
      trainedOn,
      recipe,
      recipeText: formatRecipe(recipe),
      accuracy: last ? last.accuracy : baseline.accuracy,
      correct: last ? last.correct : baseline.correct,
      total: test.count,
      baselineAccuracy: baseline.accuracy,
      // The same test images, one by one: what the run gets wrong that the baseline got right.
      paired: comparePaired(test.labels, baseline.predicted, predicted ?? baseline.predicted),
      predicted: predicted ?? baseline.predicted,
      confidence: confidence ?? baseline.confidence,
      sizeBytes: encoded.bytes.length,
      baselineSizeBytes: baselineFile.length,
      compressionRatio: baselineFile.length / encoded.bytes.length,
      params: graph.params,
      baselineParams: base.graph.params,
      nonzeroParams: graph.nonzeroParams,
      macs: graph.macs,
      baselineMacs: base.graph.macs,
      sparseMacs: graph.sparseMacs,
      latencyMs: latency.ours.medianMs,
      baselineLatencyMs: latency.baseline.medianMs,
      latencySpread: spreadOf(latency.ours),
      baselineLatencySpread: spreadOf(latency.baseline),
      latencyBatch: LATENCY_BATCH,
      elapsedMs: now() - started,
      layers,
      steps,
    };
  }

  /** Forgets every model and result the lab holds; waits for queued runs first. */
  async dispose(): Promise<void> {
    await this.queue;
    this.bases.clear();
    this.baselines.clear();
    this.prefixes.clear();
    this.kernelMemory.clear();
  }
}
