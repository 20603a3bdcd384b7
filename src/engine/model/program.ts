/**
 * Executes a LayerGraph with tf ops. A program is compiled once per graph structure (layer
 * classes, configs, edges, weight shapes, transforms) and cached, so moving a slider that only
 * changes weight values never rebuilds anything; weights are passed in per call. Training and
 * evaluation share the one forward function, so what is trained is what is measured.
 */
import * as tf from '@tensorflow/tfjs';
import type { GraphNode, LayerGraph, WeightTransformRef } from './graph.ts';
import { layerKind, type ForwardContext, type LayerKind } from './layers.ts';
import { getTransform } from './transforms.ts';

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
        weights: node.weights.map((w) => ({ ...w, values: EMPTY, mask: undefined })),
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
  ): tf.Tensor {
    const outputs: tf.Tensor[] = [];
    for (const [i, { node, kind, inputs }] of this.compiled.entries()) {
      const args = i === 0 ? [x] : inputs.map((k) => outputs[k]);
      let y = kind.forward(node, args, weights[i], context);
      if (node.outputTransform) y = applyTransform(node.outputTransform, y);
      outputs.push(y);
    }
    return outputs[this.outputIndex];
  }
}

export function applyTransform(ref: WeightTransformRef, x: tf.Tensor): tf.Tensor {
  return getTransform(ref.id).apply(x, ref.params);
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
 * The weights a layer computes with: raw values times the mask, then the weight's transform.
 * `raw` is aligned with graph.nodes and each node's weights.
 */
export function effectiveWeights(
  graph: LayerGraph,
  raw: readonly (readonly tf.Tensor[])[],
  masks?: readonly (readonly (tf.Tensor | undefined)[])[],
): tf.Tensor[][] {
  return graph.nodes.map((node, i) =>
    node.weights.map((w, j) => {
      let value = raw[i][j];
      const mask = masks?.[i]?.[j];
      if (mask) value = tf.mul(value, mask);
      return w.transform ? applyTransform(w.transform, value) : value;
    }),
  );
}

/** A graph ready to predict: its weights on the active backend, transforms applied once. */
export interface GraphPredictor {
  predict(x: tf.Tensor): tf.Tensor;
  dispose(): void;
}

export function createPredictor(
  graph: LayerGraph,
  kernels?: ReadonlyMap<string, { apply(x: tf.Tensor): tf.Tensor }>,
): GraphPredictor {
  const program = programFor(graph);
  const raw: tf.Tensor[][] = [];
  let weights: tf.Tensor[][];
  try {
    for (const n of graph.nodes) {
      const row: tf.Tensor[] = [];
      raw.push(row);
      for (const w of n.weights) row.push(tf.tensor(w.values, w.shape as number[], 'float32'));
    }
    weights = tf.tidy(() => effectiveWeights(graph, raw));
  } catch (err) {
    tf.dispose(raw.flat()); // a weight that fits no tensor, an unknown transform: nothing kept
    throw err;
  }
  const owned = new Set([...raw.flat(), ...weights.flat()]);
  const context: ForwardContext = {
    training: false,
    kernels: kernels
      ? new Map([...kernels].map(([name, k]) => [name, (x: tf.Tensor) => k.apply(x)]))
      : undefined,
  };
  return {
    predict: (x) => tf.tidy(() => program.forward(x, weights, context)),
    dispose: () => owned.forEach((t) => t.dispose()),
  };
}
