/**
 * The state of one ONNX-to-lab conversion that every op converter shares: the lab nodes made so
 * far, the value each ONNX name holds, how often each is read, and the helpers that read a
 * node's attributes and inputs or refuse it with a message naming the node, the op and the
 * opset.
 */
import {
  makeWeight,
  type GraphNode,
  type LayerConfig,
  type WeightRole,
} from '../../model/graph.ts';
import { OnnxError, type OnnxAttribute, type OnnxNode } from '../onnx-model.ts';
import {
  floatsOf,
  imageOrder,
  isLabImage,
  product,
  type Constant,
  type FloatConstant,
  type IntConstant,
  type TensorValue,
  type Value,
} from './values.ts';

const LAYER_NAME_CHARACTERS = /[^A-Za-z0-9_.-]/g;

/** A readable lab name for an ONNX node: "/conv1/Conv" -> "conv1", "Conv_0" -> "Conv_0". */
export function labName(node: OnnxNode, index: number): string {
  const segments = node.name.split('/').filter((s) => s !== '');
  const kept = segments.length > 1 ? segments.slice(0, -1) : segments;
  const base = kept.join('.').replace(LAYER_NAME_CHARACTERS, '_');
  return base !== '' ? base : `${node.opType}_${index}`;
}

/** An ONNX [C, H, W] image the lab holds as [H, W, C]. */
export type ImageValue = TensorValue & { readonly shape: readonly [number, number, number] };

export class Conversion {
  readonly nodes: GraphNode[] = [];
  readonly values = new Map<string, Value>();
  private readonly names = new Set<string>();
  /** The ONNX node being converted and its position, for names and messages. */
  current!: { node: OnnxNode; index: number };

  constructor(
    readonly source: string,
    readonly opset: number,
    /** How many nodes (and graph outputs) read each ONNX value. */
    readonly readers: ReadonlyMap<string, number>,
    /** The batch size the file fixes for its input (a number), or null when it is symbolic. */
    readonly staticBatch: number | null,
    /** The name of the model's output value. */
    readonly outputName: string = '',
  ) {}

  /** An OnnxError naming the file, the current node, its op and the opset. */
  refuse(why: string): OnnxError {
    const { node } = this.current;
    const name = node.name || node.outputs[0] || `#${this.current.index}`;
    return new OnnxError(
      `${this.source}: node "${name.slice(0, 80)}" (${node.opType}, opset ${this.opset}) ${why}`,
    );
  }

  /** A lab name not taken yet, from the current node's name (and `suffix` for helpers). */
  freshName(suffix = ''): string {
    const base = labName(this.current.node, this.current.index) + suffix;
    let name = base;
    for (let k = 2; this.names.has(name); k++) name = `${base}_${k}`;
    this.names.add(name);
    return name;
  }

  /** Adds a lab node reading `inbound` and returns its name. */
  emit(
    className: string,
    config: LayerConfig,
    inbound: readonly string[],
    weights: readonly [WeightRole, readonly number[], Float32Array][] = [],
    suffix = '',
  ): string {
    const name = this.freshName(suffix);
    this.nodes.push({
      name,
      className,
      config: { name, ...config },
      inbound: [...inbound],
      weights: weights.map(([role, shape, values]) => makeWeight(name, role, shape, values)),
    });
    return name;
  }

  labNode(name: string): GraphNode {
    return this.nodes.find((n) => n.name === name)!;
  }

  // --- attributes ---------------------------------------------------------------------------

  private attribute(name: string): OnnxAttribute | undefined {
    return this.current.node.attributes.get(name);
  }

  attrInt(name: string, fallback: number): number {
    const a = this.attribute(name);
    if (a === undefined) return fallback;
    if (a.kind !== 'int') throw this.refuse(`has an attribute ${name} that is not an integer`);
    return a.value;
  }

  attrFloat(name: string, fallback: number): number {
    const a = this.attribute(name);
    if (a === undefined) return fallback;
    if (a.kind !== 'float' && a.kind !== 'int') {
      throw this.refuse(`has an attribute ${name} that is not a float`);
    }
    return a.value;
  }

  attrInts(name: string): readonly number[] | undefined {
    const a = this.attribute(name);
    if (a === undefined) return undefined;
    if (a.kind !== 'ints') throw this.refuse(`has an attribute ${name} that is not integers`);
    return a.value;
  }

  attrString(name: string, fallback: string): string {
    const a = this.attribute(name);
    if (a === undefined) return fallback;
    if (a.kind !== 'string') throw this.refuse(`has an attribute ${name} that is not a string`);
    return a.value;
  }

  /** Refuses attributes the converter does not read (they would change what the op does). */
  onlyAttributes(known: readonly string[]): void {
    for (const name of this.current.node.attributes.keys()) {
      if (!known.includes(name))
        throw this.refuse(`has attribute ${name}, which the lab does not support`);
    }
  }

  // --- inputs -------------------------------------------------------------------------------

  /** The node's input `i` ('' or absent: undefined). */
  optionalInput(i: number): Value | undefined {
    const name = this.current.node.inputs[i];
    if (name === undefined || name === '') return undefined;
    const value = this.values.get(name);
    if (!value) throw this.refuse(`reads "${name.slice(0, 80)}", which no earlier node makes`);
    return value;
  }

  input(i: number): Value {
    const value = this.optionalInput(i);
    if (!value) throw this.refuse(`lacks its input ${i + 1}`);
    return value;
  }

  tensor(i: number): TensorValue {
    const value = this.input(i);
    if (value.kind !== 'tensor') throw this.refuse(`expects a computed tensor as input ${i + 1}`);
    return value;
  }

  /** An input the converter must know when it converts (a weight, a shape, a bound). */
  constant(i: number, what: string): Constant {
    const value = this.input(i);
    if (value.kind === 'tensor') {
      throw this.refuse(`needs its ${what} as a constant (an initializer), not a computed tensor`);
    }
    return value;
  }

  floatInput(i: number, what: string): FloatConstant {
    const c = this.constant(i, what);
    const values = floatsOf(c);
    if (!values) throw this.refuse(`has a ${what} that depends on the batch size`);
    return { kind: 'floats', dims: c.dims, values };
  }

  intInput(i: number, what: string): IntConstant {
    const c = this.constant(i, what);
    if (c.kind !== 'ints') throw this.refuse(`needs integers as its ${what}`);
    return c;
  }

  /** Reads input i as a lab image (NCHW in ONNX, NHWC in the lab), reshaping if needed. */
  image(i: number): ImageValue {
    const x = this.tensor(i);
    if (!isLabImage(x)) {
      throw this.refuse(
        `needs an image [N, C, H, W] in the channels-last order the lab holds; it gets [N, ${x.shape.join(', ')}]${x.shape.length === 3 ? ' after a Transpose or Reshape that reorders it' : ''}`,
      );
    }
    const [c, h, w] = x.shape;
    if (x.labShape.length === 3) return x as ImageValue;
    const node = this.emit('Reshape', { targetShape: [h, w, c] }, [x.node], [], '_image');
    return { ...x, shape: [c, h, w], node, labShape: [h, w, c] };
  }

  /** Reads input i as flat features [N, F] (a Flatten when the lab holds an image). */
  features(i: number): TensorValue {
    const x = this.tensor(i);
    if (x.shape.length !== 1) {
      throw this.refuse(`needs flat features [N, F]; it gets [N, ${x.shape.join(', ')}]`);
    }
    if (x.labShape.length === 1) return x;
    const node = this.emit('Flatten', {}, [x.node], [], '_flatten');
    return { ...x, node, labShape: [product(x.labShape)] };
  }

  /** Records the node's output: an ONNX [C, H, W] image the lab holds as [H, W, C]. */
  defineImage(node: string, [c, h, w]: readonly number[]): void {
    this.define({
      kind: 'tensor',
      node,
      shape: [c, h, w],
      labShape: [h, w, c],
      order: imageOrder(c, h, w),
    });
  }

  /** Records the node's output `i`. */
  define(value: Value, i = 0): void {
    const name = this.current.node.outputs[i];
    if (name === undefined || name === '') return;
    this.values.set(name, value);
  }

  /** How many nodes (and graph outputs) read an ONNX value. */
  readCount(valueName: string): number {
    return this.readers.get(valueName) ?? 0;
  }

  /**
   * Whether the current node is the only reader of lab node `node`'s output, through every ONNX
   * value it holds (a Reshape or Flatten gives the same lab output another name): only then may
   * the node change that lab node in place (a fused ReLU, a bias).
   */
  soleReader(node: string): boolean {
    let reads = 0;
    for (const [name, value] of this.values) {
      if (value.kind === 'tensor' && value.node === node) reads += this.readCount(name);
    }
    return reads === 1;
  }
}
