/**
 * The weights a model.json's topology declares, read from its layer configs alone: each
 * layer's output shape is inferred from the input shape, so a Dense layer's kernel is
 * [features in, units], a Conv2D's [kh, kw, channels in, filters], and so on, as tfjs-layers
 * would build them. Nothing is allocated: the loader compares this with the weights manifest
 * (and a limit) before tfjs builds the model, whose variables take the memory these shapes
 * say. A crafted 700-byte file declaring `units: 1000000` would otherwise cost gigabytes
 * before its (empty) manifest is even read.
 *
 * Dimensions the model leaves open (the batch, or a free spatial size) are null; a weight
 * whose shape would depend on one is an error, as it is in tfjs.
 */
import { ModelLoadError } from './errors.ts';

export type Json = Record<string, unknown>;
export const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
/** A config key as tfjs writes it (snake_case) or as its getConfig() does (camelCase). */
export const field = (o: Json, snake: string, camel: string) => (snake in o ? o[snake] : o[camel]);

/** An inbound reference [layer name, node index, tensor index, kwargs?], or undefined. */
export function reference(
  value: unknown,
): { layer: string; node: number; tensor: number } | undefined {
  if (!Array.isArray(value) || value.length < 3 || value.length > 4) return undefined;
  const [layer, node, tensor, kwargs] = value as unknown[];
  const index = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 0;
  if (typeof layer !== 'string' || !index(node) || !index(tensor)) return undefined;
  if (kwargs !== undefined && kwargs !== null && !isObject(kwargs)) return undefined;
  return { layer, node: node as number, tensor: tensor as number };
}

/** One weight a layer will make: its variable name (layer/role) and shape. */
export interface DeclaredWeight {
  readonly name: string;
  readonly shape: readonly number[];
  readonly size: number;
}

/** A shape without the batch dimension; null where the model leaves a size open. */
type Shape = readonly (number | null)[];

interface LayerJson {
  readonly className: string;
  readonly name: string;
  readonly config: Json;
}

const product = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/** A size config: one whole number or one per spatial axis, each at least `min`. */
function sizes(value: unknown, what: string, layer: LayerJson, min = 1): [number, number] {
  const ok = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= min;
  if (ok(value)) return [value, value];
  if (Array.isArray(value) && value.length === 2 && value.every(ok)) {
    return [value[0] as number, value[1] as number];
  }
  throw new ModelLoadError(`layer "${layer.name}" has an unreadable ${what}`);
}

function count(layer: LayerJson, snake: string, camel: string, what: string): number {
  const value = field(layer.config, snake, camel);
  if (!Number.isSafeInteger(value) || (value as number) < 1) {
    throw new ModelLoadError(
      `layer "${layer.name}" has ${what} ${JSON.stringify(value)?.slice(0, 20)}`,
    );
  }
  return value as number;
}

const flag = (layer: LayerJson, snake: string, camel: string) =>
  field(layer.config, snake, camel) !== false;

/** tfjs's convOutputLength for one spatial axis; null stays null. */
function windowOutput(
  size: number | null,
  window: number,
  stride: number,
  padding: unknown,
  dilation = 1,
): number | null {
  if (size === null) return null;
  const dilated = window + (window - 1) * (dilation - 1);
  const length = padding === 'same' ? size : size - dilated + 1;
  return Math.max(0, Math.floor((length + stride - 1) / stride));
}

function spatialInput(layer: LayerJson, input: Shape): Shape {
  if (input.length !== 3) {
    throw new ModelLoadError(
      `layer "${layer.name}" (${layer.className}) needs an image input [h, w, c], got [${input.join(', ')}]`,
    );
  }
  const format = field(layer.config, 'data_format', 'dataFormat');
  if (format != null && format !== 'channels_last' && format !== 'channelsLast') {
    throw new ModelLoadError(
      `layer "${layer.name}" uses ${String(format)}; the lab runs channels_last models`,
    );
  }
  return input;
}

/** A size the weights depend on, which the model must fix. */
function known(layer: LayerJson, size: number | null | undefined, what: string): number {
  if (size === null || size === undefined) {
    throw new ModelLoadError(
      `layer "${layer.name}" (${layer.className}) needs a known number of ${what}; the model leaves it open`,
    );
  }
  return size;
}

interface LayerResult {
  readonly output: Shape;
  readonly weights: readonly (readonly [role: string, shape: readonly number[]])[];
}

function convLike(layer: LayerJson, input: Shape, depthwise: boolean): LayerResult {
  const [h, w, c] = spatialInput(layer, input);
  const channels = known(layer, c, 'input channels');
  const [kh, kw] = sizes(field(layer.config, 'kernel_size', 'kernelSize'), 'kernel size', layer);
  const [sh, sw] = sizes(field(layer.config, 'strides', 'strides') ?? 1, 'stride', layer);
  const [dh, dw] = sizes(
    field(layer.config, 'dilation_rate', 'dilationRate') ?? 1,
    'dilation',
    layer,
  );
  const padding = field(layer.config, 'padding', 'padding') ?? 'valid';
  const out = depthwise
    ? channels * count(layer, 'depth_multiplier', 'depthMultiplier', 'a depth multiplier of')
    : count(layer, 'filters', 'filters', 'filters');
  const kernel: [string, number[]] = depthwise
    ? ['depthwise_kernel', [kh, kw, channels, out / channels]]
    : ['kernel', [kh, kw, channels, out]];
  return {
    output: [windowOutput(h, kh, sh, padding, dh), windowOutput(w, kw, sw, padding, dw), out],
    weights: flag(layer, 'use_bias', 'useBias') ? [kernel, ['bias', [out]]] : [kernel],
  };
}

function singleInput(layer: LayerJson, inputs: readonly Shape[]): Shape {
  if (inputs.length !== 1) {
    throw new ModelLoadError(
      `layer "${layer.name}" (${layer.className}) takes one input, not ${inputs.length}`,
    );
  }
  return inputs[0];
}

/** An axis config (tfjs counts the batch as axis 0) as an index into a batchless shape. */
function axisOf(layer: LayerJson, rank: number, fallback: number): number {
  const raw = field(layer.config, 'axis', 'axis') ?? fallback;
  const axis = Array.isArray(raw) && raw.length === 1 ? raw[0] : raw;
  if (!Number.isSafeInteger(axis)) {
    throw new ModelLoadError(`layer "${layer.name}" has an unreadable axis`);
  }
  const index = (axis as number) < 0 ? (axis as number) + rank + 1 : (axis as number);
  if (index < 1 || index > rank) {
    throw new ModelLoadError(`layer "${layer.name}" has an axis outside its input`);
  }
  return index - 1;
}

/** What one layer outputs and which weights it makes, from its inputs' shapes. */
function layerWeights(layer: LayerJson, inputs: readonly Shape[]): LayerResult {
  switch (layer.className) {
    case 'Conv2D':
    case 'BinaryConv2D':
      return convLike(layer, singleInput(layer, inputs), false);
    case 'DepthwiseConv2D':
      return convLike(layer, singleInput(layer, inputs), true);
    case 'Dense':
    case 'BinaryDense': {
      const input = singleInput(layer, inputs);
      const features = known(layer, input[input.length - 1], 'input features');
      const units = count(layer, 'units', 'units', 'units');
      const kernel: [string, number[]] = ['kernel', [features, units]];
      return {
        output: [...input.slice(0, -1), units],
        weights: flag(layer, 'use_bias', 'useBias') ? [kernel, ['bias', [units]]] : [kernel],
      };
    }
    case 'BatchNormalization': {
      const input = singleInput(layer, inputs);
      const c = known(layer, input[axisOf(layer, input.length, -1)], 'channels');
      const weights: [string, number[]][] = [];
      if (flag(layer, 'scale', 'scale')) weights.push(['gamma', [c]]);
      if (flag(layer, 'center', 'center')) weights.push(['beta', [c]]);
      weights.push(['moving_mean', [c]], ['moving_variance', [c]]);
      return { output: input, weights };
    }
    case 'PReLU': {
      // tfjs's PReLU: one slope per input value, shared along `shared_axes` (batch = axis 0).
      const input = singleInput(layer, inputs);
      const shared = field(layer.config, 'shared_axes', 'sharedAxes');
      const sharedAxes = shared == null ? [] : Array.isArray(shared) ? shared : [shared];
      const shape = input.map((d, i) =>
        sharedAxes.includes(i + 1) ? 1 : known(layer, d, 'input values'),
      );
      return { output: input, weights: [['alpha', shape]] };
    }
    case 'Scale': {
      const input = singleInput(layer, inputs);
      return {
        output: input,
        weights: [['gamma', [known(layer, input[input.length - 1], 'channels')]]],
      };
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const [h, w, c] = spatialInput(layer, singleInput(layer, inputs));
      const size = sizes(field(layer.config, 'pool_size', 'poolSize') ?? 2, 'pool size', layer);
      const rawStrides = field(layer.config, 'strides', 'strides');
      const strides = rawStrides == null ? size : sizes(rawStrides, 'stride', layer);
      const padding = field(layer.config, 'padding', 'padding') ?? 'valid';
      return {
        output: [
          windowOutput(h, size[0], strides[0], padding),
          windowOutput(w, size[1], strides[1], padding),
          c,
        ],
        weights: [],
      };
    }
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D': {
      const [, , c] = spatialInput(layer, singleInput(layer, inputs));
      return {
        output: field(layer.config, 'keepdims', 'keepDims') ? [1, 1, c] : [c],
        weights: [],
      };
    }
    case 'Flatten': {
      const input = singleInput(layer, inputs);
      return {
        output: [input.some((d) => d === null) ? null : product(input as number[])],
        weights: [],
      };
    }
    case 'Reshape': {
      const input = singleInput(layer, inputs);
      const target = field(layer.config, 'target_shape', 'targetShape');
      const ok = (d: unknown) => Number.isSafeInteger(d) && ((d as number) > 0 || d === -1);
      if (!Array.isArray(target) || target.length > 16 || !target.every(ok)) {
        throw new ModelLoadError(`layer "${layer.name}" has an unreadable target shape`);
      }
      const free = (target as number[]).filter((d) => d === -1).length;
      const total = input.some((d) => d === null) ? null : product(input as number[]);
      const fixed = product((target as number[]).filter((d) => d !== -1));
      const output = (target as number[]).map((d) =>
        d !== -1 ? d : total === null || free > 1 ? null : total / fixed,
      );
      return { output, weights: [] };
    }
    case 'ZeroPadding2D': {
      const [h, w, c] = spatialInput(layer, singleInput(layer, inputs));
      const raw = field(layer.config, 'padding', 'padding') ?? 1;
      const pads = Array.isArray(raw) && raw.every(Array.isArray) ? raw : [raw, raw];
      const [[top, bottom], [left, right]] = (pads as unknown[]).map((p) =>
        sizes(p, 'padding', layer, 0),
      ) as [number, number][];
      const grow = (d: number | null, by: number) => (d === null ? null : d + by);
      return { output: [grow(h, top + bottom), grow(w, left + right), c], weights: [] };
    }
    case 'Concatenate': {
      if (inputs.length < 1) throw new ModelLoadError(`layer "${layer.name}" has no inputs`);
      const axis = axisOf(layer, inputs[0].length, -1);
      const along = inputs.map((s) => s[axis]);
      const output = [...inputs[0]];
      output[axis] = along.some((d) => d == null)
        ? null
        : (along as number[]).reduce((a, b) => a + b, 0);
      return { output, weights: [] };
    }
    default:
      // Activation, ReLU, LeakyReLU, Softmax, Dropout, Add: the shape of their (first) input.
      if (inputs.length < 1) throw new ModelLoadError(`layer "${layer.name}" has no inputs`);
      return { output: inputs.find((s) => s.every((d) => d !== null)) ?? inputs[0], weights: [] };
  }
}

/** A layer's input shape as tfjs serializes it ([batch, ...]); undefined when absent. */
function declaredInputShape(layer: LayerJson): Shape | undefined {
  const withBatch =
    field(layer.config, 'batch_input_shape', 'batchInputShape') ??
    field(layer.config, 'batch_shape', 'batchShape');
  const withoutBatch = field(layer.config, 'input_shape', 'inputShape');
  const shape = Array.isArray(withBatch)
    ? withBatch.slice(1)
    : Array.isArray(withoutBatch)
      ? withoutBatch
      : undefined;
  if (shape === undefined) return undefined;
  const ok = (d: unknown) => d === null || (Number.isSafeInteger(d) && (d as number) >= 0);
  if (shape.length > 16 || !shape.every(ok)) {
    throw new ModelLoadError(`layer "${layer.name}" has an unreadable input shape`);
  }
  return shape as Shape;
}

function layerJson(value: Json): LayerJson {
  const config = value.config as Json;
  return {
    className: String(value.class_name ?? value.className),
    name: String(config.name ?? value.name),
    config,
  };
}

/**
 * Every weight the topology's layers make, in layer order. Expects a topology checkTopology
 * (load.ts) accepted: a Sequential or functional model whose layers all resolve.
 */
export function declaredWeights(topology: Json): DeclaredWeight[] {
  const model = isObject(topology.model_config) ? topology.model_config : topology;
  const config = model.config;
  const layers = (
    Array.isArray(config) ? config : isObject(config) ? (config.layers as unknown[]) : []
  ) as Json[];
  const found: DeclaredWeight[] = [];
  const add = (layer: LayerJson, inputs: readonly Shape[]): Shape => {
    const { output, weights } = layerWeights(layer, inputs);
    for (const [role, shape] of weights) {
      found.push({ name: `${layer.name}/${role}`, shape, size: product(shape) });
    }
    return output;
  };

  if ((model.class_name ?? model.className) === 'Sequential') {
    let shape: Shape | undefined;
    for (const [i, value] of layers.entries()) {
      const layer = layerJson(value);
      if (i === 0) shape = declaredInputShape(layer);
      if (shape === undefined) {
        throw new ModelLoadError(`the model's first layer "${layer.name}" declares no input shape`);
      }
      if (layer.className !== 'InputLayer') shape = add(layer, [shape]);
    }
    return found;
  }

  // Functional: each layer's nodes in the order their inputs become known.
  const outputs = new Map<string, Shape[]>();
  const pending: { layer: LayerJson; refs: NonNullable<ReturnType<typeof reference>>[] }[] = [];
  for (const value of layers) {
    const layer = layerJson(value);
    if (layer.className === 'InputLayer') {
      const shape = declaredInputShape(layer);
      if (shape === undefined) {
        throw new ModelLoadError(`input layer "${layer.name}" declares no shape`);
      }
      outputs.set(layer.name, [shape]);
      continue;
    }
    outputs.set(layer.name, []);
    const nodes = field(value, 'inbound_nodes', 'inboundNodes');
    for (const node of Array.isArray(nodes) ? nodes : []) {
      const refs = (Array.isArray(node) ? node : []).map(reference);
      pending.push({ layer, refs: refs.filter((r) => r !== undefined) });
    }
  }
  const built = new Set<string>();
  const shapeOf = (r: { layer: string; node: number }) => outputs.get(r.layer)?.[r.node];
  for (let progress = true; progress && pending.length;) {
    progress = false;
    for (let i = 0; i < pending.length; i++) {
      const { layer, refs } = pending[i];
      const inputs = refs.map(shapeOf);
      if (inputs.some((s) => s === undefined)) continue;
      // A layer called again shares the weights of its first call.
      const output = built.has(layer.name)
        ? layerWeights(layer, inputs as Shape[]).output
        : add(layer, inputs as Shape[]);
      built.add(layer.name);
      outputs.get(layer.name)!.push(output);
      pending.splice(i--, 1);
      progress = true;
    }
  }
  return found;
}
