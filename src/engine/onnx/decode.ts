/**
 * ONNX protobuf bytes -> the plain OnnxModel (onnx-model.ts). Parsing is protobufjs's reflection
 * over ONNX's official schema (schema/); before protobufjs allocates anything, a walk over the
 * wire format counts the messages and repeated values the file would become and checks them
 * against the caps, and every tensor's element count (the product of its dims) is checked against
 * a cap and against the bytes actually present before any typed array is made. Every failure is
 * an OnnxError naming the file and what is wrong.
 */
import { OnnxError } from './onnx-model.ts';
import type {
  OnnxAttribute,
  OnnxDim,
  OnnxGraph,
  OnnxModel,
  OnnxNode,
  OnnxTensor,
  OnnxValueInfo,
} from './onnx-model.ts';
import {
  ATTRIBUTE_TYPES,
  DATA_LOCATION_EXTERNAL,
  ModelProto,
  TensorProto,
  protobuf,
  type AttributeMessage,
  type GraphMessage,
  type Int64,
  type ModelMessage,
  type NodeMessage,
  type TensorMessage,
  type ValueInfoMessage,
} from './schema/schema.ts';

export interface OnnxCaps {
  /** Largest file (and largest external data file) read, in bytes. */
  readonly maxFileBytes: number;
  /** Most protobuf messages in one file (nodes, attributes, tensors, dimensions, ...). */
  readonly maxMessages: number;
  /** Most repeated numbers in one file (typed tensor fields, attribute lists, dims). */
  readonly maxRepeatedValues: number;
  /** Most nodes in the main graph. */
  readonly maxNodes: number;
  /** Most elements in one tensor, and in all of a model's tensors together. */
  readonly maxTensorElements: number;
  readonly maxTotalElements: number;
  /** Most dimensions of one tensor. */
  readonly maxRank: number;
  /** Deepest nesting of messages (subgraphs inside attributes nest). */
  readonly maxDepth: number;
}

/** Room for models far beyond the lab's (a 1M-parameter model is a 4 MB file). */
export const DEFAULT_ONNX_CAPS: OnnxCaps = {
  maxFileBytes: 2 ** 28,
  maxMessages: 2 ** 20,
  maxRepeatedValues: 2 ** 25,
  maxNodes: 100_000,
  maxTensorElements: 2 ** 26,
  maxTotalElements: 2 ** 27,
  maxRank: 16,
  maxDepth: 32,
};

export interface OnnxDecodeOptions {
  /** Reads an external data file named by a tensor (its `location`, relative to the model). */
  readonly external?: (location: string) => Uint8Array | undefined;
  readonly caps?: OnnxCaps;
}

/** Reads an ONNX model file; `source` (a file name) goes into every message. */
export function decodeOnnx(
  bytes: Uint8Array,
  source: string,
  options: OnnxDecodeOptions = {},
): OnnxModel {
  const caps = options.caps ?? DEFAULT_ONNX_CAPS;
  const message = parseChecked<ModelMessage>(ModelProto, bytes, source, 'ONNX model', caps);
  const graph = message.graph;
  if (!graph) {
    throw new OnnxError(`${source} is not an ONNX model: it holds no graph`);
  }
  const opsetVersion = defaultOpset(message, source);
  if (graph.node.length > caps.maxNodes) {
    throw new OnnxError(
      `${source} has ${graph.node.length} nodes, over the cap of ${caps.maxNodes}`,
    );
  }
  const reader = new TensorReader(source, caps, options.external);
  return {
    irVersion: toSafeInteger(message.ir_version, source, 'its ir_version'),
    opsetVersion,
    producerName: message.producer_name,
    producerVersion: message.producer_version,
    graph: graphFrom(graph, reader),
  };
}

/** Reads a bare TensorProto file (as ONNX's test_data_set_N/input_N.pb files are). */
export function decodeOnnxTensor(
  bytes: Uint8Array,
  source: string,
  caps: OnnxCaps = DEFAULT_ONNX_CAPS,
): OnnxTensor {
  const message = parseChecked<TensorMessage>(TensorProto, bytes, source, 'ONNX tensor', caps);
  return new TensorReader(source, caps, undefined).tensor(message, 'the tensor');
}

// ---- Parsing, with the caps checked on the wire first -----------------------------------------

function parseChecked<T>(
  type: protobuf.Type,
  bytes: Uint8Array,
  source: string,
  what: string,
  caps: OnnxCaps,
): T {
  if (bytes.length > caps.maxFileBytes) {
    throw new OnnxError(
      `${source} is ${bytes.length} bytes, over the cap of ${caps.maxFileBytes} for an ${what}`,
    );
  }
  if (bytes.length === 0) throw new OnnxError(`${source} is empty, not an ${what}`);
  new WireScan(bytes, source, what, caps).message(type, 0, bytes.length, 0);
  try {
    return type.decode(bytes) as unknown as T;
  } catch (err) {
    // The scan has already refused what protobufjs refuses; kept for what it checks beyond that.
    throw new OnnxError(`${source} is not an ${what}: ${(err as Error).message}`);
  }
}

const PACKED_WIDTH: Record<string, number> = {
  float: 4,
  fixed32: 4,
  sfixed32: 4,
  double: 8,
  fixed64: 8,
  sfixed64: 8,
};

/** Whether a field's value may come with this wire type (repeated numbers also packed, as 2). */
function wireTypeFits(field: protobuf.Field, wireType: number): boolean {
  const basic = (protobuf.types.basic as Record<string, number | undefined>)[field.type];
  const expected = basic ?? (field.resolvedType instanceof protobuf.Type ? 2 : 0);
  return wireType === expected || (field.repeated && wireType === 2);
}

/**
 * Walks the protobuf wire format without building anything: checks that every field is well
 * formed and inside its parent, and counts the messages and repeated values protobufjs would
 * allocate, so a small file cannot become a huge tree.
 */
class WireScan {
  private pos = 0;
  private messages = 0;
  private repeated = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly source: string,
    private readonly what: string,
    private readonly caps: OnnxCaps,
  ) {}

  message(type: protobuf.Type, start: number, end: number, depth: number): void {
    if (depth > this.caps.maxDepth) {
      throw new OnnxError(
        `${this.source} nests messages deeper than ${this.caps.maxDepth} levels; not an ${this.what} the lab reads`,
      );
    }
    this.pos = start;
    while (this.pos < end) {
      const tagAt = this.pos;
      const tag = this.varint(end);
      const fieldNumber = Math.floor(tag / 8);
      const wireType = tag % 8;
      if (fieldNumber === 0) this.garbage(`field number 0 at byte ${tagAt}`);
      const field = type.fieldsById[fieldNumber] as protobuf.Field | undefined;
      if (field && !wireTypeFits(field, wireType)) {
        this.garbage(
          `field ${fieldNumber} of ${type.name} has wire type ${wireType} at byte ${tagAt}`,
        );
      }
      switch (wireType) {
        case 0:
          this.varint(end);
          this.countRepeated(field, 1);
          break;
        case 1:
          this.skip(8, end);
          this.countRepeated(field, 1);
          break;
        case 5:
          this.skip(4, end);
          this.countRepeated(field, 1);
          break;
        case 2: {
          const length = this.varint(end);
          const bodyStart = this.pos;
          this.skip(length, end);
          const nested = field?.resolvedType;
          if (nested instanceof protobuf.Type) {
            if (++this.messages > this.caps.maxMessages) {
              throw new OnnxError(
                `${this.source} holds more than ${this.caps.maxMessages} protobuf messages, over the cap`,
              );
            }
            this.message(nested, bodyStart, bodyStart + length, depth + 1);
            this.pos = bodyStart + length;
          } else if (field?.repeated) {
            const text = field.type === 'string' || field.type === 'bytes';
            this.countRepeated(field, text ? 1 : this.packedCount(field.type, bodyStart, length));
          }
          break;
        }
        default:
          this.garbage(`wire type ${wireType} at byte ${tagAt}`);
      }
    }
  }

  private countRepeated(field: protobuf.Field | undefined, count: number): void {
    if (!field?.repeated) return;
    this.repeated += count;
    if (this.repeated > this.caps.maxRepeatedValues) {
      throw new OnnxError(
        `${this.source} holds more than ${this.caps.maxRepeatedValues} repeated values, over the cap`,
      );
    }
  }

  /** Values in a packed field: fixed-width ones by length, varints by their last bytes. */
  private packedCount(type: string, start: number, length: number): number {
    const width = PACKED_WIDTH[type];
    if (width !== undefined) {
      if (length % width !== 0) this.garbage(`a packed ${type} field of ${length} bytes`);
      return length / width;
    }
    let count = 0;
    for (let i = start; i < start + length; i++) if (this.bytes[i] < 0x80) count++;
    return count;
  }

  private varint(end: number): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= end) this.truncated();
      const byte = this.bytes[this.pos++];
      // Exact up to 2^53; beyond that only lengths could matter, and those are refused anyway.
      value += (byte & 0x7f) * scale;
      scale *= 128;
      if (byte < 0x80) return value;
    }
    return this.garbage(`a varint longer than 10 bytes before byte ${this.pos}`);
  }

  private skip(length: number, end: number): void {
    if (length > end - this.pos) this.truncated();
    this.pos += length;
  }

  private truncated(): never {
    throw new OnnxError(
      `${this.source} is truncated or not an ${this.what}: a field runs past the end of its message (${this.bytes.length} bytes in the file)`,
    );
  }

  private garbage(what: string): never {
    throw new OnnxError(`${this.source} is not an ${this.what}: protobuf data is broken (${what})`);
  }
}

// ---- The model ---------------------------------------------------------------------------------

function defaultOpset(message: ModelMessage, source: string): number {
  const entry = message.opset_import.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  if (!entry) {
    const named = message.opset_import.map((o) => o.domain).join(', ');
    throw new OnnxError(
      `${source} imports no version of ONNX's default operator set (ai.onnx)${named ? `, only ${named}` : ''}`,
    );
  }
  return toSafeInteger(entry.version, source, 'its ai.onnx opset version');
}

function graphFrom(graph: GraphMessage, reader: TensorReader): OnnxGraph {
  const initializers = new Map<string, OnnxTensor>();
  for (const tensor of graph.initializer) {
    initializers.set(tensor.name, reader.tensor(tensor, `initializer "${tensor.name}"`));
  }
  const source = reader.source;
  return {
    name: graph.name,
    nodes: graph.node.map((node) => nodeFrom(node, reader)),
    initializers,
    inputs: graph.input
      .filter((value) => !initializers.has(value.name))
      .map((value) => valueInfoFrom(value, source)),
    outputs: graph.output.map((value) => valueInfoFrom(value, source)),
  };
}

function nodeFrom(node: NodeMessage, reader: TensorReader): OnnxNode {
  const label = `node "${node.name || node.output[0] || node.op_type}" (${node.op_type})`;
  const attributes = new Map<string, OnnxAttribute>();
  for (const attribute of node.attribute) {
    attributes.set(
      attribute.name,
      attributeFrom(attribute, `${label}'s attribute "${attribute.name}"`, reader),
    );
  }
  return {
    name: node.name,
    opType: node.op_type,
    domain: node.domain,
    inputs: node.input,
    outputs: node.output,
    attributes,
  };
}

const has = (message: object, field: string) =>
  Object.prototype.hasOwnProperty.call(message, field);

/** The attribute's type; files from before IR version 0.0.2 leave it out and set one field. */
function attributeType(a: AttributeMessage): number {
  if (a.type) return a.type;
  const t = ATTRIBUTE_TYPES;
  if (has(a, 'f')) return t.float;
  if (has(a, 'i')) return t.int;
  if (has(a, 's')) return t.string;
  if (a.t) return t.tensor;
  if (a.g) return t.graph;
  if (a.floats.length) return t.floats;
  if (a.ints.length) return t.ints;
  if (a.strings.length) return t.strings;
  return 0;
}

const utf8 = new TextDecoder('utf-8');

function attributeFrom(a: AttributeMessage, where: string, reader: TensorReader): OnnxAttribute {
  const t = ATTRIBUTE_TYPES;
  const type = attributeType(a);
  switch (type) {
    case t.float:
      return { kind: 'float', value: a.f };
    case t.int:
      return { kind: 'int', value: toSafeInteger(a.i, reader.source, where) };
    case t.string:
      return { kind: 'string', value: utf8.decode(a.s) };
    case t.tensor:
      if (!a.t)
        throw new OnnxError(`${reader.source}: ${where} is a tensor attribute without a tensor`);
      return { kind: 'tensor', value: reader.tensor(a.t, where) };
    case t.floats:
      return { kind: 'floats', value: a.floats };
    case t.ints:
      return { kind: 'ints', value: a.ints.map((v) => toSafeInteger(v, reader.source, where)) };
    case t.strings:
      return { kind: 'strings', value: a.strings.map((s) => utf8.decode(s)) };
    default:
      return { kind: 'unsupported', type };
  }
}

function valueInfoFrom(value: ValueInfoMessage, source: string): OnnxValueInfo {
  const tensorType = value.type?.tensor_type;
  if (!tensorType) return { name: value.name, elemType: 0, shape: null };
  const shape = tensorType.shape
    ? tensorType.shape.dim.map((d): OnnxDim => {
        if (has(d, 'dim_value') && d.dim_value != null) {
          return toSafeInteger(d.dim_value, source, `a dimension of "${value.name}"`);
        }
        if (has(d, 'dim_param') && d.dim_param) return d.dim_param;
        return null;
      })
    : null;
  return { name: value.name, elemType: tensorType.elem_type, shape };
}

// ---- Tensors -----------------------------------------------------------------------------------

/** Bytes per element in raw_data, by TensorProto.DataType. */
const RAW_WIDTH: Record<number, number> = {
  1: 4, // float
  2: 1, // uint8
  3: 1, // int8
  4: 2, // uint16
  5: 2, // int16
  6: 4, // int32
  7: 8, // int64
  9: 1, // bool
  10: 2, // float16
  11: 8, // double
  12: 4, // uint32
  13: 8, // uint64
  16: 2, // bfloat16
};

const FLOAT_TYPES = new Set([1, 10, 11, 16]);
const INT_TYPES = new Set([2, 3, 4, 5, 6, 7, 9, 12, 13]);
const TYPE_NAMES: Record<number, string> = {
  1: 'float',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'double',
  12: 'uint32',
  13: 'uint64',
  16: 'bfloat16',
};

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

class TensorReader {
  private totalElements = 0;

  constructor(
    readonly source: string,
    private readonly caps: OnnxCaps,
    private readonly external: ((location: string) => Uint8Array | undefined) | undefined,
  ) {}

  private fail(where: string, what: string): never {
    throw new OnnxError(`${this.source}: ${where} ${what}`);
  }

  tensor(t: TensorMessage, where: string): OnnxTensor {
    const type = t.data_type;
    const typeName = TYPE_NAMES[type] ?? `data type ${type}`;
    if (t.dims.length > this.caps.maxRank) {
      this.fail(where, `has ${t.dims.length} dimensions, over the cap of ${this.caps.maxRank}`);
    }
    const dims: number[] = [];
    let elements = 1;
    for (const dim of t.dims) {
      const size = toSafeInteger(dim, this.source, `a dimension of ${where}`);
      if (size < 0) this.fail(where, `has a negative dimension ${size}`);
      dims.push(size);
      // Checked as it grows, so the product stays an exact double.
      elements *= size;
      if (elements > this.caps.maxTensorElements) {
        this.fail(
          where,
          `declares dims ${t.dims.map(String).join(' x ')}, over the cap of ${this.caps.maxTensorElements} elements`,
        );
      }
    }
    this.totalElements += elements;
    if (this.totalElements > this.caps.maxTotalElements) {
      this.fail(
        where,
        `takes the model over the cap of ${this.caps.maxTotalElements} tensor elements in all`,
      );
    }
    const base = { name: t.name, dataType: type, dims };
    const declared = `declares dims [${dims.join(', ')}] (${elements} ${typeName} values)`;

    let raw: Uint8Array | undefined = t.raw_data.length > 0 ? t.raw_data : undefined;
    if (t.data_location === DATA_LOCATION_EXTERNAL) raw = this.externalBytes(t, where);
    const width = RAW_WIDTH[type];
    if (raw !== undefined) {
      if (width === undefined)
        this.fail(where, `holds ${typeName} values as raw data, which the lab does not read`);
      if (raw.length !== elements * width) {
        this.fail(
          where,
          `${declared} but holds ${raw.length} bytes of data, not ${elements * width}`,
        );
      }
    }

    const typedLength = (values: { length: number }, field: string) => {
      if (values.length !== elements) {
        this.fail(where, `${declared} but holds ${values.length} values in ${field}`);
      }
    };

    if (FLOAT_TYPES.has(type)) {
      if (raw !== undefined || elements === 0)
        return { ...base, floats: floatsFromRaw(type, raw, elements) };
      switch (type) {
        case 1:
          typedLength(t.float_data, 'float_data');
          return { ...base, floats: Float32Array.from(t.float_data) };
        case 11:
          typedLength(t.double_data, 'double_data');
          return { ...base, floats: Float32Array.from(t.double_data) };
        default: {
          // float16 and bfloat16 keep their bit patterns in int32_data.
          typedLength(t.int32_data, 'int32_data');
          const halves = Uint16Array.from(t.int32_data);
          return { ...base, floats: floatsFromRaw(type, new Uint8Array(halves.buffer), elements) };
        }
      }
    }
    if (INT_TYPES.has(type)) {
      if (raw !== undefined || elements === 0) {
        return {
          ...base,
          ints: intsFromRaw(type, raw ?? new Uint8Array(0), elements, (v) => this.fail(where, v)),
        };
      }
      if (type === 7 || type === 12 || type === 13) {
        const field = type === 7 ? 'int64_data' : 'uint64_data';
        const values = type === 7 ? t.int64_data : t.uint64_data;
        typedLength(values, field);
        return { ...base, ints: values.map((v) => toSafeInteger(v, this.source, where)) };
      }
      typedLength(t.int32_data, 'int32_data');
      return { ...base, ints: t.int32_data.slice() };
    }
    if (type === 8) typedLength(t.string_data, 'string_data');
    // Strings and types the lab has no use for: kept by type only, so an op using them is refused.
    return base;
  }

  private externalBytes(t: TensorMessage, where: string): Uint8Array {
    const entries = new Map(t.external_data.map((e) => [e.key, e.value]));
    const location = entries.get('location');
    if (!location) this.fail(where, 'keeps its data outside the file but names no location');
    if (!this.external) {
      this.fail(
        where,
        `keeps its data in the external file "${location}", which cannot be read here (give the model together with its data file)`,
      );
    }
    const file = this.external(location);
    if (!file)
      this.fail(where, `keeps its data in the external file "${location}", which is missing`);
    if (file.length > this.caps.maxFileBytes) {
      this.fail(
        where,
        `keeps its data in "${location}", ${file.length} bytes, over the cap of ${this.caps.maxFileBytes}`,
      );
    }
    const offset = entries.has('offset') ? Number(entries.get('offset')) : 0;
    const length = entries.has('length') ? Number(entries.get('length')) : file.length - offset;
    if (
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(length) ||
      offset < 0 ||
      length < 0
    ) {
      this.fail(
        where,
        `names an offset or length in "${location}" that is not a whole number of bytes`,
      );
    }
    if (offset + length > file.length) {
      this.fail(
        where,
        `reads bytes ${offset} to ${offset + length} of "${location}", which has ${file.length} bytes`,
      );
    }
    return file.subarray(offset, offset + length);
  }
}

/** Little-endian bytes as float32: float16, bfloat16 and double converted. */
function floatsFromRaw(type: number, raw: Uint8Array | undefined, elements: number): Float32Array {
  const out = new Float32Array(elements);
  if (elements === 0 || raw === undefined) return out;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (type) {
    case 1:
      if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(raw);
      else for (let i = 0; i < elements; i++) out[i] = view.getFloat32(4 * i, true);
      break;
    case 11:
      for (let i = 0; i < elements; i++) out[i] = view.getFloat64(8 * i, true);
      break;
    case 10:
      for (let i = 0; i < elements; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
      break;
    case 16: {
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < elements; i++) bits[i] = view.getUint16(2 * i, true) << 16;
      break;
    }
  }
  return out;
}

/** IEEE 754 binary16 -> number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

function intsFromRaw(
  type: number,
  raw: Uint8Array,
  elements: number,
  fail: (what: string) => never,
): number[] {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Array<number>(elements);
  for (let i = 0; i < elements; i++) {
    switch (type) {
      case 2:
      case 9:
        out[i] = view.getUint8(i);
        break;
      case 3:
        out[i] = view.getInt8(i);
        break;
      case 4:
        out[i] = view.getUint16(2 * i, true);
        break;
      case 5:
        out[i] = view.getInt16(2 * i, true);
        break;
      case 6:
        out[i] = view.getInt32(4 * i, true);
        break;
      case 12:
        out[i] = view.getUint32(4 * i, true);
        break;
      default: {
        // int64 / uint64: exact when the value is a safe integer, refused otherwise.
        const low = view.getUint32(8 * i, true);
        const high = type === 7 ? view.getInt32(8 * i + 4, true) : view.getUint32(8 * i + 4, true);
        const value = high * 2 ** 32 + low;
        if (!Number.isSafeInteger(value))
          fail(
            `holds the value ${int64Text(low, high, type === 13)}, beyond the safe-integer range`,
          );
        out[i] = value;
      }
    }
  }
  return out;
}

function int64Text(low: number, high: number, unsigned: boolean): string {
  const value = (BigInt(high) << 32n) | BigInt(low >>> 0);
  return String(unsigned ? BigInt.asUintN(64, value) : BigInt.asIntN(64, value));
}

/** protobufjs's int64 (a Long, or a number without the `long` package) as an exact number. */
function toSafeInteger(value: Int64, source: string, where: string): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new OnnxError(`${source}: ${where} holds ${value}, beyond the safe-integer range`);
    }
    return value;
  }
  const high = value.unsigned ? value.high >>> 0 : value.high | 0;
  const result = high * 2 ** 32 + (value.low >>> 0);
  if (!Number.isSafeInteger(result)) {
    throw new OnnxError(
      `${source}: ${where} holds ${int64Text(value.low, high, value.unsigned)}, beyond the safe-integer range`,
    );
  }
  return result;
}
