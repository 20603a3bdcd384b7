/**
 * The training loop for the lab's baselines: React-free, the same in Node and the browser.
 *
 * A manual batch loop (not model.fit) so that the order of batches comes from our own seeded
 * shuffle, the loop can stop between any two batches, and every tensor is accounted for.
 * Same seed + same backend => bit-identical weights.
 */
import * as tf from '@tensorflow/tfjs';
import { classCountOf, valuesPerImage, type DigitSplit } from '../data/digits.ts';
import { checkInputFitsSplit } from '../data/batches.ts';
import { createRng, shuffleInPlace } from '../util/random.ts';
import { randomShift, writeShiftedDigit } from './augment.ts';
import { makeCheckpoint } from '../cancel.ts';
import { evaluateAccuracy } from '../measure/accuracy.ts';
import { useFastBatchNorm } from './batch-norm.ts';

import type { OptimizerName } from './options.ts';

export { OPTIMIZERS, type OptimizerName } from './options.ts';

export interface AugmentOptions {
  /** Largest shift in pixels, applied independently in x and y. */
  readonly maxShift: number;
}

export interface BatchInfo {
  readonly epoch: number;
  readonly batch: number;
  readonly batchesPerEpoch: number;
  /** Mean cross-entropy of this batch (before the update). */
  readonly loss: number;
  /** Fraction of this batch classified correctly (before the update). */
  readonly accuracy: number;
  readonly elapsedMs: number;
}

export interface TrainOptions {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly seed: number;
  /** Default 'adam'. 'momentum' is SGD with momentum 0.9. */
  readonly optimizer?: OptimizerName;
  /** Learning rate multiplier applied after each epoch (1 = constant). */
  readonly learningRateDecay?: number;
  readonly augment?: AugmentOptions;
  readonly onBatch?: (info: BatchInfo) => void;
  readonly onEpoch?: (result: EpochResult) => void;
  /** Checked before every batch; training stops by throwing RunCancelledError. */
  readonly signal?: AbortSignal;
  /** Evaluated after every epoch when given. */
  readonly validation?: DigitSplit;
  /** Stops each epoch after this many batches (short fine-tuning in tests and previews). */
  readonly maxBatchesPerEpoch?: number;
  /**
   * Weight of an L1 penalty on the conv and dense kernels (`trainModel` only): lambda * sum |w|
   * added to the loss. Han et al. 2015 (section 3.1): L1 leaves a network that loses least when
   * pruned without retraining, since the weights it does not need are pushed towards zero.
   */
  readonly kernelL1?: number;
}

export interface EpochResult {
  readonly epoch: number;
  readonly loss: number;
  readonly accuracy: number;
  readonly validationAccuracy?: number;
  readonly learningRate: number;
  readonly elapsedMs: number;
}

export interface TrainResult {
  readonly epochs: EpochResult[];
  readonly elapsedMs: number;
}

/**
 * Mean cross-entropy of predicted class probabilities (a softmax output) against one-hot labels.
 * Probabilities are clipped away from 0 so a confident mistake gives a large, finite loss.
 */
export function crossEntropyLoss(probabilities: tf.Tensor, oneHotLabels: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const clipped = tf.clipByValue(probabilities, 1e-7, 1);
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHotLabels, tf.log(clipped)), -1))) as tf.Scalar;
  });
}

export function createOptimizer(name: OptimizerName, learningRate: number): tf.Optimizer {
  switch (name) {
    case 'sgd':
      return tf.train.sgd(learningRate);
    case 'momentum':
      return tf.train.momentum(learningRate, 0.9);
    case 'adam':
      return tf.train.adam(learningRate);
  }
}

/** The model's input shape without the batch dimension, e.g. [784], [28, 28, 1] or [32, 32, 3]. */
export function inputShapeOf(model: tf.LayersModel): number[] {
  return model.inputs[0].shape.slice(1).map((size) => {
    if (size == null) throw new Error('the model input must have a fixed shape');
    return size;
  });
}

/** Pixels of the digits `order[start..start+count)`, shifted at random when augmenting. */
function batchPixels(
  split: DigitSplit,
  order: Uint32Array,
  start: number,
  count: number,
  augment: AugmentOptions | undefined,
  rng: () => number,
): Float32Array {
  const perImage = valuesPerImage(split);
  const values = new Float32Array(count * perImage);
  for (let k = 0; k < count; k++) {
    const shiftX = augment ? randomShift(rng, augment.maxShift) : 0;
    const shiftY = augment ? randomShift(rng, augment.maxShift) : 0;
    writeShiftedDigit(split, order[start + k], shiftX, shiftY, values, k * perImage);
  }
  return values;
}

/** One-hot rows as wide as the split's class count. */
function oneHotLabels(split: DigitSplit, order: Uint32Array, start: number, count: number) {
  const classCount = classCountOf(split);
  const values = new Float32Array(count * classCount);
  for (let k = 0; k < count; k++) values[k * classCount + split.labels[order[start + k]]] = 1;
  return values;
}

/**
 * Throws unless every label indexes one of the split's classes: a label past the last class
 * would otherwise set a bit in the next image's one-hot row.
 */
function checkLabels(split: DigitSplit): void {
  const classCount = classCountOf(split);
  for (let i = 0; i < split.count; i++) {
    const label = split.labels[i];
    if (!(label < classCount)) {
      throw new Error(`image ${i} has label ${label}, outside the ${classCount} classes`);
    }
  }
}

// tfjs optimizers answer `instanceof` by duck typing (an Adam is "instanceof" SGDOptimizer),
// so the optimizer's name decides.
function setLearningRate(optimizer: tf.Optimizer, name: OptimizerName, learningRate: number): void {
  if (name === 'sgd' || name === 'momentum') {
    // Also refreshes the scalar SGD caches (momentum inherits it).
    (optimizer as tf.SGDOptimizer).setLearningRate(learningRate);
  } else {
    // Adam reads its (TypeScript-protected) `learningRate` field at every update.
    (optimizer as unknown as { learningRate: number }).learningRate = learningRate;
  }
}

interface TapeState {
  gradientDepth: number;
  activeTape: { saved?: tf.Tensor[] }[] | null;
}

/**
 * tf.variableGrads that leaves nothing behind when the forward pass, the loss or the backward
 * pass throws (a bad layer, a regularizer's error, a lost GPU context). tfjs keeps the tensors
 * each recorded op saves for its gradient until backprop has run; when the function throws,
 * backprop never runs and tfjs 4.22 drops its tape without disposing them. This disposes them.
 */
export function variableGradsCleanly(
  f: () => tf.Scalar,
  variables: tf.Variable[],
): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  try {
    return tf.variableGrads(f, variables);
  } catch (err) {
    const state = (tf.engine() as unknown as { state: TapeState }).state;
    if (state.gradientDepth === 0 && state.activeTape) {
      for (const node of state.activeTape) tf.dispose(node.saved ?? []);
      state.activeTape = null;
    }
    throw err;
  }
}

/**
 * What the loop trains: variables, a forward pass that returns class probabilities (called
 * inside the gradient tape), optional loss terms, and a hook after every optimizer update.
 * A tfjs LayersModel (the baselines) and a LayerGraph (fine-tuning in recipes) both fit.
 */
export interface TrainTarget {
  /** One image's input shape without the batch dimension, e.g. [784], [28, 28, 1], [32, 32, 3]. */
  readonly inputShape: readonly number[];
  readonly variables: tf.Variable[];
  forward(x: tf.Tensor): tf.Tensor;
  /** Regularization terms added to the loss (group lasso, ...), computed inside the tape. */
  penalty?(): tf.Scalar | null;
  /** Runs after every update: masks re-applied, moving statistics, zero-out. */
  afterUpdate?(): void;
  /** Accuracy on a split with the current weights (for `validation`). */
  evaluate?(split: DigitSplit): Promise<number>;
}

/**
 * Trains `target` on `trainSplit` with softmax cross-entropy (plus the target's penalty) and
 * returns per-epoch statistics. The forward pass must end in a softmax over the split's classes
 * (classCountOf(trainSplit): 10 for the shipped sets).
 */
export async function trainLoop(
  target: TrainTarget,
  trainSplit: DigitSplit,
  options: TrainOptions,
): Promise<TrainResult> {
  const { epochs, batchSize, seed, augment, signal } = options;
  if (!(batchSize > 0) || !(epochs >= 0)) throw new Error('batchSize and epochs must be positive');
  const { inputShape, variables } = target;
  checkInputFitsSplit(inputShape, trainSplit);
  checkLabels(trainSplit);
  const classCount = classCountOf(trainSplit);
  const optimizerName = options.optimizer ?? 'adam';
  const optimizer = createOptimizer(optimizerName, options.learningRate);
  // One generator for shuffling and augmentation, consumed in a fixed order: reproducible.
  const rng = createRng(seed);
  const order = Uint32Array.from({ length: trainSplit.count }, (_, index) => index);
  const batchesPerEpoch = Math.min(
    Math.ceil(trainSplit.count / batchSize),
    options.maxBatchesPerEpoch ?? Infinity,
  );
  const digitsPerEpoch = Math.min(trainSplit.count, batchesPerEpoch * batchSize);
  const startedAt = performance.now();
  // Lets timers, abort signals and UI updates run about every 50 ms of training.
  const checkpoint = makeCheckpoint(signal);
  const results: EpochResult[] = [];
  let learningRate = options.learningRate;

  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      shuffleInPlace(order, rng);
      let lossSum = 0;
      let correctSum = 0;
      for (let batch = 0; batch < batchesPerEpoch; batch++) {
        await checkpoint();
        const start = batch * batchSize;
        const count = Math.min(batchSize, trainSplit.count - start);
        const pixels = batchPixels(trainSplit, order, start, count, augment, rng);
        const labels = oneHotLabels(trainSplit, order, start, count);

        // The forward and backward pass is most of a batch (lenet5 on wasm: 150-300 ms), so the
        // update waits behind a checkpoint: an abort that came meanwhile lands before it rather
        // than a whole batch later. The gradients, loss and probabilities outlive the first tidy
        // for that, and are disposed here whatever happens.
        const y = tf.tensor2d(labels, [count, classCount]);
        let pass: { value: tf.Scalar; grads: tf.NamedTensorMap; probabilities: tf.Tensor } | null =
          null;
        let loss: tf.Tensor;
        let correct: tf.Tensor;
        try {
          pass = tf.tidy(() => {
            const x = tf.tensor(pixels, [count, ...inputShape], 'float32');
            let probabilities: tf.Tensor | undefined;
            try {
              const { value, grads } = variableGradsCleanly(() => {
                probabilities = tf.keep(target.forward(x));
                if (probabilities.shape.at(-1) !== classCount) {
                  throw new Error(
                    `the model scores ${probabilities.shape.at(-1)} classes, but the training images are in ${classCount}`,
                  );
                }
                const dataLoss = crossEntropyLoss(probabilities, y);
                const penalty = target.penalty?.();
                return penalty ? tf.add(dataLoss, penalty) : dataLoss;
              }, variables);
              return { value, grads, probabilities: probabilities! };
            } catch (err) {
              probabilities?.dispose();
              throw err;
            }
          });
          await checkpoint();
          const { grads, probabilities } = pass;
          correct = tf.tidy(() => {
            optimizer.applyGradients(grads);
            return tf.sum(
              tf.cast(tf.equal(tf.argMax(probabilities, -1), tf.argMax(y, -1)), 'int32'),
            );
          });
          loss = pass.value;
        } catch (err) {
          pass?.value.dispose();
          throw err;
        } finally {
          y.dispose();
          if (pass) tf.dispose([pass.probabilities, pass.grads]);
        }
        let lossValue: number;
        let correctCount: number;
        try {
          target.afterUpdate?.();
          [lossValue] = await loss.data();
          [correctCount] = await correct.data();
        } finally {
          loss.dispose();
          correct.dispose();
        }

        lossSum += lossValue * count;
        correctSum += correctCount;
        options.onBatch?.({
          epoch,
          batch,
          batchesPerEpoch,
          loss: lossValue,
          accuracy: correctCount / count,
          elapsedMs: performance.now() - startedAt,
        });
      }
      const validationAccuracy =
        options.validation && target.evaluate
          ? await target.evaluate(options.validation)
          : undefined;
      const result: EpochResult = {
        epoch,
        loss: lossSum / digitsPerEpoch,
        accuracy: correctSum / digitsPerEpoch,
        validationAccuracy,
        learningRate,
        elapsedMs: performance.now() - startedAt,
      };
      results.push(result);
      options.onEpoch?.(result);
      if (options.learningRateDecay != null && options.learningRateDecay !== 1) {
        learningRate *= options.learningRateDecay;
        setLearningRate(optimizer, optimizerName, learningRate);
      }
    }
  } finally {
    optimizer.dispose();
    if (optimizerName === 'momentum') {
      // tfjs 4.22's MomentumOptimizer.dispose forgets the learning-rate scalar it inherits.
      tf.SGDOptimizer.prototype.dispose.call(optimizer);
    }
  }
  return { epochs: results, elapsedMs: performance.now() - startedAt };
}

/** Trains a tfjs LayersModel in place (how the shipped baselines are made). */
export async function trainModel(
  model: tf.LayersModel,
  trainSplit: DigitSplit,
  options: TrainOptions,
): Promise<TrainResult> {
  const l1 = options.kernelL1 ?? 0;
  if (!(l1 >= 0)) throw new Error(`kernelL1 must be a number >= 0, got ${l1}`);
  const inputShape = inputShapeOf(model);
  const kernels = kernelsOf(model);
  // Batch norm layers train through the lab's closed-form gradient (2x faster steps on wasm).
  const restoreBatchNorm = useFastBatchNorm(model);
  const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
  try {
    return await trainLoop(
      {
        inputShape,
        variables,
        forward: (x) => model.apply(x, { training: true }) as tf.Tensor,
        penalty:
          l1 > 0 && kernels.length > 0
            ? () =>
                tf.mul(l1, tf.addN(kernels.map((kernel) => tf.sum(tf.abs(kernel))))) as tf.Scalar
            : undefined,
        evaluate: async (split) =>
          (
            await evaluateAccuracy(predictorOf(model), split, inputShape, {
              signal: options.signal,
            })
          ).accuracy,
      },
      trainSplit,
      options,
    );
  } finally {
    restoreBatchNorm();
  }
}

/** The kernels of a model's Conv2D and Dense layers (not biases, not batch-norm weights). */
function kernelsOf(model: tf.LayersModel): tf.Variable[] {
  const kernels: tf.Variable[] = [];
  for (const layer of model.layers) {
    const className = layer.getClassName();
    if (className !== 'Conv2D' && className !== 'Dense') continue;
    const kernel = layer.trainableWeights.find((weight) => weight.originalName.endsWith('kernel'));
    if (kernel) kernels.push(kernel.read() as tf.Variable);
  }
  return kernels;
}

/** A LayersModel as the prediction function the evaluators take. */
export function predictorOf(model: tf.LayersModel): (x: tf.Tensor) => tf.Tensor {
  return (x) => model.predict(x) as tf.Tensor;
}
