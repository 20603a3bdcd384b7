/**
 * The lab's own model: a graph of layers the engine owns, not a tfjs LayersModel it edits in
 * place. Nodes carry their layer class, tfjs-style config, inbound edges (so functional models
 * with Add, Concatenate and several branches work) and weights in host memory. Shapes, params
 * and MACs are inferred on the graph itself, so an edit that removes filters or replaces a layer
 * by a chain is reflected at once. A tfjs LayersModel is only an import format
 * (`fromModel`); the graph executes through `program.ts`.
 */
import type * as tf from '@tensorflow/tfjs';
import { cloneCoding } from './coding.ts';
import { ModelLoadError } from './errors.ts';
import type {
  GraphNode,
  LayerConfig,
  WeightRole,
  WeightTensor,
  WeightTransformRef,
} from './graph-node.ts';
import { isProducer, layerKind, SUPPORTED_LAYERS } from './layers.ts';

export { SUPPORTED_LAYERS };
export type {
  GraphNode,
  LayerConfig,
  TransformTensor,
  WeightRole,
  WeightTensor,
  WeightTransformRef,
} from './graph-node.ts';

export function cloneTransform(ref: WeightTransformRef): WeightTransformRef {
  return {
    id: ref.id,
    params: { ...ref.params },
    tensors: ref.tensors
      ? Object.fromEntries(
          Object.entries(ref.tensors).map(([name, t]) => [
            name,
            { shape: [...t.shape], values: t.values.slice(), trainable: t.trainable },
          ]),
        )
      : undefined,
  };
}

/** A transform as the compiled program sees it: id, params and tensor shapes, no values. */
export function transformStructure(ref: WeightTransformRef | undefined): unknown {
  if (!ref) return null;
  const tensors = Object.entries(ref.tensors ?? {}).map(([name, t]) => [
    name,
    t.shape,
    t.trainable,
  ]);
  return [ref.id, ref.params, tensors];
}

/** What the graph infers for one node: shapes, MACs and parameter counts. */
export interface NodeInfo {
  readonly node: GraphNode;
  readonly inputShapes: readonly (readonly number[])[];
  /** Output shape without the batch dimension. */
  readonly outputShape: readonly number[];
  /** Multiply-accumulates for one input digit with all weights dense. */
  readonly macs: number;
  readonly params: number;
}

export class GraphError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GraphError';
  }
}

const product = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

function withoutBatch(shape: tf.Shape | tf.Shape[]): number[] {
  const single = (Array.isArray(shape[0]) ? shape[0] : shape) as tf.Shape;
  return single.slice(1).map((d) => d ?? 0);
}

const PRUNABLE_ROLES: readonly WeightRole[] = ['kernel', 'depthwise_kernel'];
const ROLES: readonly string[] = [
  'kernel',
  'depthwise_kernel',
  'bias',
  'gamma',
  'beta',
  'moving_mean',
  'moving_variance',
];

/**
 * Nonzero weights of what the layer computes with: a masked position is 0 whatever `values`
 * holds there (a binarized kernel keeps +-scale under its mask; the executor multiplies by it).
 */
export function nonzeroCount(w: WeightTensor): number {
  let count = 0;
  const { values, mask } = w;
  for (let i = 0; i < values.length; i++) if (values[i] !== 0 && (!mask || mask[i])) count++;
  return count;
}

export function makeWeight(
  layer: string,
  role: WeightRole,
  shape: readonly number[],
  values: Float32Array,
): WeightTensor {
  return {
    name: `${layer}/${role}`,
    role,
    shape: [...shape],
    values,
    prunable: PRUNABLE_ROLES.includes(role),
    trainable: role !== 'moving_mean' && role !== 'moving_variance',
  };
}

function cloneWeight(w: WeightTensor): WeightTensor {
  return {
    ...w,
    shape: [...w.shape],
    values: w.values.slice(),
    mask: w.mask?.slice(),
    transform: w.transform ? cloneTransform(w.transform) : undefined,
    coding: w.coding ? cloneCoding(w.coding) : undefined,
  };
}

export class LayerGraph {
  private infoCache: { key: string; info: Map<string, NodeInfo> } | null = null;

  constructor(
    /** In topological order; the first is the InputLayer. */
    public nodes: GraphNode[],
    /** The node whose output is the model's output. */
    public output: string,
  ) {}

  /** Reads a tfjs model's structure and weights; throws ModelLoadError for what it cannot run. */
  static async fromModel(model: tf.LayersModel): Promise<LayerGraph> {
    if (model.inputs.length !== 1 || model.outputs.length !== 1) {
      throw new ModelLoadError('the lab runs models with one input and one output');
    }
    const inputLayer = model.inputs[0].sourceLayer;
    const nodes: GraphNode[] = [
      {
        name: inputLayer.name,
        className: 'InputLayer',
        config: { batchInputShape: [null, ...withoutBatch(model.inputs[0].shape)] },
        inbound: [],
        weights: [],
      },
    ];
    for (const layer of model.layers) {
      const className = layer.getClassName();
      if (className === 'InputLayer') continue;
      if (!(SUPPORTED_LAYERS as readonly string[]).includes(className)) {
        throw new ModelLoadError(
          `layer "${layer.name}" has type ${className}, which the lab does not support yet (supported: ${SUPPORTED_LAYERS.join(', ')})`,
        );
      }
      if (layer.inboundNodes.length !== 1) {
        throw new ModelLoadError(
          `layer "${layer.name}" is used ${layer.inboundNodes.length} times; the lab runs layers that are called once`,
        );
      }
      const weights: WeightTensor[] = [];
      for (const variable of layer.weights) {
        const shortName = variable.originalName.split('/').pop() ?? variable.originalName;
        if (!ROLES.includes(shortName)) {
          throw new ModelLoadError(
            `layer "${layer.name}" has a weight "${shortName}" the lab does not know`,
          );
        }
        const values = new Float32Array(await variable.read().data());
        weights.push(
          makeWeight(
            layer.name,
            shortName as WeightRole,
            variable.shape.map((d) => d ?? 0),
            values,
          ),
        );
      }
      const config = JSON.parse(JSON.stringify(layer.getConfig())) as Record<string, unknown>;
      nodes.push({
        name: layer.name,
        className,
        config,
        inbound: layer.inboundNodes[0].inboundLayers.map((l) => l.name),
        weights,
      });
    }
    const graph = new LayerGraph(nodes, model.outputs[0].sourceLayer.name);
    try {
      graph.checkShapes();
    } catch (err) {
      throw new ModelLoadError(err instanceof Error ? err.message : String(err));
    }
    return graph;
  }

  /** A deep copy: editing or training the clone never touches this graph. */
  clone(): LayerGraph {
    return new LayerGraph(
      this.nodes.map((n) => ({
        ...n,
        config: JSON.parse(JSON.stringify(n.config)) as LayerConfig,
        inbound: [...n.inbound],
        weights: n.weights.map(cloneWeight),
        outputTransform: n.outputTransform ? cloneTransform(n.outputTransform) : undefined,
      })),
      this.output,
    );
  }

  get input(): GraphNode {
    return this.nodes[0];
  }

  /** Input shape of one digit, without the batch dimension. */
  get inputShape(): readonly number[] {
    return (this.input.config.batchInputShape as (number | null)[]).slice(1) as number[];
  }

  node(name: string): GraphNode {
    const node = this.nodes.find((n) => n.name === name);
    if (!node) throw new GraphError(`the model has no layer "${name}"`);
    return node;
  }

  hasNode(name: string): boolean {
    return this.nodes.some((n) => n.name === name);
  }

  /** Nodes that read `name`'s output. */
  consumers(name: string): GraphNode[] {
    return this.nodes.filter((n) => n.inbound.includes(name));
  }

  /** Every weight tensor, in node order: what is stored and counted. */
  get weights(): WeightTensor[] {
    return this.nodes.flatMap((n) => n.weights);
  }

  /** The kernels a pruning technique may zero. */
  prunableWeights(): WeightTensor[] {
    return this.weights.filter((w) => w.prunable);
  }

  /** Conv and dense layers (those whose kernels pruning and per-layer controls act on). */
  weightedLayers(): GraphNode[] {
    return this.nodes.filter((n) => n.weights.some((w) => w.prunable));
  }

  /**
   * Everything that decides how the graph computes, weights' values excluded: two graphs with
   * the same key run the same program.
   */
  structureKey(): string {
    return JSON.stringify([
      this.output,
      this.nodes.map((n) => [
        n.name,
        n.className,
        n.config,
        n.inbound,
        n.weights.map((w) => [w.role, w.shape, transformStructure(w.transform)]),
        transformStructure(n.outputTransform),
      ]),
    ]);
  }

  /** Shapes, MACs and params of every node, inferred in topological order (memoized). */
  info(): Map<string, NodeInfo> {
    const key = this.structureKey();
    if (this.infoCache?.key === key) return this.infoCache.info;
    const info = new Map<string, NodeInfo>();
    const seen = new Set<string>();
    for (const node of this.nodes) {
      if (seen.has(node.name)) throw new GraphError(`two layers are named "${node.name}"`);
      seen.add(node.name);
      const inputShapes = node.inbound.map((name) => {
        const source = info.get(name);
        if (!source) {
          throw new GraphError(
            `layer "${node.name}" reads "${name}", which does not come before it`,
          );
        }
        return source.outputShape;
      });
      const kind = layerKind(node.className);
      const outputShape = kind.outputShape(node, inputShapes);
      info.set(node.name, {
        node,
        inputShapes,
        outputShape,
        macs: kind.macs?.(node, inputShapes, outputShape) ?? 0,
        params: node.weights.reduce((sum, w) => sum + w.values.length, 0),
      });
    }
    if (!info.has(this.output))
      throw new GraphError(`the output layer "${this.output}" is missing`);
    this.infoCache = { key, info };
    return info;
  }

  /**
   * Infers every shape and checks that each is one a tensor can have: whole, positive sizes for
   * every weight and every layer's output (a stride of 0 or a padding of -5 in a file gives
   * infinite or empty ones). Throws GraphError naming the layer.
   */
  checkShapes(): void {
    const positive = (dims: readonly number[]) => dims.every((d) => Number.isInteger(d) && d > 0);
    for (const { node, outputShape } of this.info().values()) {
      if (!positive(outputShape)) {
        throw new GraphError(`layer "${node.name}" would output shape [${outputShape.join(', ')}]`);
      }
      for (const w of node.weights) {
        if (!positive(w.shape)) {
          throw new GraphError(`weight ${w.name} has shape [${w.shape.join(', ')}]`);
        }
      }
    }
  }

  outputShapeOf(name: string): readonly number[] {
    const found = this.info().get(name);
    if (!found) throw new GraphError(`the model has no layer "${name}"`);
    return found.outputShape;
  }

  get params(): number {
    return this.weights.reduce((sum, w) => sum + w.values.length, 0);
  }

  /** Weights the network computes with that are not zero (see nonzeroCount). */
  get nonzeroParams(): number {
    return this.weights.reduce((sum, w) => sum + nonzeroCount(w), 0);
  }

  get macs(): number {
    let total = 0;
    for (const i of this.info().values()) total += i.macs;
    return total;
  }

  /** MACs left when products with zero weights are skipped (what a sparse kernel would do). */
  get sparseMacs(): number {
    let total = 0;
    for (const { node, macs } of this.info().values()) {
      const kernel = node.weights.find((w) => w.prunable);
      if (!kernel || macs === 0) {
        total += macs;
        continue;
      }
      total += (macs * nonzeroCount(kernel)) / kernel.values.length;
    }
    return Math.round(total);
  }

  /** Output channels (filters or units) of every conv and dense layer, for reports. */
  channelCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const node of this.nodes) {
      if (isProducer(node.className)) {
        const shape = this.outputShapeOf(node.name);
        counts[node.name] = shape[shape.length - 1];
      }
    }
    return counts;
  }
}

export { product };
