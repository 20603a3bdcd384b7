/**
 * ONNX's message types, by reflection over the committed descriptor of the official onnx.proto
 * (see README.md): protobufjs's light build reads a JSON descriptor and needs no .proto parser.
 */
import protobuf from 'protobufjs/light.js';
import descriptor from './onnx.json';

const root = protobuf.Root.fromJSON(descriptor as protobuf.INamespace).resolveAll();

export const ModelProto = root.lookupType('onnx.ModelProto');
export const TensorProto = root.lookupType('onnx.TensorProto');

/** protobufjs's int64: a Long when the `long` package loaded (always in Node), else a number. */
export type Int64 = number | protobuf.Long;

/** TensorProto.DataLocation.EXTERNAL */
export const DATA_LOCATION_EXTERNAL = 1;

/** AttributeProto.AttributeType codes. */
export const ATTRIBUTE_TYPES = {
  float: 1,
  int: 2,
  string: 3,
  tensor: 4,
  graph: 5,
  floats: 6,
  ints: 7,
  strings: 8,
  tensors: 9,
  graphs: 10,
  sparseTensor: 11,
  sparseTensors: 12,
  typeProto: 13,
  typeProtos: 14,
} as const;

// The decoded messages, as far as the lab reads them (field names as onnx.proto spells them).
export interface TensorMessage {
  dims: Int64[];
  data_type: number;
  float_data: number[];
  int32_data: number[];
  string_data: Uint8Array[];
  int64_data: Int64[];
  name: string;
  raw_data: Uint8Array;
  external_data: { key: string; value: string }[];
  data_location: number;
  double_data: number[];
  uint64_data: Int64[];
}

export interface AttributeMessage {
  name: string;
  type: number;
  f: number;
  i: Int64;
  s: Uint8Array;
  t?: TensorMessage | null;
  g?: unknown;
  sparse_tensor?: unknown;
  tp?: unknown;
  floats: number[];
  ints: Int64[];
  strings: Uint8Array[];
  tensors: TensorMessage[];
  graphs: unknown[];
  sparse_tensors: unknown[];
  type_protos: unknown[];
}

export interface NodeMessage {
  input: string[];
  output: string[];
  name: string;
  op_type: string;
  domain: string;
  attribute: AttributeMessage[];
}

export interface DimensionMessage {
  dim_value?: Int64 | null;
  dim_param?: string | null;
}

export interface ValueInfoMessage {
  name: string;
  type?: {
    tensor_type?: { elem_type: number; shape?: { dim: DimensionMessage[] } | null } | null;
  } | null;
}

export interface GraphMessage {
  node: NodeMessage[];
  name: string;
  initializer: TensorMessage[];
  input: ValueInfoMessage[];
  output: ValueInfoMessage[];
}

export interface ModelMessage {
  ir_version: Int64;
  opset_import: { domain: string; version: Int64 }[];
  producer_name: string;
  producer_version: string;
  graph?: GraphMessage | null;
}

export { protobuf };
