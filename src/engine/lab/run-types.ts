/**
 * What a run reports: its result, each step's result, and its progress while it runs. Shared by
 * the lab's modules; callers import them from lab.ts.
 */
import type { BackendName } from '../backend-names.ts';
import type { PredictionConfidence } from '../measure/accuracy.ts';
import type { LatencySpread } from '../measure/latency-figure.ts';
import type { DataSetId } from '../data/datasets.ts';
import type { Recipe } from '../recipe/recipe.ts';
import type { PairedComparison } from '../stats/mcnemar.ts';
import type { StepProgress, StepReport } from '../techniques/technique.ts';
import type { LayerStats } from './layer-table.ts';

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
  /**
   * The data set the run trained and measured on (mnist-10k for a recipe that names none);
   * absent in runs recorded before data sets, which all ran on mnist-10k.
   */
  readonly data?: DataSetId;
  readonly backend: BackendName;
  /** Backend that fine-tuned the steps that train (numbers may differ on another one). */
  readonly trainedOn: BackendName | null;
  readonly recipe: Recipe;
  readonly recipeText: string;
  readonly accuracy: number;
  readonly correct: number;
  readonly total: number;
  readonly baselineAccuracy: number;
  /**
   * The run against its baseline on the same test images: the images it loses and gains, and
   * McNemar's exact p-value of the difference (absent in runs recorded before it was kept).
   */
  readonly paired?: PairedComparison;
  /**
   * The class the run predicts for each test image, in split order: for a paired comparison of
   * any two runs on the same data set (absent in runs recorded before it was kept). Not JSON.
   */
  readonly predicted?: Uint16Array;
  /**
   * How sure the run was of each test image, beside `predicted`: the probability of its class
   * and of the true class, as 8 bits (absent in runs recorded before it was kept). Not JSON.
   */
  readonly confidence?: PredictionConfidence;
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
  /** While loading: the bytes of test images read (compressed where stored so). */
  readonly downloadBytes?: number;
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
