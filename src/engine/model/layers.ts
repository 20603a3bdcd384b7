/**
 * What the engine knows about each layer class: its output shape, its MACs, how it computes
 * (written with the same tf ops, in the same order, as tfjs-layers' own `call`, so a graph
 * imported from a LayersModel predicts exactly what the model predicts), and how channels flow
 * through it (what a structural edit must change when filters are removed upstream).
 */
import * as tf from '@tensorflow/tfjs';
import type { GraphNode } from './graph-node.ts';
import {
  MAX_ACTIVATION_BINARIZATIONS,
  xnorConv2d,
  xnorDense,
  type ConvGeometry,
} from './binary-arithmetic.ts';
import { batchNormInTraining } from '../train/batch-norm.ts';

/** Layer classes the engine understands (those of small CNNs and MLPs, with branches). */
export const SUPPORTED_LAYERS = [
  'InputLayer',
  'Conv2D',
  'DepthwiseConv2D',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'GlobalMaxPooling2D',
  'Flatten',
  'Reshape',
  'Dense',
  'Dropout',
  'BatchNormalization',
  'Activation',
  'ReLU',
  'LeakyReLU',
  'Softmax',
  'ZeroPadding2D',
  'Add',
  'Multiply',
  'Concatenate',
  'BinaryConv2D',
  'BinaryDense',
  'PReLU',
  'Scale',
] as const;

/**
 * How the last (channel) axis flows through a layer, for edits that remove channels:
 * - produce: conv and dense layers make new channels from their kernels (input channels are a
 *   kernel axis, output channels the last one); removal stops here;
 * - elementwise: channel c in is channel c out (activations, pooling, dropout, padding);
 * - batchnorm: like elementwise, with a per-channel entry in every weight;
 * - depthwise: channel c in is channels c*m .. c*m+m-1 out;
 * - flatten: channel c of an HxWxC input is every feature (h*W + w)*C + c;
 * - concat, add: several inputs meet (channel offsets; equal channels on every side);
 * - block: channels cannot be traced through it (Reshape, Softmax over channels).
 */
export type ChannelFlow =
  'produce' | 'elementwise' | 'batchnorm' | 'depthwise' | 'flatten' | 'concat' | 'add' | 'block';

export interface ForwardContext {
  readonly training: boolean;
  /** Seeds for dropout masks, drawn in node order so training is reproducible. */
  readonly nextSeed?: () => number;
  /** Extra dropout on a node's input while training (fine-tuning's dropout rate), by node. */
  readonly inputDropout?: ReadonlyMap<string, number>;
  /** Batch statistics seen by batch-norm layers while training, for the moving averages. */
  readonly batchStats?: Map<string, { mean: tf.Tensor; variance: tf.Tensor }>;
  /**
   * Batch norm in training mode through the lab's kernels (src/engine/train/batch-norm.ts)
   * instead of tf.moments + tf.batchNorm. Same formulas, other rounding: a recipe's fine-tuning
   * leaves it off, so that links give the numbers they gave before the kernels existed
   * (docs/links-keep-their-numbers.md); batch-norm recalibration, written with it, keeps it.
   */
  readonly labBatchNorm?: boolean;
  /**
   * Fast kernels by node (conv and dense): each returns what tf.conv2d / tf.matMul + bias
   * returns, and the layer applies its activation after it. Evaluation for latency only.
   */
  readonly kernels?: ReadonlyMap<string, (x: tf.Tensor) => tf.Tensor>;
}

export interface LayerKind {
  /** Output shape without the batch dimension; throws Error naming what is unsupported. */
  outputShape(node: GraphNode, inputs: readonly (readonly number[])[]): number[];
  macs?(node: GraphNode, inputs: readonly (readonly number[])[], output: readonly number[]): number;
  forward(
    node: GraphNode,
    inputs: tf.Tensor[],
    weights: readonly tf.Tensor[],
    context: ForwardContext,
  ): tf.Tensor;
  readonly channels: ChannelFlow;
}

const product = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/** A size given as one number or two (strides, dilation, pool size: at least 1; padding: 0). */
function pair(value: unknown, what: string, node: GraphNode, min = 1): [number, number] {
  const ok = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= min;
  if (ok(value)) return [value, value];
  if (Array.isArray(value) && value.length === 2 && value.every(ok)) {
    return [value[0] as number, value[1] as number];
  }
  throw new Error(`layer "${node.name}" has an unreadable ${what}`);
}

/** A number from the layer's config, `fallback` when absent; throws when it is not `ok`. */
function configNumber(
  node: GraphNode,
  key: string,
  fallback: number,
  ok: (v: number) => boolean,
  what: string,
): number {
  const raw = node.config[key] ?? fallback;
  if (typeof raw !== 'number' || !ok(raw)) {
    throw new Error(`layer "${node.name}" has ${what} ${JSON.stringify(raw)?.slice(0, 20)}`);
  }
  return raw;
}

function checkChannelsLast(node: GraphNode): void {
  const format = node.config.dataFormat;
  if (format != null && format !== 'channelsLast') {
    throw new Error(
      `layer "${node.name}" uses ${String(format)}; the lab runs channelsLast models`,
    );
  }
}

function padding(node: GraphNode): 'same' | 'valid' {
  const value = node.config.padding ?? 'valid';
  if (value !== 'same' && value !== 'valid') {
    throw new Error(
      `layer "${node.name}" uses padding "${String(value)}" (supported: same, valid)`,
    );
  }
  return value;
}

/** tfjs's convOutputLength for one spatial axis. */
function windowOutput(
  size: number,
  window: number,
  stride: number,
  pad: 'same' | 'valid',
  dilation = 1,
): number {
  const dilated = window + (window - 1) * (dilation - 1);
  const length = pad === 'same' ? size : size - dilated + 1;
  return Math.floor((length + stride - 1) / stride);
}

function single(node: GraphNode, inputs: readonly (readonly number[])[]): readonly number[] {
  if (inputs.length !== 1) {
    throw new Error(
      `layer "${node.name}" (${node.className}) takes one input, not ${inputs.length}`,
    );
  }
  return inputs[0];
}

function spatial(node: GraphNode, inputs: readonly (readonly number[])[]): readonly number[] {
  const input = single(node, inputs);
  if (input.length !== 3) {
    throw new Error(
      `layer "${node.name}" (${node.className}) needs an image input [h, w, c], got [${input.join(', ')}]`,
    );
  }
  checkChannelsLast(node);
  return input;
}

// Activations by name, through tfjs-layers' own Activation layer so every function (softmax,
// selu, ...) computes exactly as in a LayersModel. Instances are stateless and shared.
const activationLayers = new Map<string, tf.layers.Layer>();

function activationName(node: GraphNode): string {
  const name = node.config.activation ?? 'linear';
  if (typeof name !== 'string')
    throw new Error(`layer "${node.name}" has an unreadable activation`);
  return name;
}

export function applyActivation(name: string, x: tf.Tensor): tf.Tensor {
  if (name === 'linear') return x;
  let layer = activationLayers.get(name);
  if (!layer) {
    layer = tf.layers.activation({ activation: name as 'relu' });
    activationLayers.set(name, layer);
  }
  return layer.apply(x) as tf.Tensor;
}

/** Validates an activation name at load time, so a bad one fails with the layer's name. */
function checkActivation(node: GraphNode): void {
  const name = activationName(node);
  try {
    tf.tidy(() => {
      applyActivation(name, tf.zeros([1, 1]));
    });
  } catch {
    throw new Error(`layer "${node.name}" uses activation "${name}", which tfjs does not know`);
  }
}

/** An activation after a kernel that did not fuse it. */
function applyFusable(name: string, y: tf.Tensor): tf.Tensor {
  if (name === 'relu') return tf.relu(y);
  if (name === 'elu') return tf.elu(y);
  return applyActivation(name, y);
}

/** tfjs-layers fuses these into conv and matMul kernels (mapActivationToFusedKernel). */
function fusedActivation(name: string): 'relu' | 'linear' | 'elu' | null {
  return name === 'relu' || name === 'linear' || name === 'elu' ? name : null;
}

function biasOf(node: GraphNode, weights: readonly tf.Tensor[]): tf.Tensor | null {
  const index = node.weights.findIndex((w) => w.role === 'bias');
  return index < 0 ? null : weights[index];
}

function kernelOf(node: GraphNode, weights: readonly tf.Tensor[]): tf.Tensor {
  const index = node.weights.findIndex((w) => w.role === 'kernel' || w.role === 'depthwise_kernel');
  if (index < 0) throw new Error(`layer "${node.name}" has no kernel`);
  return weights[index];
}

function kernelShape(node: GraphNode): readonly number[] {
  const kernel = node.weights.find((w) => w.role === 'kernel' || w.role === 'depthwise_kernel');
  if (!kernel) throw new Error(`layer "${node.name}" has no kernel`);
  return kernel.shape;
}

/** Adds a 1-D bias the way K.biasAdd does (reshaped to the input's rank). */
function addBias(x: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  if (x.rank < 3) return tf.add(x, bias);
  return tf.add(x, tf.reshape(bias, [...new Array<number>(x.rank - 1).fill(1), bias.shape[0]]));
}

function maybeDropout(node: GraphNode, x: tf.Tensor, context: ForwardContext): tf.Tensor {
  const rate = context.inputDropout?.get(node.name);
  if (!context.training || !rate) return x;
  return tf.dropout(x, rate, undefined, context.nextSeed?.());
}

const conv2d: LayerKind = {
  channels: 'produce',
  outputShape(node, inputs) {
    const [h, w, c] = spatial(node, inputs);
    checkActivation(node);
    const [kh, kw, inC, outC] = kernelShape(node);
    if (inC !== c) {
      throw new Error(`layer "${node.name}" expects ${inC} input channels, gets ${c}`);
    }
    const [sh, sw] = pair(node.config.strides ?? 1, 'stride', node);
    const [dh, dw] = pair(node.config.dilationRate ?? 1, 'dilation', node);
    if (Math.max(sh, sw) > 1 && Math.max(dh, dw) > 1) {
      throw new Error(
        `layer "${node.name}" has both strides and dilation (tfjs runs one or the other)`,
      );
    }
    const pad = padding(node);
    return [windowOutput(h, kh, sh, pad, dh), windowOutput(w, kw, sw, pad, dw), outC];
  },
  macs(node, _inputs, output) {
    const [kh, kw, inC] = kernelShape(node);
    return product(output) * kh * kw * inC;
  },
  forward(node, [x], weights, context) {
    const act = activationName(node);
    const fast = context.kernels?.get(node.name);
    if (fast) return applyFusable(act, fast(x));
    const fused = fusedActivation(act);
    const y = tf.fused.conv2d({
      x: maybeDropout(node, x, context) as tf.Tensor4D,
      filter: kernelOf(node, weights) as tf.Tensor4D,
      strides: pair(node.config.strides ?? 1, 'stride', node),
      pad: padding(node),
      dilations: pair(node.config.dilationRate ?? 1, 'dilation', node),
      dataFormat: 'NHWC',
      bias: biasOf(node, weights) ?? undefined,
      activation: (fused ?? null) as 'linear',
    });
    return fused ? y : applyActivation(act, y);
  },
};

const depthwiseConv2d: LayerKind = {
  channels: 'depthwise',
  outputShape(node, inputs) {
    const [h, w, c] = spatial(node, inputs);
    checkActivation(node);
    const [kh, kw, inC, multiplier] = kernelShape(node);
    if (inC !== c) {
      throw new Error(`layer "${node.name}" expects ${inC} input channels, gets ${c}`);
    }
    const [sh, sw] = pair(node.config.strides ?? 1, 'stride', node);
    const pad = padding(node);
    // tfjs-layers' DepthwiseConv2D ignores dilation in call(); refuse it rather than differ.
    const [dh, dw] = pair(node.config.dilationRate ?? 1, 'dilation', node);
    if (dh !== 1 || dw !== 1)
      throw new Error(`layer "${node.name}": dilated depthwise convs are not supported`);
    return [windowOutput(h, kh, sh, pad), windowOutput(w, kw, sw, pad), c * multiplier];
  },
  macs(node, _inputs, output) {
    const [kh, kw] = kernelShape(node);
    return product(output) * kh * kw;
  },
  forward(node, [x], weights, context) {
    let y: tf.Tensor = tf.depthwiseConv2d(
      maybeDropout(node, x, context) as tf.Tensor4D,
      kernelOf(node, weights) as tf.Tensor4D,
      pair(node.config.strides ?? 1, 'stride', node),
      padding(node),
      'NHWC',
    );
    const bias = biasOf(node, weights);
    if (bias) y = addBias(y, bias);
    return applyActivation(activationName(node), y);
  },
};

const dense: LayerKind = {
  channels: 'produce',
  outputShape(node, inputs) {
    const input = single(node, inputs);
    checkActivation(node);
    const [inUnits, units] = kernelShape(node);
    if (input[input.length - 1] !== inUnits) {
      throw new Error(
        `layer "${node.name}" expects ${inUnits} input features, gets ${input[input.length - 1]}`,
      );
    }
    return [...input.slice(0, -1), units];
  },
  macs(node, _inputs, output) {
    return product(output) * kernelShape(node)[0];
  },
  forward(node, [input], weights, context) {
    const x = maybeDropout(node, input, context);
    const act = activationName(node);
    const fast = context.kernels?.get(node.name);
    if (fast) return applyFusable(act, fast(x));
    const fused = fusedActivation(act);
    const kernel = kernelOf(node, weights) as tf.Tensor2D;
    const bias = biasOf(node, weights);
    // K.dot: inputs of rank > 2 are flattened to 2-D, multiplied, and reshaped back.
    const a = x.rank === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [-1, x.shape[x.rank - 1]]);
    let y: tf.Tensor;
    if (fused) {
      y = tf.fused.matMul({
        a: a as tf.Tensor2D,
        b: kernel,
        bias: bias ?? undefined,
        activation: fused,
      });
    } else {
      y = tf.fused.matMul({ a: a as tf.Tensor2D, b: kernel });
    }
    if (x.rank !== 2) y = tf.reshape(y, [...x.shape.slice(0, -1), kernel.shape[1]]);
    if (fused) return y;
    if (bias) y = addBias(y, bias);
    return applyActivation(act, y);
  },
};

/**
 * A pool's explicit padding [[top, bottom], [left, right]] (the lab's `pads` key, for ONNX
 * pools): padded cells are never the maximum and never counted in an average.
 */
function poolPads(node: GraphNode): [[number, number], [number, number]] | null {
  if (node.config.pads == null) return null;
  const raw = node.config.pads;
  if (!Array.isArray(raw) || raw.length !== 2)
    throw new Error(`layer "${node.name}" has unreadable pads`);
  return [pair(raw[0], 'pads', node, 0), pair(raw[1], 'pads', node, 0)];
}

/**
 * The average of each window's cells inside the image (padding not counted), as the mean over
 * the zero-padded image times (window size / cells inside): tfjs's avgPool with padding gives
 * these values but a gradient that divides by the whole window, so training takes this form.
 */
function averageExcludingPads(
  x: tf.Tensor4D,
  [kh, kw]: [number, number],
  [sh, sw]: [number, number],
  [[top, bottom], [left, right]]: [[number, number], [number, number]],
): tf.Tensor {
  const [, h, w] = x.shape;
  const padded = tf.pad(x, [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ]);
  const means = tf.avgPool(padded, [kh, kw], [sh, sw], 'valid');
  const [, outH, outW] = means.shape;
  const inside = (start: number, window: number, size: number) =>
    Math.min(start + window, size) - Math.max(start, 0);
  const scale = new Float32Array(outH * outW);
  for (let y = 0; y < outH; y++) {
    for (let z = 0; z < outW; z++) {
      const cells = inside(y * sh - top, kh, h) * inside(z * sw - left, kw, w);
      scale[y * outW + z] = cells > 0 ? (kh * kw) / cells : 0;
    }
  }
  return tf.mul(means, tf.tensor4d(scale, [1, outH, outW, 1]));
}

function poolKind(mode: 'max' | 'avg'): LayerKind {
  const windows = (node: GraphNode) => {
    const size = pair(node.config.poolSize ?? 2, 'pool size', node);
    const strides = node.config.strides == null ? size : pair(node.config.strides, 'stride', node);
    return { size, strides };
  };
  return {
    channels: 'elementwise',
    outputShape(node, inputs) {
      const [h, w, c] = spatial(node, inputs);
      const { size, strides } = windows(node);
      const pad = padding(node);
      const pads = poolPads(node);
      if (pads && pad !== 'valid')
        throw new Error(`layer "${node.name}" has both pads and padding "${pad}"`);
      const [[top, bottom], [left, right]] = pads ?? [
        [0, 0],
        [0, 0],
      ];
      return [
        windowOutput(h + top + bottom, size[0], strides[0], pad),
        windowOutput(w + left + right, size[1], strides[1], pad),
        c,
      ];
    },
    forward(node, [x]) {
      const { size, strides } = windows(node);
      const pads = poolPads(node);
      if (pads && mode === 'avg')
        return averageExcludingPads(x as tf.Tensor4D, size, strides, pads);
      const pool = mode === 'max' ? tf.maxPool : tf.avgPool;
      const pad = pads ? [[0, 0], ...pads, [0, 0]] : padding(node);
      return pool(x as tf.Tensor4D, size, strides, pad as 'valid');
    },
  };
}

function globalPoolKind(mode: 'max' | 'avg'): LayerKind {
  return {
    channels: 'elementwise',
    outputShape(node, inputs) {
      const [, , c] = spatial(node, inputs);
      if (node.config.keepDims) throw new Error(`layer "${node.name}": keepDims is not supported`);
      return [c];
    },
    forward(_node, [x]) {
      return mode === 'max' ? tf.max(x, [1, 2]) : tf.mean(x, [1, 2]);
    },
  };
}

const flatten: LayerKind = {
  channels: 'flatten',
  outputShape(node, inputs) {
    checkChannelsLast(node);
    return [product(single(node, inputs))];
  },
  forward(_node, [x]) {
    return tf.reshape(x, [x.shape[0], product(x.shape.slice(1))]);
  },
};

function targetShape(node: GraphNode, input: readonly number[]): number[] {
  const target = node.config.targetShape;
  if (!Array.isArray(target)) throw new Error(`layer "${node.name}" has no target shape`);
  const dims = target.map((d) => (d == null ? -1 : Number(d)));
  const known = product(dims.filter((d) => d !== -1));
  const unknown = dims.filter((d) => d === -1).length;
  const total = product(input);
  if (unknown > 1 || (unknown === 0 && known !== total) || (unknown === 1 && total % known !== 0)) {
    throw new Error(
      `layer "${node.name}" cannot reshape [${input.join(', ')}] to [${dims.join(', ')}]`,
    );
  }
  return dims.map((d) => (d === -1 ? total / known : d));
}

const reshape: LayerKind = {
  channels: 'block',
  outputShape: (node, inputs) => targetShape(node, single(node, inputs)),
  forward(node, [x]) {
    return tf.reshape(x, [x.shape[0], ...targetShape(node, x.shape.slice(1))]);
  },
};

const dropoutRate = (node: GraphNode) =>
  configNumber(node, 'rate', 0, (r) => r >= 0 && r < 1, 'a dropout rate of');

const dropout: LayerKind = {
  channels: 'elementwise',
  outputShape(node, inputs) {
    dropoutRate(node);
    return [...single(node, inputs)];
  },
  forward(node, [x], _weights, context) {
    const rate = dropoutRate(node);
    if (!context.training || rate <= 0) return x;
    return tf.dropout(x, rate, undefined, context.nextSeed?.());
  },
};

function bnAxis(node: GraphNode, rank: number): number {
  const raw = node.config.axis ?? -1;
  const axis = Array.isArray(raw) ? raw[0] : raw;
  if (typeof axis !== 'number') throw new Error(`layer "${node.name}" has an unreadable axis`);
  return axis < 0 ? axis + rank : axis;
}

const batchNormalization: LayerKind = {
  channels: 'batchnorm',
  outputShape(node, inputs) {
    const input = single(node, inputs);
    // Batch axis included, the axis must be the last one: the lab's channel edits assume it.
    if (bnAxis(node, input.length + 1) !== input.length) {
      throw new Error(`layer "${node.name}" normalizes an axis other than the channels (last) one`);
    }
    if (input.length < 1 || input.length > 3) {
      throw new Error(
        `layer "${node.name}": batch norm of rank ${input.length + 1} is not supported`,
      );
    }
    configNumber(node, 'epsilon', 1e-3, (e) => e >= 0 && e < 1e30, 'an epsilon of');
    configNumber(node, 'momentum', 0.99, Number.isFinite, 'a momentum of');
    return [...input];
  },
  forward(node, [x], weights, context) {
    const role = (r: string) => {
      const i = node.weights.findIndex((w) => w.role === r);
      return i < 0 ? undefined : weights[i];
    };
    const epsilon = configNumber(node, 'epsilon', 1e-3, (e) => e >= 0, 'an epsilon of');
    const gamma = role('gamma');
    const beta = role('beta');
    const batchNorm = (mean: tf.Tensor, variance: tf.Tensor) => {
      const args = [mean, variance, beta, gamma, epsilon] as const;
      if (x.rank === 2)
        return tf.batchNorm2d(x as tf.Tensor2D, ...(args as unknown as [tf.Tensor1D, tf.Tensor1D]));
      if (x.rank === 3)
        return tf.batchNorm3d(x as tf.Tensor3D, ...(args as unknown as [tf.Tensor1D, tf.Tensor1D]));
      if (x.rank === 4)
        return tf.batchNorm4d(x as tf.Tensor4D, ...(args as unknown as [tf.Tensor1D, tf.Tensor1D]));
      throw new Error(`layer "${node.name}": batch norm of rank ${x.rank} is not supported`);
    };
    if (!context.training) return batchNorm(role('moving_mean')!, role('moving_variance')!);
    if (context.labBatchNorm && gamma && beta && x.rank >= 2) {
      // The lab's closed-form gradient (src/engine/train/batch-norm.ts); its statistics are kept.
      const { output, mean, variance } = batchNormInTraining(
        x,
        gamma as tf.Tensor1D,
        beta as tf.Tensor1D,
        epsilon,
      );
      if (context.batchStats) context.batchStats.set(node.name, { mean, variance });
      else tf.dispose([mean, variance]);
      return output;
    }
    const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
    const { mean, variance } = tf.moments(x, axes);
    context.batchStats?.set(node.name, { mean: tf.keep(mean), variance: tf.keep(variance) });
    return batchNorm(mean, variance);
  },
};

const activation: LayerKind = {
  channels: 'elementwise',
  outputShape(node, inputs) {
    checkActivation(node);
    return [...single(node, inputs)];
  },
  forward: (node, [x]) => applyActivation(activationName(node), x),
};

/** The largest float32. */
const FLOAT_MAX = 3.4028234663852886e38;

const reluMax = (node: GraphNode) =>
  node.config.maxValue == null
    ? null
    : configNumber(node, 'maxValue', 0, (v) => Math.abs(v) <= FLOAT_MAX, 'a maximum of');

/** The lab's `minValue` key (ONNX's Clip with a lower bound other than 0): clips below it. */
const reluMin = (node: GraphNode) =>
  configNumber(node, 'minValue', 0, (v) => Math.abs(v) <= FLOAT_MAX, 'a minimum of');

const relu: LayerKind = {
  channels: 'elementwise',
  outputShape(node, inputs) {
    const max = reluMax(node);
    const min = reluMin(node);
    if (max != null && max < min)
      throw new Error(`layer "${node.name}" has a maximum below its minimum`);
    return [...single(node, inputs)];
  },
  forward(node, [x]) {
    const max = reluMax(node);
    const min = reluMin(node);
    if (min !== 0) return tf.clipByValue(x, min, max ?? Infinity);
    const y = tf.relu(x);
    return max == null ? y : tf.clipByValue(y, 0, max);
  },
};

const leakyAlpha = (node: GraphNode) =>
  configNumber(node, 'alpha', 0.3, Number.isFinite, 'an alpha of');

const leakyRelu: LayerKind = {
  channels: 'elementwise',
  outputShape(node, inputs) {
    leakyAlpha(node);
    return [...single(node, inputs)];
  },
  forward: (node, [x]) => tf.leakyRelu(x, leakyAlpha(node)),
};

const softmax: LayerKind = {
  channels: 'block',
  outputShape(node, inputs) {
    const input = single(node, inputs);
    const axis = node.config.axis ?? -1;
    // tfjs's softmax runs over the last axis only (counted with the batch: input.length).
    if (axis !== -1 && axis !== input.length)
      throw new Error(`layer "${node.name}": softmax over an axis but the last is not supported`);
    return [...input];
  },
  forward: (node, [x]) => tf.softmax(x, Number(node.config.axis ?? -1)),
};

function paddingAmounts(node: GraphNode): [[number, number], [number, number]] {
  const raw = node.config.padding ?? 1;
  if (typeof raw === 'number') {
    const [p] = pair(raw, 'padding', node, 0);
    return [
      [p, p],
      [p, p],
    ];
  }
  if (Array.isArray(raw) && raw.length === 2) {
    const [a, b] = raw;
    const side = (v: unknown): [number, number] => pair(v, 'padding', node, 0);
    return [side(a), side(b)];
  }
  throw new Error(`layer "${node.name}" has an unreadable padding`);
}

const zeroPadding2d: LayerKind = {
  channels: 'elementwise',
  outputShape(node, inputs) {
    const [h, w, c] = spatial(node, inputs);
    const [[top, bottom], [left, right]] = paddingAmounts(node);
    return [h + top + bottom, w + left + right, c];
  },
  forward(node, [x]) {
    const [[top, bottom], [left, right]] = paddingAmounts(node);
    return tf.pad(x, [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ]);
  },
};

const add: LayerKind = {
  channels: 'add',
  outputShape(node, inputs) {
    if (inputs.length < 2) throw new Error(`layer "${node.name}" (Add) needs at least two inputs`);
    const first = inputs[0].join(',');
    if (inputs.some((s) => s.join(',') !== first)) {
      throw new Error(
        `layer "${node.name}" adds tensors of different shapes: ${inputs.map((s) => `[${s.join(', ')}]`).join(' + ')}`,
      );
    }
    return [...inputs[0]];
  },
  forward(_node, inputs) {
    let output = inputs[0].clone();
    for (let i = 1; i < inputs.length; i++) output = tf.add(output, inputs[i]);
    return output;
  },
};

/** The elementwise product of tensors of one shape (tfjs's Multiply merge layer). */
const multiply: LayerKind = {
  channels: 'add',
  outputShape(node, inputs) {
    if (inputs.length < 2)
      throw new Error(`layer "${node.name}" (Multiply) needs at least two inputs`);
    const first = inputs[0].join(',');
    if (inputs.some((s) => s.join(',') !== first)) {
      throw new Error(
        `layer "${node.name}" multiplies tensors of different shapes: ${inputs.map((s) => `[${s.join(', ')}]`).join(' * ')}`,
      );
    }
    return [...inputs[0]];
  },
  forward(_node, inputs) {
    let output = inputs[0].clone();
    for (let i = 1; i < inputs.length; i++) output = tf.mul(output, inputs[i]);
    return output;
  },
};

function concatAxis(node: GraphNode, rank: number): number {
  const axis = Number(node.config.axis ?? -1);
  return axis < 0 ? axis + rank : axis - 1; // rank without batch; a positive axis counts batch
}

const concatenate: LayerKind = {
  channels: 'concat',
  outputShape(node, inputs) {
    if (inputs.length < 2)
      throw new Error(`layer "${node.name}" (Concatenate) needs at least two inputs`);
    const rank = inputs[0].length;
    const axis = concatAxis(node, rank);
    if (axis !== rank - 1)
      throw new Error(`layer "${node.name}" concatenates along an axis other than the channels`);
    const rest = (s: readonly number[]) => s.slice(0, -1).join(',');
    if (inputs.some((s) => s.length !== rank || rest(s) !== rest(inputs[0]))) {
      throw new Error(`layer "${node.name}" concatenates tensors whose other dimensions differ`);
    }
    return [...inputs[0].slice(0, -1), inputs.reduce((sum, s) => sum + s[rank - 1], 0)];
  },
  forward: (_node, inputs) => tf.concat(inputs, -1),
};

const inputLayer: LayerKind = {
  channels: 'elementwise',
  outputShape(node) {
    const shape = node.config.batchInputShape;
    if (!Array.isArray(shape) || shape.slice(1).some((d) => typeof d !== 'number')) {
      throw new Error('the model input must have a fixed shape');
    }
    return shape.slice(1) as number[];
  },
  forward: (_node, [x]) => x,
};

// --- Binary layers (XNOR-Net, Rastegari et al. 2016; Tang et al. 2017) ---------------------
// The layer keeps its geometry, dropout, bias and activation; the binary product itself is the
// binary family's arithmetic (binary-arithmetic.ts).

/** Tang et al.'s multiple binarization: how many residual sign terms approximate the input. */
const activationBits = (node: GraphNode) =>
  configNumber(
    node,
    'activationBits',
    1,
    (v) => Number.isInteger(v) && v >= 1 && v <= MAX_ACTIVATION_BINARIZATIONS,
    'a number of activation binarizations of',
  );

/**
 * XNOR-Net conv: the binary product (xnorConv2d), then bias and activation. With a fast kernel
 * (the bit-packed XNOR/popcount kernels, for latency) it computes the same product.
 */
const binaryConv2d: LayerKind = {
  channels: 'produce',
  outputShape(node, inputs) {
    activationBits(node);
    return conv2d.outputShape(node, inputs);
  },
  macs: (node, inputs, output) => conv2d.macs!(node, inputs, output),
  forward(node, [x], weights, context) {
    const geometry: ConvGeometry = {
      strides: pair(node.config.strides ?? 1, 'stride', node),
      dilations: pair(node.config.dilationRate ?? 1, 'dilation', node),
      pad: padding(node),
    };
    const fast = context.kernels?.get(node.name);
    const kernel = kernelOf(node, weights) as tf.Tensor4D;
    const input = maybeDropout(node, x, context) as tf.Tensor4D;
    let y = xnorConv2d({ input, kernel, binarizations: activationBits(node), fast }, geometry);
    const bias = biasOf(node, weights);
    if (bias) y = addBias(y, bias);
    return applyFusable(activationName(node), y);
  },
};

/** XNOR-Net dense: the binary product (xnorDense), then bias and activation. */
const binaryDense: LayerKind = {
  channels: 'produce',
  outputShape(node, inputs) {
    activationBits(node);
    const input = single(node, inputs);
    if (input.length !== 1) {
      throw new Error(
        `layer "${node.name}" (BinaryDense) takes flat inputs, not [${input.join(', ')}]`,
      );
    }
    return dense.outputShape(node, inputs);
  },
  macs: (node, inputs, output) => dense.macs!(node, inputs, output),
  forward(node, [x], weights, context) {
    const fast = context.kernels?.get(node.name);
    const kernel = kernelOf(node, weights) as tf.Tensor2D;
    const input = maybeDropout(node, x, context) as tf.Tensor2D;
    let y = xnorDense({ input, kernel, binarizations: activationBits(node), fast });
    const bias = biasOf(node, weights);
    if (bias) y = addBias(y, bias);
    return applyFusable(activationName(node), y);
  },
};

/** A per-channel weight of an elementwise layer (PReLU slopes, Scale factors), held as gamma. */
function channelWeight(node: GraphNode, weights: readonly tf.Tensor[]): tf.Tensor {
  const index = node.weights.findIndex((w) => w.role === 'gamma');
  if (index < 0) throw new Error(`layer "${node.name}" (${node.className}) has no gamma`);
  return weights[index];
}

function checkChannelWeight(node: GraphNode, input: readonly number[]): void {
  const gamma = node.weights.find((w) => w.role === 'gamma');
  const channels = input[input.length - 1];
  if (!gamma || gamma.shape.length !== 1 || gamma.shape[0] !== channels) {
    throw new Error(
      `layer "${node.name}" (${node.className}) needs one gamma per channel (${channels})`,
    );
  }
}

/** PReLU (He et al. 2015) with one learned slope per channel; Tang et al. use it for ReLU. */
const prelu: LayerKind = {
  channels: 'batchnorm',
  outputShape(node, inputs) {
    const input = single(node, inputs);
    checkChannelWeight(node, input);
    return [...input];
  },
  forward: (node, [x], weights) => tf.prelu(x, channelWeight(node, weights)),
};

/**
 * A learned per-channel scale (Caffe's Scale layer): Tang et al. put one before the softmax.
 * With a beta it also shifts each channel (x * gamma + beta; ONNX's Add, Sub and HardSigmoid).
 */
const scale: LayerKind = {
  channels: 'batchnorm',
  outputShape(node, inputs) {
    const input = single(node, inputs);
    checkChannelWeight(node, input);
    const beta = node.weights.find((w) => w.role === 'beta');
    if (beta && (beta.shape.length !== 1 || beta.shape[0] !== input[input.length - 1]))
      throw new Error(`layer "${node.name}" (Scale) needs one beta per channel`);
    return [...input];
  },
  forward(node, [x], weights) {
    const y = tf.mul(x, channelWeight(node, weights));
    const beta = node.weights.findIndex((w) => w.role === 'beta');
    return beta < 0 ? y : tf.add(y, weights[beta]);
  },
};

const KINDS: Readonly<Record<(typeof SUPPORTED_LAYERS)[number], LayerKind>> = {
  InputLayer: inputLayer,
  Conv2D: conv2d,
  DepthwiseConv2D: depthwiseConv2d,
  MaxPooling2D: poolKind('max'),
  AveragePooling2D: poolKind('avg'),
  GlobalAveragePooling2D: globalPoolKind('avg'),
  GlobalMaxPooling2D: globalPoolKind('max'),
  Flatten: flatten,
  Reshape: reshape,
  Dense: dense,
  Dropout: dropout,
  BatchNormalization: batchNormalization,
  Activation: activation,
  ReLU: relu,
  LeakyReLU: leakyRelu,
  Softmax: softmax,
  ZeroPadding2D: zeroPadding2d,
  Add: add,
  Multiply: multiply,
  Concatenate: concatenate,
  BinaryConv2D: binaryConv2d,
  BinaryDense: binaryDense,
  PReLU: prelu,
  Scale: scale,
};

export function layerKind(className: string): LayerKind {
  const kind = Object.hasOwn(KINDS, className)
    ? (KINDS as Record<string, LayerKind>)[className]
    : undefined;
  if (!kind) {
    throw new Error(
      `layer type ${className} is not supported (supported: ${SUPPORTED_LAYERS.join(', ')})`,
    );
  }
  return kind;
}

/** Conv and dense layers: they make their output channels from their own kernel. */
export function isProducer(className: string): boolean {
  return Object.hasOwn(KINDS, className) && layerKind(className).channels === 'produce';
}
