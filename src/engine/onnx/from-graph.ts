/**
 * ONNX export of a lab LayerGraph: the plain OnnxModel of what the executor computes (write it
 * with encodeOnnx). Weights are baked: each weight's transform applied and its mask multiplied
 * in, so a pruned weight is written as 0 and a quantized one as the value the layer computes
 * with; a fixed-point kernel of up to 8 bits is written as uint8 levels and a DequantizeLinear
 * that gives those values back exactly, and linear activation quantization as a
 * QuantizeLinear/DequantizeLinear pair. The lab is NHWC (tfjs), ONNX NCHW: the exported model takes NCHW input [N, C, H, W]
 * (a flat input stays [N, F]), kernels go HWIO -> OIHW, and a Dense layer reading a Flatten of
 * an image gets its kernel rows permuted, since ONNX's Flatten of NCHW yields C,H,W order where
 * the lab's yields H,W,C. Layers ONNX cannot express faithfully (binary activations) and those
 * not written yet are refused by name, never approximated.
 */
import * as tf from '@tensorflow/tfjs';
import { ModelLoadError } from '../model/errors.ts';
import type { GraphNode, LayerGraph } from '../model/graph.ts';
import { effectiveWeights, transformTensorsOf } from '../model/program.ts';
import { getTransform } from '../model/transforms.ts';
import '../techniques/quantize/transforms.ts';
import type { OnnxAttribute, OnnxModel, OnnxNode, OnnxTensor } from './onnx-model.ts';

export class OnnxExportError extends ModelLoadError {
  constructor(message: string) {
    super(message);
    this.name = 'OnnxExportError';
  }
}

/** The default-domain opset the export writes (Clip's bounds and Pad's amounts are inputs). */
export const EXPORT_OPSET = 13;

/** A lab node's output in the ONNX graph. */
interface Value {
  readonly name: string;
  /** The lab's shape without the batch: [h, w, c] for images (NCHW in ONNX), [f] when flat. */
  readonly shape: readonly number[];
  /**
   * Flat values only: ONNX feature j holds the lab's feature order[j]; absent when the same.
   * Set by a Flatten of an image (C,H,W in ONNX against H,W,C in the lab).
   */
  readonly order?: Int32Array;
}

const FLOAT = 1;
const UINT8 = 2;
const INT64 = 7;

const attr = {
  int: (value: number): OnnxAttribute => ({ kind: 'int', value }),
  float: (value: number): OnnxAttribute => ({ kind: 'float', value }),
  ints: (value: readonly number[]): OnnxAttribute => ({ kind: 'ints', value }),
};

/** The graph's weights as the layers compute with them: transforms applied, masks multiplied. */
function bakedWeights(graph: LayerGraph): Float32Array[][] {
  const raw = graph.nodes.map((n) => n.weights.map((w) => tf.tensor(w.values, [...w.shape])));
  const masks = graph.nodes.map((n) =>
    n.weights.map((w) => (w.mask ? tf.tensor(w.mask, [...w.shape], 'float32') : undefined)),
  );
  const tensors = transformTensorsOf(graph, (t) => tf.tensor(t.values, [...t.shape], 'float32'));
  try {
    const effective = tf.tidy(() => effectiveWeights(graph, raw, masks, tensors));
    const values = effective.map((row) => row.map((t) => t.dataSync() as Float32Array));
    tf.dispose(effective.flat().filter((t) => !raw.flat().includes(t)));
    return values.map((row) => row.map((v) => Float32Array.from(v)));
  } finally {
    tf.dispose([...raw.flat(), ...masks.flat().filter((m) => m !== undefined), ...tensors.all]);
  }
}

class Exporter {
  readonly nodes: OnnxNode[] = [];
  readonly initializers = new Map<string, OnnxTensor>();
  private readonly values = new Map<string, Value>();
  private readonly names = new Set<string>();

  constructor(private readonly graph: LayerGraph) {}

  /** A tensor name not used yet, from the layer's name. */
  fresh(base: string): string {
    let name = base;
    for (let k = 2; this.names.has(name); k++) name = `${base}_${k}`;
    this.names.add(name);
    return name;
  }

  add(opType: string, layer: string, inputs: string[], attributes: [string, OnnxAttribute][] = []) {
    const output = this.fresh(layer);
    this.nodes.push({
      name: output,
      opType,
      domain: '',
      inputs,
      outputs: [output],
      attributes: new Map(attributes),
    });
    return output;
  }

  floats(base: string, dims: number[], values: Float32Array): string {
    const name = this.fresh(base);
    this.initializers.set(name, { name, dataType: FLOAT, dims, floats: values });
    return name;
  }

  uint8s(base: string, dims: number[], values: Uint8Array): string {
    const name = this.fresh(base);
    this.initializers.set(name, { name, dataType: UINT8, dims, ints: Array.from(values) });
    return name;
  }

  /**
   * A kernel as an ONNX input: element j of the ONNX tensor is the lab's element perm[j]. A
   * fixed-point kernel of up to 8 bits becomes uint8 levels and a DequantizeLinear (per output
   * channel on `channelAxis`) when that gives back exactly the values the lab computes with;
   * otherwise, and for every other kernel, the float32 values.
   */
  kernelInput(
    node: GraphNode,
    role: string,
    baked: Float32Array,
    dims: number[],
    perm: Int32Array,
    channelAxis: number | null,
  ): string {
    const weight = node.weights.find((w) => w.role === role)!;
    const transform = weight.transform;
    if (transform?.id === 'fixed-point' && transform.params.bits <= 8) {
      const raw = weight.mask
        ? weight.values.map((v, i) => (weight.mask![i] ? v : 0))
        : weight.values;
      const { coding } = getTransform('fixed-point').coding!(
        raw,
        weight.shape,
        transform.params,
        {},
        weight.mask,
      );
      if (coding.kind === 'fixed' && (coding.scales.length === 1 || channelAxis !== null)) {
        const channels = coding.scales.length;
        const levels = new Uint8Array(perm.length);
        let exact = true;
        for (let j = 0; j < perm.length && exact; j++) {
          const i = perm[j];
          const c = channels === 1 ? 0 : i % channels;
          levels[j] = coding.levels[i];
          exact =
            Math.fround((coding.levels[i] - coding.zeroPoints[c]) * coding.scales[c]) === baked[i];
        }
        if (exact) {
          const perTensor = channels === 1;
          const shape = perTensor ? [] : [channels];
          const inputs = [
            this.uint8s(`${node.name}/${role}_levels`, dims, levels),
            this.floats(`${node.name}/${role}_scale`, shape, coding.scales.slice()),
            this.uint8s(`${node.name}/${role}_zero`, shape, Uint8Array.from(coding.zeroPoints)),
          ];
          return this.add(
            'DequantizeLinear',
            `${node.name}/${role}`,
            inputs,
            perTensor ? [] : [['axis', attr.int(channelAxis!)]],
          );
        }
      }
    }
    return this.floats(
      `${node.name}/weight`,
      dims,
      Float32Array.from(perm, (i) => baked[i]),
    );
  }

  int64s(base: string, values: number[]): string {
    const name = this.fresh(base);
    this.initializers.set(name, { name, dataType: INT64, dims: [values.length], ints: values });
    return name;
  }

  value(name: string): Value {
    const v = this.values.get(name);
    if (!v) throw new OnnxExportError(`layer "${name}" is read before it is exported`);
    return v;
  }

  set(layer: string, value: Value): void {
    this.values.set(layer, value);
  }

  run(weights: Float32Array[][]): Value {
    const info = this.graph.info();
    this.graph.nodes.forEach((node, index) => {
      const outputShape = info.get(node.name)!.outputShape;
      this.set(node.name, this.layer(node, weights[index], outputShape));
    });
    return this.value(this.graph.output);
  }

  private refuse(node: GraphNode, why: string): never {
    throw new OnnxExportError(`layer "${node.name}" (${node.className}) ${why}`);
  }

  private weight(node: GraphNode, weights: Float32Array[], role: string): Float32Array | undefined {
    const index = node.weights.findIndex((w) => w.role === role);
    return index < 0 ? undefined : weights[index];
  }

  private layer(node: GraphNode, weights: Float32Array[], outputShape: readonly number[]): Value {
    const value = this.layerBody(node, weights, outputShape);
    return node.outputTransform ? this.quantizeOutput(node, value) : value;
  }

  /**
   * The lab's activation fixed point (act-linear: round(x / scale) clipped to 0 .. 2^bits - 1,
   * times scale) as QuantizeLinear/DequantizeLinear to uint8, and a Clip below 8 bits.
   */
  private quantizeOutput(node: GraphNode, x: Value): Value {
    const transform = node.outputTransform!;
    if (transform.id !== 'act-linear' || transform.params.bits > 8) {
      this.refuse(
        node,
        `quantizes its activations with "${transform.id}" (${transform.params.bits} bits), which has no faithful ONNX export yet`,
      );
    }
    const top = 2 ** transform.params.bits - 1;
    const scale = Math.max(Math.fround(transform.params.max / top), Math.fround(1e-12));
    const scaleName = this.floats(`${node.name}/act_scale`, [], Float32Array.of(scale));
    const zero = this.uint8s(`${node.name}/act_zero`, [], Uint8Array.of(0));
    const q = this.add('QuantizeLinear', `${node.name}/act_q`, [x.name, scaleName, zero]);
    const full = top === 255;
    const dq = this.add('DequantizeLinear', full ? `${node.name}/act` : `${node.name}/act_dq`, [
      q,
      scaleName,
      zero,
    ]);
    // min(fround(q * s), fround(top * s)) = fround(min(q, top) * s): rounding is monotone.
    const name = full ? dq : this.clip(`${node.name}/act`, dq, 0, Math.fround(top * scale));
    return { ...x, name };
  }

  private layerBody(
    node: GraphNode,
    weights: Float32Array[],
    outputShape: readonly number[],
  ): Value {
    const inputs = node.inbound.map((name) => this.value(name));
    const image = (v: Value) => v.shape.length === 3;
    const one = () => {
      if (inputs.length !== 1) this.refuse(node, `takes ${inputs.length} inputs`);
      return inputs[0];
    };
    const flatOnly = (v: Value, what: string) => {
      if (v.order) this.refuse(node, `${what} the features of a flattened image; not exported`);
    };
    switch (node.className) {
      case 'InputLayer': {
        const shape = outputShape;
        if (shape.length !== 1 && shape.length !== 3) {
          this.refuse(
            node,
            `has input shape [${shape.join(', ')}]; the export takes images or flat vectors`,
          );
        }
        return { name: this.fresh('input'), shape };
      }
      case 'Conv2D':
        return this.conv(node, one(), weights, outputShape, false);
      case 'DepthwiseConv2D':
        return this.conv(node, one(), weights, outputShape, true);
      case 'Dense':
        return this.dense(node, one(), weights, outputShape);
      case 'BatchNormalization':
        return this.batchNorm(node, one(), weights);
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const x = one();
        const size = pairOf(node.config.poolSize ?? 2);
        const strides = node.config.strides == null ? size : pairOf(node.config.strides);
        const pads = windowPads(x.shape, size, strides, [1, 1], node.config.padding === 'same');
        const max = node.className === 'MaxPooling2D';
        const name = this.add(
          max ? 'MaxPool' : 'AveragePool',
          node.name,
          [x.name],
          [
            ['kernel_shape', attr.ints(size)],
            ['strides', attr.ints(strides)],
            ['pads', attr.ints(pads)],
            // tfjs's average over a padded window counts only the input's values.
            ...(max ? [] : [['count_include_pad', attr.int(0)] as [string, OnnxAttribute]]),
          ],
        );
        return { name, shape: outputShape };
      }
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling2D': {
        const op = node.className === 'GlobalMaxPooling2D' ? 'GlobalMaxPool' : 'GlobalAveragePool';
        const pooled = this.add(op, `${node.name}/pool`, [one().name]);
        const name = this.add('Flatten', node.name, [pooled], [['axis', attr.int(1)]]);
        return { name, shape: outputShape };
      }
      case 'Flatten': {
        const x = one();
        if (!image(x)) return x;
        const [h, w, c] = x.shape;
        const order = new Int32Array(h * w * c);
        for (let ch = 0; ch < c; ch++) {
          for (let y = 0; y < h; y++) {
            for (let xx = 0; xx < w; xx++) order[(ch * h + y) * w + xx] = (y * w + xx) * c + ch;
          }
        }
        const name = this.add('Flatten', node.name, [x.name], [['axis', attr.int(1)]]);
        return { name, shape: outputShape, order };
      }
      case 'Dropout':
        return one();
      case 'Activation':
        return this.activation(node, one(), String(node.config.activation ?? 'linear'));
      case 'ReLU': {
        const x = one();
        if (
          Number(node.config.negativeSlope ?? 0) !== 0 ||
          Number(node.config.threshold ?? 0) !== 0
        ) {
          this.refuse(node, 'has a negative slope or threshold; not exported');
        }
        const max = node.config.maxValue;
        if (max == null) return { ...x, name: this.add('Relu', node.name, [x.name]) };
        return { ...x, name: this.clip(node.name, x.name, 0, Number(max)) };
      }
      case 'LeakyReLU': {
        const x = one();
        const alpha = Number(node.config.alpha ?? 0.3);
        return {
          ...x,
          name: this.add('LeakyRelu', node.name, [x.name], [['alpha', attr.float(alpha)]]),
        };
      }
      case 'Softmax':
        return this.activation(node, one(), 'softmax');
      case 'ZeroPadding2D': {
        const x = one();
        const [[top, bottom], [left, right]] = paddingAmounts(node.config.padding ?? 1);
        const pads = this.int64s(`${node.name}/pads`, [0, 0, top, left, 0, 0, bottom, right]);
        const name = this.add(
          'Pad',
          node.name,
          [x.name, pads],
          [['mode', { kind: 'string', value: 'constant' }]],
        );
        return { name, shape: outputShape };
      }
      case 'Add': {
        const first = inputs[0];
        for (const other of inputs) {
          if (!sameOrder(first.order, other.order))
            this.refuse(node, 'adds features in different orders');
        }
        let name = first.name;
        for (let i = 1; i < inputs.length; i++) {
          name = this.add('Add', i === inputs.length - 1 ? node.name : `${node.name}/${i}`, [
            name,
            inputs[i].name,
          ]);
        }
        return { name, shape: outputShape, order: first.order };
      }
      case 'Concatenate': {
        for (const x of inputs) flatOnly(x, 'concatenates');
        const name = this.add(
          'Concat',
          node.name,
          inputs.map((x) => x.name),
          [['axis', attr.int(1)]],
        );
        return { name, shape: outputShape };
      }
      case 'BinaryConv2D':
      case 'BinaryDense':
        return this.refuse(
          node,
          'computes with binary (XNOR) activations, which ONNX cannot express faithfully; it is not exported',
        );
      default:
        return this.refuse(node, 'has no ONNX export yet');
    }
  }

  private clip(layer: string, x: string, min: number, max: number): string {
    const lo = this.floats(`${layer}/min`, [], Float32Array.of(min));
    const hi = this.floats(`${layer}/max`, [], Float32Array.of(max));
    return this.add('Clip', layer, [x, lo, hi]);
  }

  /** An activation by its tfjs name, on value x; `linear` is x itself. */
  private activation(node: GraphNode, x: Value, name: string, layer = node.name): Value {
    const op = (type: string, attributes: [string, OnnxAttribute][] = []) => ({
      ...x,
      name: this.add(type, layer, [x.name], attributes),
    });
    switch (name) {
      case 'linear':
        return x;
      case 'relu':
        return op('Relu');
      case 'relu6':
        return { ...x, name: this.clip(layer, x.name, 0, 6) };
      case 'sigmoid':
        return op('Sigmoid');
      case 'tanh':
        return op('Tanh');
      case 'elu':
        return op('Elu', [['alpha', attr.float(1)]]);
      case 'selu':
        return op('Selu');
      case 'softplus':
        return op('Softplus');
      case 'softsign':
        return op('Softsign');
      case 'hard_sigmoid':
      case 'hardSigmoid':
        // tfjs: clip(0.2 x + 0.5, 0, 1).
        return op('HardSigmoid', [
          ['alpha', attr.float(0.2)],
          ['beta', attr.float(0.5)],
        ]);
      case 'softmax': {
        if (x.order)
          this.refuse(node, 'applies softmax to the features of a flattened image; not exported');
        // tfjs normalizes over the last (channel) axis: axis 1 of NCHW.
        return op('Softmax', [['axis', attr.int(x.shape.length === 3 ? 1 : -1)]]);
      }
      default:
        return this.refuse(node, `uses the activation "${name}", which has no ONNX export yet`);
    }
  }

  private conv(
    node: GraphNode,
    x: Value,
    weights: Float32Array[],
    outputShape: readonly number[],
    depthwise: boolean,
  ): Value {
    const kernelWeight = node.weights.find(
      (w) => w.role === 'kernel' || w.role === 'depthwise_kernel',
    );
    const kernel = this.weight(node, weights, depthwise ? 'depthwise_kernel' : 'kernel');
    if (!kernelWeight || !kernel) this.refuse(node, 'has no kernel');
    const [kh, kw, ci, co] = kernelWeight.shape;
    const strides = pairOf(node.config.strides ?? 1);
    const dilations = depthwise ? [1, 1] : pairOf(node.config.dilationRate ?? 1);
    const pads = windowPads(x.shape, [kh, kw], strides, dilations, node.config.padding === 'same');
    // HWIO -> OIHW; depthwise [kh, kw, c, m] -> [c * m, 1, kh, kw] with group = c.
    const outChannels = depthwise ? ci * co : co;
    const inPerGroup = depthwise ? 1 : ci;
    const perm = new Int32Array(kernel.length);
    for (let y = 0; y < kh; y++) {
      for (let xx = 0; xx < kw; xx++) {
        for (let i = 0; i < ci; i++) {
          for (let o = 0; o < co; o++) {
            const from = ((y * kw + xx) * ci + i) * co + o;
            const to = depthwise
              ? ((i * co + o) * kh + y) * kw + xx
              : ((o * ci + i) * kh + y) * kw + xx;
            perm[to] = from;
          }
        }
      }
    }
    const role = depthwise ? 'depthwise_kernel' : 'kernel';
    // Per-channel scales follow the lab's last axis: the output channel of a conv (ONNX axis 0).
    const dims = [outChannels, inPerGroup, kh, kw];
    const inputs = [x.name, this.kernelInput(node, role, kernel, dims, perm, depthwise ? null : 0)];
    const bias = this.weight(node, weights, 'bias');
    if (bias) inputs.push(this.floats(`${node.name}/bias`, [outChannels], bias));
    const activation = String(node.config.activation ?? 'linear');
    const convName = activation === 'linear' ? node.name : `${node.name}/conv`;
    const name = this.add('Conv', convName, inputs, [
      ['kernel_shape', attr.ints([kh, kw])],
      ['strides', attr.ints(strides)],
      ['dilations', attr.ints(dilations)],
      ['pads', attr.ints(pads)],
      ['group', attr.int(depthwise ? ci : 1)],
    ]);
    return this.activation(node, { name, shape: outputShape }, activation);
  }

  private dense(
    node: GraphNode,
    x: Value,
    weights: Float32Array[],
    outputShape: readonly number[],
  ): Value {
    if (x.shape.length !== 1)
      this.refuse(node, 'reads an image directly (no Flatten); not exported');
    const kernelWeight = node.weights.find((w) => w.role === 'kernel');
    const kernel = this.weight(node, weights, 'kernel');
    if (!kernelWeight || !kernel) this.refuse(node, 'has no kernel');
    const [inUnits, units] = kernelWeight.shape;
    // ONNX feature j is the lab's feature order[j]: row j of B is the kernel's row order[j].
    const perm = new Int32Array(kernel.length);
    for (let j = 0; j < inUnits; j++) {
      const row = x.order ? x.order[j] : j;
      for (let u = 0; u < units; u++) perm[j * units + u] = row * units + u;
    }
    const inputs = [x.name, this.kernelInput(node, 'kernel', kernel, [inUnits, units], perm, 1)];
    const bias = this.weight(node, weights, 'bias');
    if (bias) inputs.push(this.floats(`${node.name}/bias`, [units], bias));
    const activation = String(node.config.activation ?? 'linear');
    const gemmName = activation === 'linear' ? node.name : `${node.name}/gemm`;
    const name = this.add('Gemm', gemmName, inputs);
    return this.activation(node, { name, shape: outputShape }, activation);
  }

  private batchNorm(node: GraphNode, x: Value, weights: Float32Array[]): Value {
    const channels = x.shape[x.shape.length - 1];
    const role = (r: string, fallback: number) => {
      const values = this.weight(node, weights, r) ?? new Float32Array(channels).fill(fallback);
      // A flat input in permuted order: each parameter follows its feature.
      return x.order ? Float32Array.from(x.order, (lab) => values[lab]) : values;
    };
    const inputs = [
      x.name,
      this.floats(`${node.name}/scale`, [channels], role('gamma', 1)),
      this.floats(`${node.name}/bias`, [channels], role('beta', 0)),
      this.floats(`${node.name}/mean`, [channels], role('moving_mean', 0)),
      this.floats(`${node.name}/var`, [channels], role('moving_variance', 1)),
    ];
    const epsilon = Number(node.config.epsilon ?? 1e-3);
    const name = this.add('BatchNormalization', node.name, inputs, [
      ['epsilon', attr.float(epsilon)],
    ]);
    return { ...x, name };
  }
}

function pairOf(value: unknown): [number, number] {
  if (typeof value === 'number') return [value, value];
  const [a, b] = value as number[];
  return [a, b];
}

function paddingAmounts(raw: unknown): [[number, number], [number, number]] {
  if (typeof raw === 'number') {
    return [
      [raw, raw],
      [raw, raw],
    ];
  }
  const [a, b] = raw as unknown[];
  return [pairOf(a), pairOf(b)];
}

/** ONNX pads [top, left, bottom, right] for a window; tfjs's "same" puts the odd pixel after. */
function windowPads(
  shape: readonly number[],
  window: readonly number[],
  strides: readonly number[],
  dilations: readonly number[],
  same: boolean,
): number[] {
  if (!same) return [0, 0, 0, 0];
  const before: number[] = [];
  const after: number[] = [];
  for (let axis = 0; axis < 2; axis++) {
    const size = shape[axis];
    const out = Math.ceil(size / strides[axis]);
    const extent = (window[axis] - 1) * dilations[axis] + 1;
    const total = Math.max((out - 1) * strides[axis] + extent - size, 0);
    before.push(Math.floor(total / 2));
    after.push(total - Math.floor(total / 2));
  }
  return [...before, ...after];
}

function sameOrder(a: Int32Array | undefined, b: Int32Array | undefined): boolean {
  if (!a || !b) return a === b;
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * The ONNX model of a lab graph. Input "input": [N, C, H, W] for an image model, [N, F] for a
 * flat one; output: the graph's output layer, [N, K] (or NCHW when it ends in an image).
 */
export function onnxFromGraph(graph: LayerGraph, name = 'compression-lab'): OnnxModel {
  for (const node of graph.nodes) {
    if (node.className === 'BinaryConv2D' || node.className === 'BinaryDense') {
      throw new OnnxExportError(
        `layer "${node.name}" (${node.className}) computes with binary (XNOR) activations, which ONNX cannot express faithfully; it is not exported`,
      );
    }
  }
  const exporter = new Exporter(graph);
  const output = exporter.run(bakedWeights(graph));
  if (output.order) {
    throw new OnnxExportError(
      `the model's output is a flattened image; its feature order differs in ONNX, so it is not exported`,
    );
  }
  const inputShape = graph.inputShape;
  const nchw = (shape: readonly number[]) =>
    shape.length === 3 ? [shape[2], shape[0], shape[1]] : [...shape];
  return {
    irVersion: 8,
    opsetVersion: EXPORT_OPSET,
    producerName: 'compression-lab',
    producerVersion: '1',
    graph: {
      name,
      nodes: exporter.nodes,
      initializers: exporter.initializers,
      inputs: [{ name: 'input', elemType: FLOAT, shape: ['N', ...nchw(inputShape)] }],
      outputs: [{ name: output.name, elemType: FLOAT, shape: ['N', ...nchw(output.shape)] }],
    },
  };
}
