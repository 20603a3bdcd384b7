/**
 * Fine-tuning a LayerGraph under constraints, through the same seeded loop that trained the
 * baselines. While it trains:
 * - masks keep pruned weights at exactly zero: the forward pass multiplies by the mask (no
 *   gradient reaches a pruned weight) and every update is followed by weight *= mask;
 * - regularizers add their terms to the loss (group lasso here; force regularization later);
 * - weight and activation transforms run in the forward pass with their straight-through
 *   gradients (the quantization family's fake-quantizers);
 * - batch-norm layers normalize with batch statistics and update their moving averages.
 * The trained values, moving statistics included, are written back into the graph.
 */
import * as tf from '@tensorflow/tfjs';
import type { DigitSplit } from '../data/digits.ts';
import { evaluateAccuracy } from '../measure/accuracy.ts';
import type { LayerGraph, WeightTensor, WeightTransformRef } from '../model/graph.ts';
import type { TransformTensors } from '../model/transforms.ts';
import {
  createPredictor,
  effectiveWeights,
  outputTransformsOf,
  programFor,
  transformTensorsOf,
  type GraphTransformTensors,
} from '../model/program.ts';
import { createRng } from '../util/random.ts';
import type { TrainableLayers } from './options.ts';
import { trainLoop, type TrainOptions, type TrainResult } from './train.ts';

/** A loss term on raw weights, by full weight name ("conv1/kernel"). Computed inside the tape. */
export interface Regularizer {
  readonly id: string;
  penalty(weights: ReadonlyMap<string, tf.Variable>): tf.Scalar;
}

export { TRAINABLE_LAYERS, type TrainableLayers } from './options.ts';

export interface FineTuneOptions extends Omit<TrainOptions, 'validation'> {
  /**
   * Dropout rate on the inputs of hidden dense layers, scaled for each layer by the square root
   * of the fraction of its weights kept (Han et al. 2015, section 3.2: D_r = D_o sqrt(C_r / C_o)).
   */
  readonly dropout?: number;
  /** Which layers' weights update; the others stay fixed (Han et al. retrain conv and fc apart). */
  readonly trainable?: TrainableLayers;
  readonly regularizers?: readonly Regularizer[];
  /**
   * L2 weight decay on conv and dense kernels: adds l2/2 * sum(w^2) to the loss (Han et al.
   * 2015, section 3.1: L2 gives the best accuracy after retraining).
   */
  readonly l2?: number;
  /** Runs after every update with the raw weights (e.g. SSL's zero-out of tiny weights). */
  readonly afterUpdate?: (weights: ReadonlyMap<string, tf.Variable>) => void;
  readonly validation?: DigitSplit;
}

const CONV_CLASSES = ['Conv2D', 'DepthwiseConv2D', 'BinaryConv2D'];
const DENSE_CLASSES = ['Dense', 'BinaryDense'];

function keptFraction(w: WeightTensor | undefined): number {
  if (!w?.mask) return 1;
  let kept = 0;
  for (const m of w.mask) kept += m;
  return kept / w.mask.length;
}

/** L2 weight decay on the graph's conv and dense kernels (trainable or not, masked ones are 0). */
export function weightDecay(graph: LayerGraph, l2: number): Regularizer {
  const kernels = graph.prunableWeights().map((w) => w.name);
  return {
    id: 'l2',
    penalty: (weights) =>
      tf.tidy(
        () =>
          tf.mul(
            tf.addN(kernels.map((k) => tf.sum(tf.square(weights.get(k)!)))),
            l2 / 2,
          ) as tf.Scalar,
      ),
  };
}

/** Fine-tunes `graph` in place on `trainSplit`; returns the loop's per-epoch statistics. */
export async function fineTuneGraph(
  graph: LayerGraph,
  trainSplit: DigitSplit,
  options: FineTuneOptions,
): Promise<TrainResult> {
  const program = programFor(graph);
  const trainable = options.trainable ?? 'all';
  const updates = (className: string) =>
    trainable === 'all' ||
    (trainable === 'conv' ? CONV_CLASSES : DENSE_CLASSES).includes(className);

  // Made one by one, so that a weight that cannot become a tensor leaves none of the others.
  const variables: tf.Variable[][] = [];
  const masks: (tf.Tensor | undefined)[][] = [];
  let transformTensors: GraphTransformTensors | undefined;
  const disposeAll = () => {
    tf.dispose(variables.flat());
    tf.dispose(masks.flat().filter((m): m is tf.Tensor => m !== undefined));
    if (transformTensors) tf.dispose([...transformTensors.all]);
  };
  try {
    for (const node of graph.nodes) {
      const row: tf.Variable[] = [];
      const maskRow: (tf.Tensor | undefined)[] = [];
      variables.push(row);
      masks.push(maskRow);
      for (const w of node.weights) {
        row.push(
          tf.tidy(() =>
            tf.variable(
              tf.tensor(w.values, w.shape as number[], 'float32'),
              w.trainable && updates(node.className),
              undefined,
              'float32',
            ),
          ),
        );
        maskRow.push(w.mask ? tf.tensor(w.mask, w.shape as number[], 'float32') : undefined);
      }
    }
    // A transform's trainable tensors (a shared-weight codebook, TTQ's scales) train with the
    // layer that owns them; the others (indices into a codebook) stay fixed.
    const trainsTransformsOf = new Set<string>();
    for (const node of graph.nodes) {
      if (!updates(node.className)) continue;
      trainsTransformsOf.add(`${node.name}/output`);
      for (const w of node.weights) if (w.trainable) trainsTransformsOf.add(w.name);
    }
    transformTensors = transformTensorsOf(graph, (t, owner) =>
      tf.tidy(() =>
        tf.variable(
          tf.tensor(t.values, t.shape as number[], 'float32'),
          t.trainable && trainsTransformsOf.has(owner),
          undefined,
          'float32',
        ),
      ),
    );
  } catch (err) {
    disposeAll();
    throw err;
  }
  const byName = new Map<string, tf.Variable>();
  graph.nodes.forEach((node, i) =>
    node.weights.forEach((w, j) => byName.set(w.name, variables[i][j])),
  );

  const inputDropout = new Map<string, number>();
  const rate = options.dropout ?? 0;
  if (rate > 0) {
    for (const node of graph.nodes) {
      if (node.className !== 'Dense' || node.inbound[0] === graph.input.name) continue;
      inputDropout.set(
        node.name,
        rate * Math.sqrt(keptFraction(node.weights.find((w) => w.prunable))),
      );
    }
  }
  // Dropout masks draw from their own generator, so turning dropout on or off leaves the order
  // of the digits (drawn from the loop's generator) unchanged.
  const dropoutRng = createRng((options.seed ^ 0x5bd1e995) >>> 0);
  const batchStats = new Map<string, { mean: tf.Tensor; variance: tf.Tensor }>();
  const context = {
    training: true,
    nextSeed: () => Math.floor(dropoutRng() * 2 ** 31),
    inputDropout,
    batchStats,
  };

  const updateMovingStatistics = () => {
    for (const [name, stats] of batchStats) {
      const index = graph.nodes.findIndex((n) => n.name === name);
      const node = graph.nodes[index];
      const momentum = Number(node.config.momentum ?? 0.99);
      for (const [role, value] of [
        ['moving_mean', stats.mean],
        ['moving_variance', stats.variance],
      ] as const) {
        const variable = variables[index][node.weights.findIndex((w) => w.role === role)];
        // tfjs-layers' update: moving -= (moving - batch) * (1 - momentum).
        tf.tidy(() =>
          variable.assign(tf.sub(variable, tf.mul(tf.sub(variable, value), 1 - momentum))),
        );
      }
      tf.dispose([stats.mean, stats.variance]);
    }
    batchStats.clear();
  };

  const outputTransforms = outputTransformsOf(graph, transformTensors);
  try {
    const result = await trainLoop(
      {
        inputShape: graph.inputShape,
        variables: [...variables.flat(), ...(transformTensors.all as tf.Variable[])].filter(
          (v) => v.trainable,
        ),
        forward: (x) =>
          program.forward(
            x,
            effectiveWeights(graph, variables, masks, transformTensors),
            context,
            outputTransforms,
          ),
        penalty: () => {
          const terms = (options.regularizers ?? []).map((r) => r.penalty(byName));
          if (options.l2) terms.push(weightDecay(graph, options.l2).penalty(byName));
          return terms.length ? (tf.addN(terms) as tf.Scalar) : null;
        },
        afterUpdate: () => {
          updateMovingStatistics();
          masks.forEach((row, i) =>
            row.forEach((mask, j) => {
              if (mask) tf.tidy(() => variables[i][j].assign(tf.mul(variables[i][j], mask)));
            }),
          );
          options.afterUpdate?.(byName);
        },
        evaluate: async (split) => {
          const snapshot = graph.clone();
          await readBack(snapshot, variables, transformTensors);
          const predictor = createPredictor(snapshot);
          try {
            const { signal } = options;
            return (await evaluateAccuracy(predictor.predict, split, graph.inputShape, { signal }))
              .accuracy;
          } finally {
            predictor.dispose();
          }
        },
      },
      trainSplit,
      options,
    );
    // Only a finished training reaches the graph: a cancelled one leaves it as it was.
    await readBack(graph, variables, transformTensors);
    return result;
  } finally {
    tf.dispose([...batchStats.values()].flatMap((s) => [s.mean, s.variance]));
    disposeAll();
  }
}

const sameValues = (a: Float32Array, b: Float32Array) =>
  a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

/**
 * Copies trained values into the graph; pruned positions are written as exact (+)zeros. A
 * storage coding no longer describes trained values, so it is dropped when they changed: a quantizing step
 * re-derives it from the trained weights (see model/coding.ts).
 */
async function readBack(
  graph: LayerGraph,
  variables: readonly (readonly tf.Variable[])[],
  transformTensors: GraphTransformTensors,
): Promise<void> {
  // The transforms' trainable tensors first: a changed codebook changes the stored weights.
  const trained = async (
    ref: WeightTransformRef | undefined,
    made: TransformTensors | undefined,
  ) => {
    let changed = false;
    for (const [name, tensor] of Object.entries(ref?.tensors ?? {})) {
      if (!tensor.trainable || !made?.[name]) continue;
      const values = new Float32Array(await made[name].data());
      if (!sameValues(values, tensor.values)) changed = true;
      tensor.values = values;
    }
    return changed;
  };
  for (const [i, node] of graph.nodes.entries()) {
    await trained(node.outputTransform, transformTensors.outputs[i]);
    for (const [j, w] of node.weights.entries()) {
      if (await trained(w.transform, transformTensors.weights[i][j])) w.coding = undefined;
    }
  }
  for (const [i, node] of graph.nodes.entries()) {
    for (const [j, w] of node.weights.entries()) {
      const values = new Float32Array(await variables[i][j].data());
      if (w.mask) for (let k = 0; k < values.length; k++) if (!w.mask[k]) values[k] = 0;
      if (w.coding && !sameValues(values, w.values)) w.coding = undefined;
      w.values = values;
    }
  }
}
