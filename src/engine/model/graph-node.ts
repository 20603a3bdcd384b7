/**
 * What a node of the lab's layer graph holds (its layer class, config, inbound edges and
 * weights), apart from the graph that infers shapes over them (graph.ts): the layer executor
 * (layers.ts) reads nodes, and the graph runs the executor's layer kinds.
 */
import type { WeightCoding } from './coding.ts';

/** A layer's config as tfjs's getConfig() writes it (camelCase keys, JSON-safe values). */
export type LayerConfig = Readonly<Record<string, unknown>>;

/** The short name of a weight inside its layer, as tfjs names variables. */
export type WeightRole =
  'kernel' | 'depthwise_kernel' | 'bias' | 'gamma' | 'beta' | 'moving_mean' | 'moving_variance';

export interface WeightTensor {
  /** Full variable name, e.g. "conv1/kernel". */
  readonly name: string;
  readonly role: WeightRole;
  shape: readonly number[];
  values: Float32Array;
  /** Conv, depthwise and dense kernels: what pruning may zero and masks hold. */
  readonly prunable: boolean;
  /** Moving batch-norm statistics are updated by training, not by the optimizer. */
  readonly trainable: boolean;
  /** 1 = kept, 0 = pruned; absent when nothing is pruned. Fine-tuning keeps masked weights 0. */
  mask?: Uint8Array;
  /** Width of relative indices when stored sparse; absent: the smallest blob decides. */
  indexBits?: number;
  /**
   * A forward-pass transform applied to the weight while training and evaluating (e.g. a
   * fake-quantizer), with its parameters; see train/constraints.ts.
   */
  transform?: WeightTransformRef;
  /** How a quantizer stores this tensor (see coding.ts); absent: 32-bit floats. */
  coding?: WeightCoding;
}

export interface WeightTransformRef {
  readonly id: string;
  readonly params: Readonly<Record<string, number>>;
  /**
   * Tensors the transform computes with: a codebook and the indices into it, TTQ's scales, an
   * activation range. Trainable ones are fine-tuned with the weights and read back here.
   */
  readonly tensors?: Readonly<Record<string, TransformTensor>>;
}

export interface TransformTensor {
  readonly shape: readonly number[];
  values: Float32Array;
  readonly trainable: boolean;
}

export interface GraphNode {
  readonly name: string;
  readonly className: string;
  config: LayerConfig;
  /** Names of the nodes whose outputs this node reads, in order. */
  inbound: readonly string[];
  weights: WeightTensor[];
  /** A forward-pass transform of this node's output (e.g. activation fake-quantization). */
  outputTransform?: WeightTransformRef;
}
