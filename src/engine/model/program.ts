/**
 * Executes a LayerGraph with tf ops. A program is compiled once per graph structure (layer
 * classes, configs, edges, weight shapes, transforms) and cached, so moving a slider that only
 * changes weight values never rebuilds anything; weights are passed in per call. Training and
 * evaluation share the one forward function, so what is trained is what is measured.
 */
import * as tf from '@tensorflow/tfjs';
import type { GraphNode, LayerGraph, TransformTensor, WeightTransformRef } from './graph.ts';
import { layerKind, type ForwardContext, type LayerKind } from './layers.ts';
import { getTransform, type TransformTensors } from './transforms.ts';

const EMPTY = new Float32Array(0);

interface CompiledNode {
  readonly node: GraphNode;
  readonly kind: LayerKind;
  /** Positions of this node's inputs among the compiled nodes. */
  readonly inputs: readonly number[];
}

export class GraphProgram {
  private constructor(
    private readonly compiled: readonly CompiledNode[],
    private readonly outputIndex: number,
  ) {}

  static compile(graph: LayerGraph): GraphProgram {
    graph.info(); // validates shapes and edges first, with messages naming the layer
    const index = new Map(graph.nodes.map((n, i) => [n.name, i]));
    const compiled = graph.nodes.map((node) => ({
      // A structural snapshot: later edits of the graph do not reach a cached program.
      // Values and masks are left out: the program only needs roles and shapes.
      node: {
        ...node,
        weights: node.weights.map((w) => ({
          ...w,
          values: EMPTY,
          mask: undefined,
          coding: undefined,
          transform: undefined,
        })),
        outputTransform: undefined,
      },
      kind: layerKind(node.className),
      inputs: node.inbound.map((name) => index.get(name)!),
    }));
    return new GraphProgram(compiled, index.get(graph.output)!);
  }

  /**
   * Runs the graph on a batch `x`. `weights[i]` holds node i's weights, in the node's order,
   * already transformed (see `effectiveWeights`). Call inside tf.tidy or a gradient tape.
   */
  forward(
    x: tf.Tensor,
    weights: readonly (readonly tf.Tensor[])[],
    context: ForwardContext,
    outputTransforms?: readonly (OutputTransform | undefined)[],
  ): tf.Tensor {
    const slices = this.forwardSlices(x, weights, context, outputTransforms);
    for (;;) {
      const next = slices.next();
      if (next.done) return next.value;
    }
  }

  /**
   * `forward` one node at a time: each `next()` runs one node and yields its output; the last
   * returns the graph's output (one of those yielded). A caller that must let an abort in
   * during a long pass awaits a checkpoint between nodes (see `GraphPredictor.predictInSlices`).
   */
  *forwardSlices(
    x: tf.Tensor,
    weights: readonly (readonly tf.Tensor[])[],
    context: ForwardContext,
    outputTransforms?: readonly (OutputTransform | undefined)[],
  ): Generator<tf.Tensor, tf.Tensor, void> {
    const outputs: tf.Tensor[] = [];
    for (const [i, { node, kind, inputs }] of this.compiled.entries()) {
      const args = i === 0 ? [x] : inputs.map((k) => outputs[k]);
      let y = kind.forward(node, args, weights[i], context);
      const transform = outputTransforms?.[i];
      if (transform) y = applyTransform(transform.ref, y, transform.tensors);
      outputs.push(y);
      yield y;
    }
    return outputs[this.outputIndex];
  }
}

/** A node's output transform with its tensors on the active backend. */
export interface OutputTransform {
  readonly ref: WeightTransformRef;
  readonly tensors: TransformTensors;
}

export function applyTransform(
  ref: WeightTransformRef,
  x: tf.Tensor,
  tensors: TransformTensors = {},
): tf.Tensor {
  return getTransform(ref.id).apply(x, ref.params, tensors);
}

/**
 * The tensors of every transform in the graph, made by `make` (constants to predict, variables
 * for the trainable ones while fine-tuning), aligned with the nodes and their weights.
 */
export interface GraphTransformTensors {
  readonly weights: readonly (readonly (TransformTensors | undefined)[])[];
  readonly outputs: readonly (TransformTensors | undefined)[];
  /** Every tensor made, to dispose or to train. */
  readonly all: readonly tf.Tensor[];
}

export function transformTensorsOf(
  graph: LayerGraph,
  /** `owner` is the weight's name ("conv1/kernel") or "<layer>/output" for an output transform. */
  make: (tensor: TransformTensor, owner: string) => tf.Tensor,
): GraphTransformTensors {
  const all: tf.Tensor[] = [];
  const forRef = (ref: WeightTransformRef | undefined, owner: string) => {
    if (!ref?.tensors) return undefined;
    const made: Record<string, tf.Tensor> = {};
    for (const [name, tensor] of Object.entries(ref.tensors)) {
      made[name] = make(tensor, owner);
      all.push(made[name]);
    }
    return made;
  };
  try {
    const weights = graph.nodes.map((n) => n.weights.map((w) => forRef(w.transform, w.name)));
    const outputs = graph.nodes.map((n) => forRef(n.outputTransform, `${n.name}/output`));
    return { weights, outputs, all };
  } catch (err) {
    tf.dispose(all); // a tensor that fits no shape: nothing kept
    throw err;
  }
}

/** The output transforms of the graph's nodes, with their tensors from `tensors`. */
export function outputTransformsOf(
  graph: LayerGraph,
  tensors: GraphTransformTensors,
): (OutputTransform | undefined)[] {
  return graph.nodes.map((n, i) =>
    n.outputTransform ? { ref: n.outputTransform, tensors: tensors.outputs[i] ?? {} } : undefined,
  );
}

const programs = new Map<string, GraphProgram>();
const MAX_PROGRAMS = 32;

/** The compiled program for a graph's structure, from a small cache. */
export function programFor(graph: LayerGraph): GraphProgram {
  const key = graph.structureKey();
  let program = programs.get(key);
  if (program) {
    programs.delete(key); // refresh its place in the LRU order
  } else {
    program = GraphProgram.compile(graph);
    if (programs.size >= MAX_PROGRAMS) programs.delete(programs.keys().next().value!);
  }
  programs.set(key, program);
  return program;
}

/**
 * The weights a layer computes with: the weight's transform of the raw values, times the mask
 * (so a pruned weight is exactly zero whatever the transform does). `raw` is aligned with
 * graph.nodes and each node's weights.
 */
export function effectiveWeights(
  graph: LayerGraph,
  raw: readonly (readonly tf.Tensor[])[],
  masks?: readonly (readonly (tf.Tensor | undefined)[])[],
  tensors?: GraphTransformTensors,
): tf.Tensor[][] {
  return graph.nodes.map((node, i) =>
    node.weights.map((w, j) => {
      let value = raw[i][j];
      if (w.transform) value = applyTransform(w.transform, value, tensors?.weights[i]?.[j]);
      const mask = masks?.[i]?.[j];
      return mask ? tf.mul(value, mask) : value;
    }),
  );
}

/** A graph ready to predict: its weights on the active backend, transforms applied once. */
export interface GraphPredictor {
  predict(x: tf.Tensor): tf.Tensor;
  /**
   * `predict` with `checkpoint` awaited between nodes, for a pass long enough (a large batch
   * through a deep network) that an abort must land within it. The same ops in the same order:
   * the same output. Leaves no tensor behind but the output, even when cancelled.
   */
  predictInSlices(x: tf.Tensor, checkpoint: () => Promise<void>): Promise<tf.Tensor>;
  dispose(): void;
}

/**
 * With `batchStats`, the forward pass runs in training mode instead: batch norms normalize by
 * the batch's own statistics and record them there (for batch-norm recalibration).
 */
export function createPredictor(
  graph: LayerGraph,
  kernels?: ReadonlyMap<string, { apply(x: tf.Tensor): tf.Tensor }>,
  batchStats?: ForwardContext['batchStats'],
): GraphPredictor {
  const program = programFor(graph);
  const raw: tf.Tensor[][] = [];
  const masks: (tf.Tensor | undefined)[][] = [];
  let tensors: GraphTransformTensors | undefined;
  let weights: tf.Tensor[][];
  try {
    for (const n of graph.nodes) {
      const row: tf.Tensor[] = [];
      const maskRow: (tf.Tensor | undefined)[] = [];
      raw.push(row);
      masks.push(maskRow);
      for (const w of n.weights) {
        row.push(tf.tensor(w.values, w.shape as number[], 'float32'));
        // Only transformed weights need their mask again: plain ones are stored zeroed.
        maskRow.push(
          w.mask && w.transform ? tf.tensor(w.mask, w.shape as number[], 'float32') : undefined,
        );
      }
    }
    tensors = transformTensorsOf(graph, (t) => tf.tensor(t.values, t.shape as number[], 'float32'));
    weights = tf.tidy(() => effectiveWeights(graph, raw, masks, tensors));
  } catch (err) {
    // A weight that fits no tensor, an unknown transform: nothing kept.
    tf.dispose([...raw.flat(), ...masks.flat().filter((m) => m !== undefined)]);
    if (tensors) tf.dispose([...tensors.all]);
    throw err;
  }
  const outputTransforms = outputTransformsOf(graph, tensors);
  const owned = new Set([
    ...raw.flat(),
    ...masks.flat().filter((m) => m !== undefined),
    ...weights.flat(),
    ...tensors.all,
  ]);
  const context: ForwardContext = {
    training: batchStats != null,
    batchStats,
    labBatchNorm: batchStats != null,
    kernels: kernels
      ? new Map([...kernels].map(([name, k]) => [name, (x: tf.Tensor) => k.apply(x)]))
      : undefined,
  };
  return {
    predict: (x) => tf.tidy(() => program.forward(x, weights, context, outputTransforms)),
    predictInSlices: async (x, checkpoint) => {
      const slices = program.forwardSlices(x, weights, context, outputTransforms);
      // Each node runs in its own tidy that keeps its output (what later nodes read); the
      // outputs are disposed at the end, all but the graph's.
      const outputs: tf.Tensor[] = [];
      let result: tf.Tensor | undefined;
      try {
        for (;;) {
          let done = false;
          const y = tf.tidy(() => {
            const next = slices.next();
            done = next.done === true;
            return next.value;
          });
          if (done) {
            result = y;
            return y;
          }
          outputs.push(y);
          await checkpoint();
        }
      } finally {
        // A layer that passes a tensor through (its input, a weight) made nothing to dispose.
        for (const y of outputs) if (y !== result && y !== x && !owned.has(y)) y.dispose();
      }
    },
    dispose: () => owned.forEach((t) => t.dispose()),
  };
}
