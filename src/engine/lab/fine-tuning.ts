/**
 * What a step's technique is given to work with (the technique context): the run's data set's
 * training split, accuracy on its validation split (never the test split: that is only for
 * reporting), and fine-tuning, which runs on the training backend when one
 * is set (switching to it and back to the evaluating backend) and reports its batches as the
 * step's progress.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../backend-names.ts';
import type { LayerGraph } from '../model/graph.ts';
import type { StepProgress, TechniqueContext, TrainRequest } from '../techniques/technique.ts';
import { fineTuneGraph } from '../train/finetune.ts';
import type { TrainResult } from '../train/train.ts';
import type { DataSet } from '../data/load.ts';
import { accuracyOn } from './measurement.ts';

export interface TrainingSetup {
  /** The run's data set: its training split trains, its validation split checks choices. */
  readonly data: DataSet;
  /** Backend that fine-tunes (absent: the active one). */
  readonly trainingBackend?: BackendName;
  /** Starts a backend (with its gradient kernels); needed when trainingBackend is set. */
  readonly activateBackend?: (name: BackendName) => Promise<boolean>;
}

/** The backend a step that trains will train on. */
export function trainingBackendName(setup: TrainingSetup): BackendName {
  const current = tf.getBackend() as BackendName;
  return setup.trainingBackend ?? current;
}

/**
 * The context a step's technique runs in. `progress` receives its progress (fine-tuning's
 * batches included), `trained` the backend that fine-tuned.
 */
export function techniqueContext(
  setup: TrainingSetup,
  seed: number,
  signal: AbortSignal | undefined,
  progress: (p: StepProgress) => void,
  trained: (backend: BackendName) => void,
): TechniqueContext {
  return {
    seed,
    signal,
    trainDigits: () => setup.data.split('train'),
    validationAccuracy: async (graph) =>
      accuracyOn(graph, await setup.data.split('validation'), signal),
    train: (graph, request) => fineTune(setup, graph, request, seed, signal, progress, trained),
    progress,
  };
}

async function fineTune(
  setup: TrainingSetup,
  graph: LayerGraph,
  request: TrainRequest,
  seed: number,
  signal: AbortSignal | undefined,
  progress: (p: StepProgress) => void,
  trained: (backend: BackendName) => void,
): Promise<TrainResult> {
  const digits = await setup.data.split('train');
  const evalBackend = tf.getBackend() as BackendName;
  const wanted = setup.trainingBackend ?? evalBackend;
  const switched = wanted !== evalBackend && (await setup.activateBackend?.(wanted)) === true;
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
    if (switched) resumed = (await setup.activateBackend?.(evalBackend)) === true;
  }
  // A backend that cannot be resumed (a lost GPU) must not be evaluated on by mistake.
  if (!resumed)
    throw new Error(`the ${evalBackend} backend could not be resumed after fine-tuning`);
  return result;
}
