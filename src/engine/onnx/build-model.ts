/**
 * Builds plain ONNX models by hand (no protobuf), for tests of the importer: nodes with
 * attributes, float initializers and one input and output.
 */
import {
  ONNX_DATA_TYPES,
  type OnnxAttribute,
  type OnnxDim,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
} from './onnx-model.ts';

export type AttributeValue = number | string | readonly number[] | { readonly float: number };

export interface NodeSpec {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs?: readonly string[];
  readonly name?: string;
  readonly domain?: string;
  /** Integers (and integer lists) as int(s), { float } and non-integers as float, strings. */
  readonly attributes?: Readonly<Record<string, AttributeValue | OnnxAttribute>>;
}

function attribute(value: AttributeValue | OnnxAttribute): OnnxAttribute {
  if (typeof value === 'string') return { kind: 'string', value };
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { kind: 'int', value } : { kind: 'float', value };
  }
  if (Array.isArray(value)) return { kind: 'ints', value: value as number[] };
  if ('float' in value) return { kind: 'float', value: value.float };
  return value as OnnxAttribute;
}

export function onnxNode(spec: NodeSpec, index: number): OnnxNode {
  return {
    name: spec.name ?? `${spec.op}_${index}`,
    opType: spec.op,
    domain: spec.domain ?? '',
    inputs: spec.inputs,
    outputs: spec.outputs ?? [`${spec.op}_${index}_out`],
    attributes: new Map(Object.entries(spec.attributes ?? {}).map(([k, v]) => [k, attribute(v)])),
  };
}

export function floatTensor(
  name: string,
  dims: readonly number[],
  values: ArrayLike<number>,
): OnnxTensor {
  return { name, dataType: ONNX_DATA_TYPES.float, dims, floats: Float32Array.from(values) };
}

export function intTensor(
  name: string,
  dims: readonly number[],
  values: readonly number[],
): OnnxTensor {
  return { name, dataType: ONNX_DATA_TYPES.int64, dims, ints: values };
}

export interface ModelSpec {
  readonly input: { readonly name: string; readonly shape: readonly OnnxDim[] };
  readonly nodes: readonly NodeSpec[];
  readonly initializers?: readonly OnnxTensor[];
  /** Default: the last node's first output. */
  readonly output?: string;
  readonly opset?: number;
}

export function onnxModel(spec: ModelSpec): OnnxModel {
  const nodes = spec.nodes.map(onnxNode);
  const output = spec.output ?? nodes[nodes.length - 1].outputs[0];
  return {
    irVersion: 8,
    opsetVersion: spec.opset ?? 13,
    producerName: 'hand',
    producerVersion: '1',
    graph: {
      name: 'hand',
      nodes,
      initializers: new Map((spec.initializers ?? []).map((t) => [t.name, t])),
      inputs: [{ name: spec.input.name, elemType: ONNX_DATA_TYPES.float, shape: spec.input.shape }],
      outputs: [{ name: output, elemType: ONNX_DATA_TYPES.float, shape: null }],
    },
  };
}
