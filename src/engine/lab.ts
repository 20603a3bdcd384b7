/**
 * The engine's front door: `Lab.run(recipe)` loads the base model (cached), applies the steps in
 * order (each may prune, fine-tune or reshape the network), encodes the result and measures it
 * on the active backend. The page (through the worker), the CLI and the tests all call this one
 * function, so a share link and `complab eval --recipe` give the same numbers.
 *
 * Every step's result is kept under its recipe prefix (model fingerprint, seed, steps so far,
 * and the backend that trained it), in memory and optionally in a persistent store, so moving a
 * control of a later step never re-runs the fine-tuning before it.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { AssetReader } from './assets.ts';
import { BACKENDS, isBackendName, type BackendName } from './backend-names.ts';
import { RunCancelledError, throwIfCancelled } from './cancel.ts';
import { loadDigitSplit, PIXELS, type DigitSplit } from './data/digits.ts';
import {
  decodeModel,
  encodeModel,
  storedForm,
  type ByteParts,
  type ModelLayout,
} from './encode/model-file.ts';
import {
  verifiedCompactFile,
  type ReportedRun,
  type VerifiedCompactFile,
} from './encode/verified-export.ts';
import { evaluateAccuracy } from './measure/accuracy.ts';
import { LATENCY_BATCH, measureLatencies, type LatencyFigure } from './measure/latency.ts';
import type { LatencySpread } from './measure/latency-figure.ts';
import { KernelMemory, kernelChoicesKey } from './measure/kernel-memory.ts';
import {
  SHIPPED_MODELS,
  isShippedModel,
  loadModelCard,
  modelJsonPath,
  type ModelCard,
} from './model/catalog.ts';
import { GraphError, LayerGraph, nonzeroCount, type WeightTensor } from './model/graph.ts';
import { ModelLoadError } from './model/errors.ts';
import {
  checkDigitModel,
  disposeModel,
  modelFromArtifacts,
  readModelArtifacts,
} from './model/load.ts';
import { createPredictor } from './model/program.ts';
import { deserializeGraph, serializeGraph } from './model/serialize.ts';
import { RecipeError } from './recipe/errors.ts';
import { formatRecipe } from './recipe/share.ts';
import { normalizeRecipe, type Recipe, type RecipeStep } from './recipe/recipe.ts';
import { maskPicture, type MaskPicture } from './measure/pictures.ts';
import { kernelChoice, prepareGraphKernels, type KernelChoice } from './measure/kernels.ts';
import { getPreset, type PresetModel } from './techniques/presets.ts';
import { sensitivityCurves, type SensitivityResult } from './techniques/prune/sensitivity.ts';
import { getTechnique } from './techniques/registry.ts';
import type {
  StepProgress,
  StepReport,
  TechniqueContext,
  TrainRequest,
} from './techniques/technique.ts';
import { fineTuneGraph } from './train/finetune.ts';
import type { TrainResult } from './train/train.ts';

export { RunCancelledError };
export type { ModelCard };

/** Test digits in the first evaluation chunk of a step: how soon a first estimate comes. */
export const FIRST_ESTIMATE_DIGITS = 100;

/** Bins of the per-layer weight histograms. */
export const HISTOGRAM_BINS = 41;

export interface LayerStats {
  readonly name: string;
  readonly className: string;
  /** The layers it reads (two or more where branches meet in an Add or a Concatenate). */
  readonly inputs: readonly string[];
  /** Output shape without the batch dimension. */
  readonly outputShape: readonly number[];
  /** Shape of the kernel, when the layer has one. */
  readonly kernelShape?: readonly number[];
  readonly params: number;
  readonly nonzeroParams: number;
  readonly macs: number;
  /** Bytes of this layer's weights in the stored blob. */
  readonly sizeBytes: number;
  readonly layout: ModelLayout | 'none';
  /** Relative-index width of a sparse kernel. */
  readonly indexBits?: number;
  /** How the kernel is stored, when quantized: bits of a symbol, Huffman, where bytes go. */
  readonly storage?: {
    readonly symbolBits?: number;
    readonly huffman?: boolean;
    /** Kernel positions stored (kept weights). */
    readonly kept: number;
    /** Stored bits per kept weight: values and positions (after Huffman where coded). */
    readonly valueBits: number;
    readonly indexBits: number;
    /** The layer's bytes by kind (kernel and bias together). */
    readonly parts: ByteParts;
    /** Shared values or levels of a codebook (up to 256), or the fixed-point scales' levels. */
    readonly codebook?: readonly number[];
  };
  /** The kernel this layer ran on when latency was measured (conv and dense layers). */
  readonly kernel?: KernelChoice;
  /** Kernel weights counted in equal bins over the base model's range, before and after. */
  readonly histogram?: {
    readonly min: number;
    readonly max: number;
    readonly before: number[];
    readonly after: number[];
  };
}

/** What one step left: numbers on the test digits after it, and what the technique reported. */
export interface StepResult {
  readonly index: number;
  readonly technique: string;
  /** The recipe text up to and including this step. */
  readonly recipeText: string;
  readonly accuracy: number;
  readonly correct: number;
  readonly params: number;
  readonly nonzeroParams: number;
  readonly sizeBytes: number;
  /** Time the step took when it was computed (a cached step took no time in this run). */
  readonly elapsedMs: number;
  readonly cached: boolean;
  /** Backend that fine-tuned this step, for steps that train. */
  readonly trainedOn?: BackendName;
  readonly report?: StepReport;
}

export interface RunResult {
  readonly model: string;
  readonly backend: BackendName;
  /** Backend that fine-tuned the steps that train (numbers may differ on another one). */
  readonly trainedOn: BackendName | null;
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
  readonly baselineParams: number;
  readonly nonzeroParams: number;
  readonly macs: number;
  readonly baselineMacs: number;
  /** MACs left when products with zero weights are skipped. */
  readonly sparseMacs: number;
  /**
   * Median time to predict and read back a batch of `latencyBatch` test digits, sampled over a
   * window of at least 300 ms interleaved with the baseline's (measure/latency.ts).
   */
  readonly latencyMs: number;
  readonly baselineLatencyMs: number;
  /** The spread of the samples behind each median (absent in runs recorded before it was kept). */
  readonly latencySpread?: LatencySpread;
  readonly baselineLatencySpread?: LatencySpread;
  readonly latencyBatch: number;
  readonly elapsedMs: number;
  readonly layers: readonly LayerStats[];
  readonly steps: readonly StepResult[];
}

export type RunStage = 'loading' | 'baseline' | 'compressing' | 'evaluating' | 'measuring';

export interface RunProgress extends Partial<Omit<StepProgress, 'fraction'>> {
  readonly stage: RunStage;
  /** Done fraction of the current stage (of the current step while compressing). */
  readonly fraction: number;
  /** 0-based step being computed, and how many the recipe has. */
  readonly step?: number;
  readonly steps?: number;
  readonly technique?: string;
  /** Estimated time left in the current step, from its progress so far. */
  readonly etaMs?: number;
  /** While a step's test accuracy is evaluated: what the digits seen so far say. */
  readonly estimate?: AccuracyEstimate;
}

/**
 * A partial test accuracy: `correct` of the first `seen` of `total` digits (a random sample of
 * them: the split is stored shuffled), and the stored size of the step's network, known before
 * evaluation starts. measure/interval.ts turns it into an interval.
 */
export interface AccuracyEstimate {
  readonly correct: number;
  readonly seen: number;
  readonly total: number;
  readonly sizeBytes: number;
}

export interface RunOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: RunProgress) => void;
}

/** Where a recipe's model comes from: a reader and the path of its model.json. */
export interface ModelSource {
  readonly read: AssetReader;
  readonly modelJsonPath: string;
  /** A compact model file (CLW3, encode/model-file.ts) to decode instead of a model.json. */
  readonly compactFile?: Uint8Array;
}

/** A persistent home for prefix results (IndexedDB in the page, a folder for the CLI). */
export interface PrefixStore {
  get(key: string): Promise<Uint8Array | undefined>;
  set(key: string, bytes: Uint8Array): Promise<void>;
}

export interface LabOptions {
  /** Reads the shipped digits and models. */
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
   */
  readonly latencyWindowMs?: number;
}

interface BaseModel {
  readonly graph: LayerGraph;
  /** SHA-256 of the model's topology and weights: cache keys survive only the same model. */
  readonly fingerprint: string;
}

interface Baseline {
  readonly accuracy: number;
  readonly correct: number;
  /** The base model's compact file: its length is the size, its content keys its kernels. */
  readonly file: Uint8Array;
}

/** $COMPLAB_LATENCY_WINDOW_MS where there is a process environment (Node), if it is valid. */
function latencyWindowFromEnvironment(): number | undefined {
  const text = globalThis.process?.env?.COMPLAB_LATENCY_WINDOW_MS;
  const ms = Number(text);
  return text && Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/** A spread without the median it surrounds (RunResult keeps the median beside it). */
const spreadOf = ({ lowMs, highMs, minMs, maxMs, samples }: LatencyFigure): LatencySpread => ({
  lowMs,
  highMs,
  minMs,
  maxMs,
  samples,
});

interface PrefixEntry {
  readonly graph: LayerGraph;
  readonly step: Omit<StepResult, 'cached' | 'index' | 'accuracy' | 'correct'>;
  /** Test accuracy after this step, per evaluating backend (they may differ by a digit). */
  readonly accuracy: Partial<Record<BackendName, { accuracy: number; correct: number }>>;
  /** Backend that trained this prefix, or null when no step so far trained. */
  readonly trainedOn: BackendName | null;
  /** Whether the persistent store keeps it: the step trained or took long to compute. */
  readonly persist: boolean;
}

/** What a stored prefix keeps beside its graph; checked when read back, like the graph. */
const storedEntrySchema = z.object({
  step: z.object({
    technique: z.string(),
    recipeText: z.string(),
    params: z.number().int().nonnegative(),
    nonzeroParams: z.number().int().nonnegative(),
    sizeBytes: z.number().int().positive(),
    elapsedMs: z.number().nonnegative(),
    trainedOn: z.enum(BACKENDS).optional(),
    report: z.record(z.string(), z.unknown()).optional(),
  }),
  trainedOn: z.enum(BACKENDS).nullable(),
  accuracy: z.partialRecord(
    z.enum(BACKENDS),
    z.object({ accuracy: z.number().min(0).max(1), correct: z.number().int().nonnegative() }),
  ),
});

const now = () => performance.now();
/** Steps that took at least this long to compute are kept in the persistent store. */
const PERSIST_AFTER_MS = 1000;
/** The check digits: the last 2,000 training digits, for choices steps make themselves. */
const CHECK_DIGITS = 2000;

function stepError(index: number, technique: string, err: unknown): unknown {
  if (err instanceof RunCancelledError) return err;
  if (err instanceof RecipeError || err instanceof GraphError) {
    return new RecipeError(`step ${index + 1} (${technique}): ${err.message}`);
  }
  return err;
}

function histogram(before: WeightTensor, after: WeightTensor | undefined) {
  let max = 0;
  for (const v of before.values) max = Math.max(max, Math.abs(v));
  if (after) for (const v of after.values) max = Math.max(max, Math.abs(v));
  max ||= 1;
  const count = (w: WeightTensor | undefined) => {
    const bins = new Array<number>(HISTOGRAM_BINS).fill(0);
    if (!w) return bins;
    for (const [i, v] of w.values.entries()) {
      // Pruned weights (0, or masked: a binarized one keeps +-scale under its mask) are shown
      // by the nonzero counts, not as a spike.
      if (v === 0 || (w.mask && !w.mask[i])) continue;
      const bin = Math.min(
        HISTOGRAM_BINS - 1,
        Math.floor(((v + max) / (2 * max)) * HISTOGRAM_BINS),
      );
      bins[bin]++;
    }
    return bins;
  };
  return { min: -max, max, before: count(before), after: count(after) };
}

export class Lab {
  private readonly bases = new Map<string, Promise<BaseModel>>();
  private readonly baselines = new Map<string, Baseline>();
  private readonly prefixes = new Map<string, PrefixEntry>();
  private readonly kernelMemory: KernelMemory;
  private testSplit?: Promise<DigitSplit>;
  private trainSplit?: Promise<DigitSplit>;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: LabOptions) {
    this.kernelMemory = new KernelMemory(options.prefixStore);
  }

  /** Cards of the shipped models, for pickers and reports. */
  cards(): Promise<ModelCard[]> {
    return Promise.all(SHIPPED_MODELS.map((id) => loadModelCard(this.options.read, id)));
  }

  test(): Promise<DigitSplit> {
    this.testSplit ??= loadDigitSplit(this.options.read, 'test');
    this.testSplit.catch(() => (this.testSplit = undefined));
    return this.testSplit;
  }

  train(): Promise<DigitSplit> {
    this.trainSplit ??= loadDigitSplit(this.options.read, 'train');
    this.trainSplit.catch(() => (this.trainSplit = undefined));
    return this.trainSplit;
  }

  /** The last 2,000 training digits: what steps may evaluate on without seeing the test set. */
  async checkDigits(): Promise<DigitSplit> {
    const train = await this.train();
    const start = train.count - CHECK_DIGITS;
    return {
      count: CHECK_DIGITS,
      images: train.images.subarray(start * PIXELS),
      labels: train.labels.subarray(start),
    };
  }

  /** Runs one recipe. Runs are queued: one tfjs computation at a time. */
  run(recipe: Recipe, options: RunOptions = {}): Promise<RunResult> {
    return this.enqueue(() => this.runNow(recipe, options));
  }

  /** The graph a recipe leaves (computed or from the cache), for pictures of its layers. */
  graphOf(recipe: Recipe, options: RunOptions = {}): Promise<LayerGraph> {
    return this.enqueue(async () => {
      const normalized = normalizeRecipe(recipe);
      const base = await this.base(normalized.model);
      return (await this.applySteps(normalized, base, options)).graph;
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
        async (decoded) => (await this.testAccuracy(decoded, options.signal)).correct,
      ),
    );
  }

  /** The base model's graph (as loaded, before any step). */
  async baseGraph(model: string): Promise<LayerGraph> {
    return (await this.base(model)).graph;
  }

  /** A model's conv and dense layers, for presets and per-layer controls. */
  async presetModel(model: string): Promise<PresetModel> {
    const graph = await this.baseGraph(model);
    return {
      id: model,
      layers: graph.weightedLayers().map((n) => ({ name: n.name, className: n.className })),
    };
  }

  /** The steps a preset expands to for a model. */
  async expandPreset(model: string, preset: string): Promise<RecipeStep[]> {
    return getPreset(preset).expand(await this.presetModel(model));
  }

  /**
   * Sensitivity curves of the network a recipe leaves: each conv/dense layer pruned alone to a
   * range of densities, accuracy on the test digits or on the check digits.
   */
  async sensitivity(
    recipe: Recipe,
    options: RunOptions & { digits?: 'test' | 'check'; densities?: readonly number[] } = {},
  ): Promise<SensitivityResult & { digits: 'test' | 'check' }> {
    const graph = await this.graphOf(recipe, options);
    const digits = options.digits ?? 'test';
    return this.enqueue(async () => {
      const split = digits === 'test' ? await this.test() : await this.checkDigits();
      const result = await sensitivityCurves(
        graph,
        async (g) => {
          const predictor = createPredictor(g);
          try {
            return (
              await evaluateAccuracy(predictor.predict, split, g.inputShape, {
                signal: options.signal,
              })
            ).accuracy;
          } finally {
            predictor.dispose();
          }
        },
        {
          densities: options.densities,
          signal: options.signal,
          onProgress: (fraction) => options.onProgress?.({ stage: 'evaluating', fraction }),
        },
      );
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
    const base = await this.baseGraph(normalized.model);
    return this.enqueue(async () => {
      const test = await this.test();
      const { baseline, ours } = await this.latencies(
        { graph: base, file: encodeModel(base).bytes },
        { graph, file: encodeModel(graph).bytes },
        test,
        options.signal,
        options.windowMs,
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
    if (source.compactFile) {
      const graph = decodeModel(source.compactFile);
      const inputs = graph.inputShape.reduce((a, b) => a * b, 1);
      const outputs = graph.outputShapeOf(graph.output).join('x');
      if (inputs !== PIXELS || outputs !== '10') {
        throw new ModelLoadError(
          `the compact model file's network maps [${graph.inputShape.join(', ')}] to [${outputs}], not a digit to 10 classes`,
        );
      }
      return { graph, fingerprint: bytesToHex(sha256(source.compactFile)).slice(0, 16) };
    }
    const artifacts = await readModelArtifacts(source.read, source.modelJsonPath);
    const built = await modelFromArtifacts(artifacts, source.modelJsonPath);
    try {
      checkDigitModel(built, source.modelJsonPath);
      const graph = await LayerGraph.fromModel(built);
      const hash = sha256.create();
      hash.update(new TextEncoder().encode(JSON.stringify(artifacts.modelTopology)));
      hash.update(new Uint8Array(artifacts.weightData as ArrayBuffer));
      return { graph, fingerprint: bytesToHex(hash.digest()).slice(0, 16) };
    } finally {
      disposeModel(built);
    }
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
    throwIfCancelled(signal);
    const baseline = await this.baseline(recipe.model, backend, base.graph, test, options);

    const { graph, steps, trainedOn } = await this.applySteps(recipe, base, options);
    const unchanged = recipe.steps.length === 0;
    const last = steps.at(-1);

    onProgress?.({ stage: 'measuring', fraction: 0 });
    const encoded = encodeModel(graph);
    // The run and its baseline share one window (an unchanged model is its own baseline).
    const latency = await this.latencies(
      { graph: base.graph, file: baseline.file },
      unchanged ? null : { graph, file: encoded.bytes },
      test,
      signal,
      this.options.latencyWindowMs ?? latencyWindowFromEnvironment(),
    );
    const choices = latency.choices;
    {
      const info = graph.info();
      const baseKernels = new Map(base.graph.prunableWeights().map((w) => [w.name, w]));
      let t = 0;
      const layers = graph.nodes.map((node): LayerStats => {
        const tensors = node.weights.map(() => encoded.tensors[t++]);
        const kernel = node.weights.find((w) => w.prunable);
        const baseKernel = kernel ? baseKernels.get(kernel.name) : undefined;
        const nonzero = node.weights.reduce((sum, w) => sum + nonzeroCount(w), 0);
        const sparse = tensors.find((x) => x.indexBits !== undefined);
        const kernelIndex = kernel ? node.weights.indexOf(kernel) : -1;
        const stored = kernelIndex >= 0 ? tensors[kernelIndex] : tensors[0];
        const coding = kernel && stored?.symbolBits ? storedForm(kernel).coding : undefined;
        const parts = tensors.reduce<ByteParts>(
          (sum, x) => ({
            values: sum.values + x.parts.values,
            indices: sum.indices + x.parts.indices,
            codebooks: sum.codebooks + x.parts.codebooks,
            tables: sum.tables + x.parts.tables,
            header: sum.header + x.parts.header,
          }),
          { values: 0, indices: 0, codebooks: 0, tables: 0, header: 0 },
        );
        return {
          name: node.name,
          className: node.className,
          inputs: [...node.inbound],
          outputShape: info.get(node.name)!.outputShape,
          kernelShape: kernel?.shape,
          params: node.weights.reduce((sum, w) => sum + w.values.length, 0),
          nonzeroParams: nonzero,
          macs: info.get(node.name)!.macs,
          sizeBytes: tensors.reduce((sum, x) => sum + x.bytes, 0),
          layout: stored ? stored.layout : 'none',
          indexBits: sparse?.indexBits,
          storage: stored
            ? {
                symbolBits: stored.symbolBits,
                huffman: stored.huffman,
                kept: stored.kept,
                valueBits: stored.valueBitsPerWeight,
                indexBits: stored.indexBitsPerWeight,
                parts,
                codebook:
                  coding?.kind === 'codebook' && coding.codebook.length <= 256
                    ? Array.from(coding.codebook)
                    : undefined,
              }
            : undefined,
          histogram: kernel ? histogram(baseKernel ?? kernel, kernel) : undefined,
          kernel: choices.get(node.name),
        };
      });
      return {
        model: recipe.model,
        backend,
        trainedOn,
        recipe,
        recipeText: formatRecipe(recipe),
        accuracy: last ? last.accuracy : baseline.accuracy,
        correct: last ? last.correct : baseline.correct,
        total: test.count,
        baselineAccuracy: baseline.accuracy,
        sizeBytes: encoded.bytes.length,
        baselineSizeBytes: baseline.file.length,
        compressionRatio: baseline.file.length / encoded.bytes.length,
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
  }

  /**
   * Latency of the base model and of `ours` (null: the base alone), interleaved in one window
   * (measure/latency.ts), each on the fastest correct kernel for each conv and dense layer on
   * the active backend: the kernels chosen for the same model before when kept
   * (kernel-memory.ts), else autotuned and kept. `choices`: the kernel each layer of `ours` (or
   * the base) ran on.
   */
  private async latencies(
    base: { graph: LayerGraph; file: Uint8Array },
    ours: { graph: LayerGraph; file: Uint8Array } | null,
    test: DigitSplit,
    signal?: AbortSignal,
    windowMs?: number,
  ): Promise<{
    baseline: LatencyFigure;
    ours: LatencyFigure;
    choices: Map<string, KernelChoice>;
  }> {
    const backend = tf.getBackend();
    const prepared: Awaited<ReturnType<typeof prepareGraphKernels>>[] = [];
    const predictors: ReturnType<typeof createPredictor>[] = [];
    const choicesOf = (kernels: (typeof prepared)[number]) =>
      new Map([...kernels].map(([name, k]) => [name, kernelChoice(k)]));
    try {
      for (const model of ours ? [base, ours] : [base]) {
        const key = kernelChoicesKey(model.file, backend, LATENCY_BATCH);
        const pins = await this.kernelMemory.get(key);
        const kernels = await prepareGraphKernels(model.graph, LATENCY_BATCH, signal, pins);
        prepared.push(kernels);
        const pinnedAll = pins && [...kernels.keys()].every((layer) => pins.has(layer));
        if (!pinnedAll) await this.kernelMemory.set(key, choicesOf(kernels));
        predictors.push(createPredictor(model.graph, kernels));
      }
      const figures = await measureLatencies(
        predictors.map((p) => p.predict),
        test,
        base.graph.inputShape,
        { signal, windowMs },
      );
      return { baseline: figures[0], ours: figures.at(-1)!, choices: choicesOf(prepared.at(-1)!) };
    } finally {
      predictors.forEach((p) => p.dispose());
      prepared.forEach((kernels) => kernels.forEach((k) => k.dispose()));
    }
  }

  /**
   * Applies the recipe's steps, each from the longest cached prefix on; every new step is
   * evaluated on the test digits and cached.
   */
  private async applySteps(recipe: Recipe, base: BaseModel, { signal, onProgress }: RunOptions) {
    const steps: StepResult[] = [];
    let graph = base.graph;
    let trainedOn: BackendName | null = null;
    const total = recipe.steps.length;
    for (const [index, step] of recipe.steps.entries()) {
      const prefix = { ...recipe, steps: recipe.steps.slice(0, index + 1) };
      const technique = getTechnique(step.technique);
      const key = this.prefixKey(
        base,
        prefix,
        trainedOn ?? (technique.trains ? this.trainingBackendName() : null),
      );
      let entry = this.prefixes.get(key) ?? (await this.fromStore(key, prefix));
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
            this.context(recipe.seed, signal, report, (name) => (stepTrainedOn = name)),
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
          step: {
            technique: step.technique,
            recipeText: formatRecipe(prefix),
            params: working.params,
            nonzeroParams: working.nonzeroParams,
            sizeBytes: encodeModel(working).bytes.length,
            elapsedMs: now() - stepStarted,
            trainedOn: stepTrainedOn !== trainedOn ? (stepTrainedOn ?? undefined) : undefined,
            report: stepReport ? (JSON.parse(JSON.stringify(stepReport)) as StepReport) : undefined,
          },
        };
        this.remember(key, entry);
      }
      // Accuracy is the evaluating backend's own: a step cached from another backend is
      // evaluated again here (the graph is reused, not recomputed).
      const evalBackend = tf.getBackend() as BackendName;
      let accuracy: { accuracy: number; correct: number } | undefined = entry.accuracy[evalBackend];
      if (!accuracy) {
        const sizeBytes = entry.step.sizeBytes;
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
        accuracy = await this.testAccuracy(entry.graph, signal, evaluating);
        entry = { ...entry, accuracy: { ...entry.accuracy, [evalBackend]: accuracy } };
        this.remember(key, entry);
        await this.toStore(key, entry);
      }
      graph = entry.graph;
      trainedOn = entry.trainedOn;
      steps.push({ ...entry.step, ...accuracy, index, cached });
    }
    return { graph, steps, trainedOn };
  }

  private async testAccuracy(
    graph: LayerGraph,
    signal?: AbortSignal,
    onFraction?: (fraction: number, estimate: Omit<AccuracyEstimate, 'sizeBytes'>) => void,
  ) {
    const test = await this.test();
    const predictor = createPredictor(graph);
    // A small first chunk gives the page a first estimate early. Only where a digit's
    // prediction was checked not to depend on the chunk it is in (wasm and cpu give the same
    // logits bit for bit for every shipped model), so the final count is the same as before.
    const backend = tf.getBackend();
    const firstBatchSize =
      backend === 'wasm' || backend === 'cpu' ? FIRST_ESTIMATE_DIGITS : undefined;
    try {
      const { accuracy, correct } = await evaluateAccuracy(
        predictor.predict,
        test,
        graph.inputShape,
        {
          signal,
          firstBatchSize,
          onBatch: (seen, correct) =>
            onFraction?.(seen / test.count, { correct, seen, total: test.count }),
        },
      );
      return { accuracy, correct };
    } finally {
      predictor.dispose();
    }
  }

  private trainingBackendName(): BackendName {
    const current = tf.getBackend() as BackendName;
    return this.options.trainingBackend ?? current;
  }

  private prefixKey(base: BaseModel, prefix: Recipe, trainedOn: BackendName | null): string {
    return `${base.fingerprint}|${trainedOn ?? '-'}|${formatRecipe(prefix)}`;
  }

  private remember(key: string, entry: PrefixEntry): void {
    this.prefixes.delete(key);
    this.prefixes.set(key, entry);
    const limit = this.options.memoryEntries ?? 48;
    while (this.prefixes.size > limit) this.prefixes.delete(this.prefixes.keys().next().value!);
  }

  private async fromStore(key: string, prefix: Recipe): Promise<PrefixEntry | undefined> {
    const store = this.options.prefixStore;
    if (!store) return undefined;
    try {
      const bytes = await store.get(key);
      if (!bytes) return undefined;
      const { graph, extra } = deserializeGraph(bytes);
      const parsed = storedEntrySchema.safeParse(extra);
      // An entry is only trusted for the very prefix it was stored for.
      if (!parsed.success || parsed.data.step.recipeText !== formatRecipe(prefix)) return undefined;
      const { step, trainedOn, accuracy } = parsed.data as Omit<PrefixEntry, 'graph' | 'persist'>;
      const entry = { graph, step, trainedOn, accuracy, persist: true };
      this.remember(key, entry);
      return entry;
    } catch {
      return undefined; // a damaged or foreign entry is recomputed
    }
  }

  private async toStore(key: string, entry: PrefixEntry): Promise<void> {
    // Only what is costly to recompute is persisted (fine-tuning, sensitivity analysis): a
    // one-shot pruning step takes milliseconds and would crowd trained prefixes out of a
    // bounded store.
    if (!entry.persist) return;
    try {
      await this.options.prefixStore?.set(
        key,
        serializeGraph(entry.graph, {
          step: entry.step,
          trainedOn: entry.trainedOn,
          accuracy: entry.accuracy,
        }),
      );
    } catch {
      // A full or unavailable store only costs a recomputation later.
    }
  }

  private context(
    seed: number,
    signal: AbortSignal | undefined,
    progress: (p: StepProgress) => void,
    trained: (backend: BackendName) => void,
  ): TechniqueContext {
    return {
      seed,
      signal,
      trainDigits: () => this.train(),
      validationAccuracy: async (graph) => {
        const check = await this.checkDigits();
        const predictor = createPredictor(graph);
        try {
          return (await evaluateAccuracy(predictor.predict, check, graph.inputShape, { signal }))
            .accuracy;
        } finally {
          predictor.dispose();
        }
      },
      train: (graph, request) => this.fineTune(graph, request, seed, signal, progress, trained),
      progress,
    };
  }

  private async fineTune(
    graph: LayerGraph,
    request: TrainRequest,
    seed: number,
    signal: AbortSignal | undefined,
    progress: (p: StepProgress) => void,
    trained: (backend: BackendName) => void,
  ): Promise<TrainResult> {
    const digits = await this.train();
    const evalBackend = tf.getBackend() as BackendName;
    const wanted = this.options.trainingBackend ?? evalBackend;
    const switched =
      wanted !== evalBackend && (await this.options.activateBackend?.(wanted)) === true;
    const backend = switched ? wanted : evalBackend;
    trained(backend);
    const [spanStart, spanEnd] = request.progressSpan ?? [0, 1];
    let resumed = true;
    let result: TrainResult;
    try {
      result = await fineTuneGraph(graph, digits, {
        ...request,
        seed,
        signal,
        onBatch: (info) => {
          const done =
            (info.epoch * info.batchesPerEpoch + info.batch + 1) /
            (request.epochs * info.batchesPerEpoch);
          progress({
            fraction: spanStart + (spanEnd - spanStart) * done,
            phase: request.phase ?? 'fine-tuning',
            epoch: info.epoch,
            epochs: request.epochs,
            batch: info.batch,
            batches: info.batchesPerEpoch,
            loss: info.loss,
            accuracy: info.accuracy,
          });
        },
      });
    } finally {
      if (switched) resumed = (await this.options.activateBackend?.(evalBackend)) === true;
    }
    // A backend that cannot be resumed (a lost GPU) must not be evaluated on by mistake.
    if (!resumed)
      throw new Error(`the ${evalBackend} backend could not be resumed after fine-tuning`);
    return result;
  }

  private async baseline(
    modelId: string,
    backend: string,
    graph: LayerGraph,
    test: DigitSplit,
    { signal, onProgress }: RunOptions,
  ): Promise<Baseline> {
    const key = `${modelId}|${backend}`;
    const cached = this.baselines.get(key);
    if (cached) return cached;
    onProgress?.({ stage: 'baseline', fraction: 0 });
    const predictor = createPredictor(graph);
    try {
      const accuracy = await evaluateAccuracy(predictor.predict, test, graph.inputShape, {
        signal,
        onBatch: (done) => onProgress?.({ stage: 'baseline', fraction: done / test.count }),
      });
      // Its latency is not kept here: every run measures it again beside its own figure.
      const baseline = {
        accuracy: accuracy.accuracy,
        correct: accuracy.correct,
        file: encodeModel(graph).bytes,
      };
      this.baselines.set(key, baseline);
      return baseline;
    } finally {
      predictor.dispose();
    }
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
