/**
 * What the lab measures: accuracy on a digit split (with early estimates on the test digits),
 * the base model's accuracy and file per model and backend (cached), and latency of the base
 * model beside a run's network, on the fastest correct kernels.
 */
import * as tf from '@tensorflow/tfjs';
import type { DigitSplit } from '../data/digits.ts';
import { encodeModel } from '../encode/model-file.ts';
import { evaluateAccuracy, type PredictionConfidence } from '../measure/accuracy.ts';
import { KernelMemory, kernelChoicesKey } from '../measure/kernel-memory.ts';
import { kernelChoice, prepareGraphKernels, type KernelChoice } from '../measure/kernels.ts';
import type { LatencySpread } from '../measure/latency-figure.ts';
import {
  LATENCY_BATCH,
  measureLatencies,
  type LatencyFigure,
  type LatencyOptions,
} from '../measure/latency.ts';
import type { LayerGraph } from '../model/graph.ts';
import { createPredictor } from '../model/program.ts';
import type { WrittenFileVersion } from '../recipe/file-version.ts';
import type { AccuracyEstimate, RunOptions } from './run-types.ts';

/** Test digits in the first evaluation chunk of a step: how soon a first estimate comes. */
export const FIRST_ESTIMATE_DIGITS = 100;

/** Accuracy of a graph on a split (the check digits, a sensitivity curve's points). */
export async function accuracyOn(
  graph: LayerGraph,
  split: DigitSplit,
  signal?: AbortSignal,
): Promise<number> {
  const predictor = createPredictor(graph);
  try {
    return (await evaluateAccuracy(predictor.predict, split, graph.inputShape, { signal }))
      .accuracy;
  } finally {
    predictor.dispose();
  }
}

/** Accuracy on the test digits, reporting the count so far after every chunk. */
export async function testAccuracy(
  graph: LayerGraph,
  test: DigitSplit,
  signal?: AbortSignal,
  onFraction?: (fraction: number, estimate: Omit<AccuracyEstimate, 'sizeBytes'>) => void,
): Promise<TestAccuracy> {
  const predictor = createPredictor(graph);
  // A small first chunk gives the page a first estimate early. Only where a digit's
  // prediction was checked not to depend on the chunk it is in (wasm and cpu give the same
  // logits bit for bit for every shipped model), so the final count is the same as before.
  const backend = tf.getBackend();
  const firstBatchSize =
    backend === 'wasm' || backend === 'cpu' ? FIRST_ESTIMATE_DIGITS : undefined;
  try {
    const { accuracy, correct, predicted, confidence } = await evaluateAccuracy(
      predictor.predict,
      test,
      graph.inputShape,
      {
        signal,
        firstBatchSize,
        keepPredictions: true,
        onBatch: (seen, correct) =>
          onFraction?.(seen / test.count, { correct, seen, total: test.count }),
      },
    );
    return { accuracy, correct, predicted: predicted!, confidence: confidence! };
  } finally {
    predictor.dispose();
  }
}

/** A network's figures on a test split, with its answer for each image (for paired comparisons). */
export interface TestAccuracy {
  readonly accuracy: number;
  readonly correct: number;
  /** The class predicted for each test image, in split order. */
  readonly predicted: Uint16Array;
  /** The probabilities of that class and of the true class, as 8 bits, in split order. */
  readonly confidence: PredictionConfidence;
}

export interface Baseline extends TestAccuracy {
  /**
   * The base model's compact file in a file version (the run's recipe's: recipe/file-version.ts):
   * its length is the size, its content keys its kernels. Encoded once per version.
   */
  readonly files: (version: WrittenFileVersion) => Uint8Array;
}

/** The base model's test accuracy and file, per model, data set and evaluating backend. */
export class Baselines {
  private readonly baselines = new Map<string, Baseline>();

  async get(
    modelId: string,
    data: string,
    backend: string,
    graph: LayerGraph,
    test: DigitSplit,
    { signal, onProgress }: RunOptions,
  ): Promise<Baseline> {
    const key = `${modelId}|${data}|${backend}`;
    const cached = this.baselines.get(key);
    if (cached) return cached;
    onProgress?.({ stage: 'baseline', fraction: 0 });
    const predictor = createPredictor(graph);
    try {
      const accuracy = await evaluateAccuracy(predictor.predict, test, graph.inputShape, {
        signal,
        keepPredictions: true,
        onBatch: (done) => onProgress?.({ stage: 'baseline', fraction: done / test.count }),
      });
      // Its latency is not kept here: every run measures it again beside its own figure.
      const files = new Map<WrittenFileVersion, Uint8Array>();
      const baseline: Baseline = {
        accuracy: accuracy.accuracy,
        correct: accuracy.correct,
        predicted: accuracy.predicted!,
        confidence: accuracy.confidence!,
        files: (version) => {
          let file = files.get(version);
          if (!file) files.set(version, (file = encodeModel(graph, { version }).bytes));
          return file;
        },
      };
      this.baselines.set(key, baseline);
      return baseline;
    } finally {
      predictor.dispose();
    }
  }

  clear(): void {
    this.baselines.clear();
  }
}

/** A spread without the median it surrounds (RunResult keeps the median beside it). */
export const spreadOf = ({
  lowMs,
  highMs,
  minMs,
  maxMs,
  samples,
}: LatencyFigure): LatencySpread => ({
  lowMs,
  highMs,
  minMs,
  maxMs,
  samples,
});

/** A network to time: its graph and its compact file (whose content keys its kernels). */
export interface TimedModel {
  readonly graph: LayerGraph;
  readonly file: Uint8Array;
}

/**
 * Latency of the base model and of `ours` (null: the base alone), interleaved in one window
 * (measure/latency.ts), each on the fastest correct kernel for each conv and dense layer on
 * the active backend: the kernels chosen for the same model before when kept in
 * `kernelMemory`, else autotuned and kept. `choices`: the kernel each layer of `ours` (or the
 * base) ran on.
 */
export async function latencies(
  kernelMemory: KernelMemory,
  base: TimedModel,
  ours: TimedModel | null,
  test: DigitSplit,
  signal?: AbortSignal,
  sampling: Pick<LatencyOptions, 'windowMs' | 'minSamples'> = {},
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
      const pins = await kernelMemory.get(key);
      const kernels = await prepareGraphKernels(model.graph, LATENCY_BATCH, signal, pins);
      prepared.push(kernels);
      const pinnedAll = pins && [...kernels.keys()].every((layer) => pins.has(layer));
      if (!pinnedAll) await kernelMemory.set(key, choicesOf(kernels));
      predictors.push(createPredictor(model.graph, kernels));
    }
    const figures = await measureLatencies(
      predictors.map((p) => p.predict),
      test,
      base.graph.inputShape,
      { ...sampling, signal },
    );
    return { baseline: figures[0], ours: figures.at(-1)!, choices: choicesOf(prepared.at(-1)!) };
  } finally {
    predictors.forEach((p) => p.dispose());
    prepared.forEach((kernels) => kernels.forEach((k) => k.dispose()));
  }
}
