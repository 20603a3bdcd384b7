/**
 * The parts of an ONNX ModelProto the lab reads, as plain data: decode.ts makes it from the
 * protobuf bytes (caps checked before anything is allocated), encode.ts writes it back, and
 * to-graph.ts turns it into the lab's own layer graph. Nothing here depends on protobuf.
 */
import { ModelLoadError } from '../model/errors.ts';

/** TensorProto.DataType codes the lab meets (onnx.proto). */
export const ONNX_DATA_TYPES = {
  float: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  float16: 10,
  double: 11,
  uint32: 12,
  uint64: 13,
} as const;

export interface OnnxTensor {
  readonly name: string;
  /** TensorProto.DataType code (ONNX_DATA_TYPES). */
  readonly dataType: number;
  readonly dims: readonly number[];
  /** Floating-point tensors (float, float16, double), widened or narrowed to float32. */
  readonly floats?: Float32Array;
  /** Integer and bool tensors; int64 values outside the safe-integer range are refused. */
  readonly ints?: readonly number[];
}

export type OnnxAttribute =
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'tensor'; readonly value: OnnxTensor }
  | { readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'strings'; readonly value: readonly string[] }
  /** Graphs, sparse tensors, type protos: kept by kind only, so an op using them is refused. */
  | { readonly kind: 'unsupported'; readonly type: number };

export interface OnnxNode {
  /** May be empty in files; the importer names a node by `name || outputs[0]`. */
  readonly name: string;
  readonly opType: string;
  /** '' (or 'ai.onnx') is the default operator set. */
  readonly domain: string;
  /** '' marks an omitted optional input. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: ReadonlyMap<string, OnnxAttribute>;
}

/** A dimension: a number, a symbolic name (dim_param, e.g. "batch"), or null when unknown. */
export type OnnxDim = number | string | null;

export interface OnnxValueInfo {
  readonly name: string;
  /** TensorProto.DataType code of a tensor value; 0 when the type is not a tensor or unknown. */
  readonly elemType: number;
  /** null when the file states no shape. */
  readonly shape: readonly OnnxDim[] | null;
}

export interface OnnxGraph {
  readonly name: string;
  readonly nodes: readonly OnnxNode[];
  readonly initializers: ReadonlyMap<string, OnnxTensor>;
  /** The graph's inputs that are not initializers (older exporters list initializers too). */
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
}

export interface OnnxModel {
  readonly irVersion: number;
  /** The version of the default ('' / 'ai.onnx') operator set the model imports. */
  readonly opsetVersion: number;
  readonly producerName: string;
  readonly producerVersion: string;
  readonly graph: OnnxGraph;
}

/** A file that is not a model the lab can read; the message names the file and what is wrong. */
export class OnnxError extends ModelLoadError {
  constructor(message: string) {
    super(message);
    this.name = 'OnnxError';
  }
}
