/**
 * The plain OnnxModel -> ONNX protobuf bytes: the pair of decode.ts. Floating-point tensors are
 * written as float32 raw_data (data type float, whatever type they were read from: the lab keeps
 * float32), integer tensors as little-endian raw_data of their own type. Every node domain other
 * than the default one is imported at version 1 (the plain model keeps only the default opset).
 */
import { OnnxError } from './onnx-model.ts';
import type {
  OnnxAttribute,
  OnnxModel,
  OnnxNode,
  OnnxTensor,
  OnnxValueInfo,
} from './onnx-model.ts';
import { ATTRIBUTE_TYPES, ModelProto, TensorProto } from './schema/schema.ts';

const FLOAT = 1;

/** Bytes per element of the integer types written as raw_data. */
const INT_WIDTH: Record<number, number> = {
  2: 1,
  3: 1,
  4: 2,
  5: 2,
  6: 4,
  7: 8,
  9: 1,
  12: 4,
  13: 8,
};

export function encodeOnnx(model: OnnxModel): Uint8Array {
  const { graph } = model;
  const domains = new Set(
    graph.nodes.map((n) => n.domain).filter((d) => d !== '' && d !== 'ai.onnx'),
  );
  const message = {
    ir_version: model.irVersion,
    producer_name: model.producerName,
    producer_version: model.producerVersion,
    opset_import: [
      { domain: '', version: model.opsetVersion },
      ...[...domains].map((domain) => ({ domain, version: 1 })),
    ],
    graph: {
      name: graph.name,
      node: graph.nodes.map(nodeMessage),
      initializer: [...graph.initializers].map(([name, t]) =>
        tensorMessage({ ...t, name }, `initializer "${name}"`),
      ),
      input: graph.inputs.map(valueInfoMessage),
      output: graph.outputs.map(valueInfoMessage),
    },
  };
  return ModelProto.encode(ModelProto.fromObject(message)).finish();
}

/** One tensor as a TensorProto's bytes (as ONNX's test_data_set_N/input_N.pb files are). */
export function encodeOnnxTensor(tensor: OnnxTensor): Uint8Array {
  return TensorProto.encode(TensorProto.fromObject(tensorMessage(tensor, 'the tensor'))).finish();
}

function nodeMessage(node: OnnxNode) {
  const label = `node "${node.name || node.outputs[0] || node.opType}" (${node.opType})`;
  return {
    name: node.name,
    op_type: node.opType,
    domain: node.domain,
    input: [...node.inputs],
    output: [...node.outputs],
    attribute: [...node.attributes].map(([name, a]) =>
      attributeMessage(name, a, `${label}'s attribute "${name}"`),
    ),
  };
}

function attributeMessage(name: string, a: OnnxAttribute, where: string) {
  const t = ATTRIBUTE_TYPES;
  const utf8 = (s: string) => new TextEncoder().encode(s);
  switch (a.kind) {
    case 'float':
      return { name, type: t.float, f: a.value };
    case 'int':
      return { name, type: t.int, i: a.value };
    case 'string':
      return { name, type: t.string, s: utf8(a.value) };
    case 'tensor':
      return { name, type: t.tensor, t: tensorMessage(a.value, where) };
    case 'floats':
      return { name, type: t.floats, floats: [...a.value] };
    case 'ints':
      return { name, type: t.ints, ints: [...a.value] };
    case 'strings':
      return { name, type: t.strings, strings: a.value.map(utf8) };
    case 'unsupported':
      throw new OnnxError(
        `${where} is of ONNX attribute type ${a.type}, whose value the lab does not keep; it cannot be written`,
      );
  }
}

function elementCount(dims: readonly number[]): number {
  return dims.reduce((product, d) => product * d, 1);
}

function tensorMessage(tensor: OnnxTensor, where: string) {
  const elements = elementCount(tensor.dims);
  const base = { name: tensor.name, dims: [...tensor.dims] };
  if (tensor.floats) {
    if (tensor.floats.length !== elements) {
      throw new OnnxError(
        `${where} has dims [${tensor.dims.join(', ')}] but ${tensor.floats.length} values`,
      );
    }
    const raw = new Uint8Array(elements * 4);
    const view = new DataView(raw.buffer);
    tensor.floats.forEach((v, i) => view.setFloat32(4 * i, v, true));
    return { ...base, data_type: FLOAT, raw_data: raw };
  }
  const width = INT_WIDTH[tensor.dataType];
  if (tensor.ints && width !== undefined) {
    if (tensor.ints.length !== elements) {
      throw new OnnxError(
        `${where} has dims [${tensor.dims.join(', ')}] but ${tensor.ints.length} values`,
      );
    }
    const raw = new Uint8Array(elements * width);
    const view = new DataView(raw.buffer);
    tensor.ints.forEach((v, i) => writeInt(view, tensor.dataType, i, v));
    return { ...base, data_type: tensor.dataType, raw_data: raw };
  }
  if (elements === 0) return { ...base, data_type: tensor.dataType };
  throw new OnnxError(
    `${where} holds no values the lab can write (ONNX data type ${tensor.dataType})`,
  );
}

function writeInt(view: DataView, type: number, i: number, v: number): void {
  switch (type) {
    case 2:
    case 9:
      return view.setUint8(i, v);
    case 3:
      return view.setInt8(i, v);
    case 4:
      return view.setUint16(2 * i, v, true);
    case 5:
      return view.setInt16(2 * i, v, true);
    case 6:
      return view.setInt32(4 * i, v, true);
    case 12:
      return view.setUint32(4 * i, v, true);
    case 7:
      return view.setBigInt64(8 * i, BigInt(v), true);
    default:
      return view.setBigUint64(8 * i, BigInt(v), true);
  }
}

function valueInfoMessage(value: OnnxValueInfo) {
  if (value.elemType === 0 && value.shape === null) return { name: value.name };
  const shape = value.shape
    ? {
        dim: value.shape.map((d) =>
          typeof d === 'number' ? { dim_value: d } : typeof d === 'string' ? { dim_param: d } : {},
        ),
      }
    : undefined;
  return { name: value.name, type: { tensor_type: { elem_type: value.elemType, shape } } };
}
