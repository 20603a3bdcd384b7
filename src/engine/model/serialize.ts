/**
 * A LayerGraph as bytes, for the prefix cache that survives a reload (IndexedDB in the page,
 * files with `complab --cache DIR`): structure, weights, masks, transforms, and whatever JSON
 * the cache keeps beside it.
 *
 *   file   = "CLG1" u32:headerBytes header(JSON, UTF-8) pad-to-4 data
 *   data   = for each weight in node order: f32*n values, then u8*n mask when it has one
 *
 * The decoder validates the header's shape and every length before it allocates, and refuses
 * trailing bytes, so a damaged cache entry is a clear error (and is recomputed), never a crash.
 * It also checks what the executor relies on: known layer classes and transforms, one input
 * layer first, each layer's weights (roles and shapes) fitting its inputs, masks of 0 and 1.
 */
import { z } from 'zod';
import {
  LayerGraph,
  SUPPORTED_LAYERS,
  type GraphNode,
  type WeightRole,
  type WeightTensor,
  type WeightTransformRef,
} from './graph.ts';
import type { WeightCoding } from './coding.ts';
import { hasTransform } from './transforms.ts';
import { oneLine } from '../util/one-line.ts';

const MAGIC = [0x43, 0x4c, 0x47, 0x31]; // "CLG1"
const MAX_HEADER = 4 * 2 ** 20;
const MAX_ELEMENTS = 2 ** 26;
/** The most entries of a codebook or of a list of scales. */
const MAX_COUNT = 2 ** 16;

export class GraphFormatError extends Error {
  constructor(message: string) {
    super(oneLine(message));
    this.name = 'GraphFormatError';
  }
}

const transformSchema = z.object({
  id: z.string(),
  params: z.record(z.string(), z.number()),
  tensors: z
    .record(
      z.string(),
      z.object({ shape: z.array(z.number().int().nonnegative()).max(8), trainable: z.boolean() }),
    )
    .optional(),
});
const bitsSchema = z.number().int().min(1).max(16);
const countSchema = z.number().int().nonnegative().max(MAX_COUNT);
const codingSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('codebook'),
    bits: bitsSchema,
    huffman: z.boolean(),
    size: countSchema,
  }),
  z.object({ kind: z.literal('fixed'), bits: bitsSchema, size: countSchema }),
  z.object({ kind: z.literal('ternary'), positive: z.number(), negative: z.number() }),
  z.object({ kind: z.literal('binary'), size: countSchema }),
]);
const weightSchema = z.object({
  name: z.string(),
  role: z.enum([
    'kernel',
    'depthwise_kernel',
    'bias',
    'gamma',
    'beta',
    'moving_mean',
    'moving_variance',
  ]),
  shape: z.array(z.number().int().nonnegative()).max(8),
  prunable: z.boolean(),
  trainable: z.boolean(),
  masked: z.boolean(),
  transform: transformSchema.optional(),
  indexBits: z.number().int().min(1).max(16).optional(),
  coding: codingSchema.optional(),
});
const headerSchema = z.object({
  format: z.literal('complab-graph'),
  version: z.literal(1),
  output: z.string(),
  nodes: z.array(
    z.object({
      name: z.string(),
      className: z.string(),
      config: z.record(z.string(), z.unknown()),
      inbound: z.array(z.string()),
      outputTransform: transformSchema.optional(),
      weights: z.array(weightSchema),
    }),
  ),
  extra: z.unknown().optional(),
});

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** The header's description of a coding: its scalars and the lengths of its arrays. */
function codingHeader(coding: WeightCoding): z.infer<typeof codingSchema> {
  switch (coding.kind) {
    case 'codebook':
      return {
        kind: 'codebook',
        bits: coding.bits,
        huffman: coding.huffman,
        size: coding.codebook.length,
      };
    case 'fixed':
      return { kind: 'fixed', bits: coding.bits, size: coding.scales.length };
    case 'ternary':
      return { kind: 'ternary', positive: coding.positive, negative: coding.negative };
    case 'binary':
      return { kind: 'binary', size: coding.scales.length };
  }
}

/**
 * The arrays one weight contributes to the data section, in order: values, mask, its
 * transform's tensors (in key order), its coding's arrays.
 */
type DataArray = Float32Array | Uint8Array | Uint16Array | Int32Array;

function arraysOf(w: WeightTensor): DataArray[] {
  const arrays: DataArray[] = [w.values];
  if (w.mask) arrays.push(w.mask);
  arrays.push(...transformArrays(w.transform));
  const c = w.coding;
  if (c?.kind === 'codebook') arrays.push(c.codebook, c.indices);
  if (c?.kind === 'fixed') arrays.push(c.scales, c.zeroPoints, c.levels);
  if (c?.kind === 'binary') arrays.push(c.scales);
  return arrays;
}

const transformArrays = (ref: WeightTransformRef | undefined) =>
  Object.values(ref?.tensors ?? {}).map((t) => t.values);

function writeArray(view: DataView, pos: number, array: DataArray): number {
  for (const v of array) {
    if (array instanceof Float32Array) view.setFloat32(pos, v, true);
    else if (array instanceof Uint16Array) view.setUint16(pos, v, true);
    else if (array instanceof Int32Array) view.setInt32(pos, v, true);
    else view.setUint8(pos, v);
    pos += array.BYTES_PER_ELEMENT;
  }
  return pos;
}

const transformHeader = (ref: WeightTransformRef | undefined) =>
  ref && {
    id: ref.id,
    params: ref.params,
    tensors: ref.tensors
      ? Object.fromEntries(
          Object.entries(ref.tensors).map(([k, t]) => [
            k,
            { shape: t.shape, trainable: t.trainable },
          ]),
        )
      : undefined,
  };

export function serializeGraph(graph: LayerGraph, extra?: unknown): Uint8Array {
  const header = {
    format: 'complab-graph',
    version: 1,
    output: graph.output,
    nodes: graph.nodes.map((n) => ({
      name: n.name,
      className: n.className,
      config: n.config,
      inbound: n.inbound,
      outputTransform: transformHeader(n.outputTransform),
      weights: n.weights.map((w) => ({
        name: w.name,
        role: w.role,
        shape: w.shape,
        prunable: w.prunable,
        trainable: w.trainable,
        masked: w.mask !== undefined,
        transform: transformHeader(w.transform),
        indexBits: w.indexBits,
        coding: w.coding && codingHeader(w.coding),
      })),
    })),
    extra,
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = 8 + Math.ceil(json.length / 4) * 4;
  const arrays = graph.nodes.flatMap((n) => [
    ...transformArrays(n.outputTransform),
    ...n.weights.flatMap(arraysOf),
  ]);
  const dataBytes = arrays.reduce((sum, a) => sum + a.byteLength, 0);
  const bytes = new Uint8Array(dataStart + dataBytes);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  view.setUint32(4, json.length, true);
  bytes.set(json, 8);
  let pos = dataStart;
  for (const array of arrays) pos = writeArray(view, pos, array);
  return bytes;
}

type TransformHeader = z.infer<typeof transformSchema>;
type WeightHeader = z.infer<typeof weightSchema>;

/** Bytes the data section holds for a transform's tensors. */
const transformBytes = (t: TransformHeader | undefined) =>
  Object.values(t?.tensors ?? {}).reduce((sum, tensor) => sum + 4 * size(tensor.shape), 0);

/** Bytes the data section holds for one weight (see arraysOf). */
function weightBytes(w: WeightHeader): number {
  const n = size(w.shape);
  let bytes = n * (w.masked ? 5 : 4) + transformBytes(w.transform);
  const c = w.coding;
  if (c?.kind === 'codebook') bytes += 4 * c.size + 2 * n;
  if (c?.kind === 'fixed') bytes += 8 * c.size + 2 * n;
  if (c?.kind === 'binary') bytes += 4 * c.size;
  return bytes;
}

export function deserializeGraph(bytes: Uint8Array): { graph: LayerGraph; extra: unknown } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b))
    throw new GraphFormatError('not a CLG1 graph file');
  const headerBytes = view.getUint32(4, true);
  if (headerBytes > MAX_HEADER || 8 + headerBytes > bytes.length)
    throw new GraphFormatError('graph file header is truncated');
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerBytes)));
  } catch {
    throw new GraphFormatError('graph file header is not JSON');
  }
  const parsed = headerSchema.safeParse(json);
  if (!parsed.success) throw new GraphFormatError('graph file header is not a graph description');
  const header = parsed.data;
  let pos = 8 + Math.ceil(headerBytes / 4) * 4;
  let total = 0;
  for (const n of header.nodes) {
    total += transformBytes(n.outputTransform);
    for (const w of n.weights) total += weightBytes(w);
  }
  if (total > MAX_ELEMENTS * 8 || pos + total !== bytes.length) {
    throw new GraphFormatError('graph file data does not match its header (truncated or damaged)');
  }
  // Every length was checked above, so the reads below stay inside the data section.
  const floats = (count: number) => {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++, pos += 4) out[i] = view.getFloat32(pos, true);
    return out;
  };
  const uint16s = (count: number) => {
    const out = new Uint16Array(count);
    for (let i = 0; i < count; i++, pos += 2) out[i] = view.getUint16(pos, true);
    return out;
  };
  const int32s = (count: number) => {
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++, pos += 4) out[i] = view.getInt32(pos, true);
    return out;
  };
  const readTransform = (t: TransformHeader | undefined): WeightTransformRef | undefined =>
    t && {
      id: t.id,
      params: t.params,
      tensors: t.tensors
        ? Object.fromEntries(
            Object.entries(t.tensors).map(([k, tensor]) => [
              k,
              {
                shape: tensor.shape,
                trainable: tensor.trainable,
                values: floats(size(tensor.shape)),
              },
            ]),
          )
        : undefined,
    };
  const readCoding = (c: WeightHeader['coding'], n: number): WeightCoding | undefined => {
    switch (c?.kind) {
      case undefined:
        return undefined;
      case 'codebook':
        return {
          kind: 'codebook',
          bits: c.bits,
          huffman: c.huffman,
          codebook: floats(c.size),
          indices: uint16s(n),
        };
      case 'fixed':
        return {
          kind: 'fixed',
          bits: c.bits,
          scales: floats(c.size),
          zeroPoints: int32s(c.size),
          levels: uint16s(n),
        };
      case 'ternary':
        return { kind: 'ternary', positive: c.positive, negative: c.negative };
      case 'binary':
        return { kind: 'binary', scales: floats(c.size) };
    }
  };
  const nodes: GraphNode[] = header.nodes.map((n) => ({
    name: n.name,
    className: n.className,
    config: n.config,
    inbound: n.inbound,
    outputTransform: readTransform(n.outputTransform),
    weights: n.weights.map((w): WeightTensor => {
      const count = size(w.shape);
      const values = floats(count);
      let mask: Uint8Array | undefined;
      if (w.masked) {
        mask = bytes.slice(pos, pos + count);
        pos += count;
      }
      const transform = readTransform(w.transform);
      return {
        name: w.name,
        role: w.role as WeightRole,
        shape: w.shape,
        values,
        prunable: w.prunable,
        trainable: w.trainable,
        mask,
        transform,
        indexBits: w.indexBits,
        coding: readCoding(w.coding, count),
      };
    }),
  }));
  const graph = new LayerGraph(nodes, header.output);
  try {
    checkGraph(graph);
  } catch (err) {
    throw new GraphFormatError(
      `graph file describes an invalid network: ${(err as Error).message.slice(0, 300)}`,
    );
  }
  return { graph, extra: header.extra };
}

/** The weights each layer class holds; every other class holds none. */
const ROLES_OF: Readonly<Record<string, readonly WeightRole[]>> = {
  Conv2D: ['kernel', 'bias'],
  DepthwiseConv2D: ['depthwise_kernel', 'bias'],
  Dense: ['kernel', 'bias'],
  BatchNormalization: ['gamma', 'beta', 'moving_mean', 'moving_variance'],
  BinaryConv2D: ['kernel', 'bias'],
  BinaryDense: ['kernel', 'bias'],
  PReLU: ['gamma'],
  Scale: ['gamma', 'beta'],
};

const isDimension = (d: number | undefined) => d !== undefined && Number.isInteger(d) && d > 0;

/** What is wrong with a coding's numbers (an index past the codebook, a level past its bits). */
function codingProblem(coding: WeightCoding): string | undefined {
  const limit = 2 ** (coding.kind === 'codebook' || coding.kind === 'fixed' ? coding.bits : 0);
  if (coding.kind === 'codebook') {
    if (coding.codebook.length > limit) return `has more than 2^${coding.bits} codebook entries`;
    if (coding.indices.some((i) => i >= coding.codebook.length))
      return 'has an index past the end of its codebook';
  }
  if (coding.kind === 'fixed' && coding.levels.some((q) => q >= limit))
    return `has a level that does not fit ${coding.bits} bits`;
  return undefined;
}

/** What the executor relies on and the header's schema cannot say; throws Error naming it. */
export function checkGraph(graph: LayerGraph): void {
  graph.nodes.forEach((node, i) => {
    if (!(SUPPORTED_LAYERS as readonly string[]).includes(node.className)) {
      throw new Error(
        `layer "${node.name.slice(0, 60)}" has unknown class ${node.className.slice(0, 40)}`,
      );
    }
    if ((node.className === 'InputLayer') !== (i === 0)) {
      throw new Error('the input layer must come first, and only once');
    }
    for (const ref of [node.outputTransform, ...node.weights.map((w) => w.transform)]) {
      if (ref && !hasTransform(ref.id))
        throw new Error(`unknown transform "${ref.id.slice(0, 40)}"`);
    }
  });
  graph.checkShapes();
  const info = graph.info();
  for (const node of graph.nodes) {
    const { inputShapes, outputShape } = info.get(node.name)!;
    const roles = Object.hasOwn(ROLES_OF, node.className) ? ROLES_OF[node.className] : [];
    const seen = new Set<string>();
    for (const w of node.weights) {
      if (!roles.includes(w.role) || seen.has(w.role)) {
        throw new Error(
          `layer "${node.name.slice(0, 60)}" (${node.className}) cannot hold a ${w.role}`,
        );
      }
      seen.add(w.role);
      const channels = outputShape[outputShape.length - 1];
      const inputChannels = inputShapes[0]?.[inputShapes[0].length - 1];
      let expected: readonly number[];
      if (w.role === 'kernel' || w.role === 'depthwise_kernel') {
        const rank = node.className === 'Dense' || node.className === 'BinaryDense' ? 2 : 4;
        if (w.shape.length !== rank || !w.shape.every(isDimension)) {
          throw new Error(
            `layer "${node.name.slice(0, 60)}" has a kernel of shape [${w.shape.join(', ')}]`,
          );
        }
        expected = w.shape;
      } else if (w.role === 'bias') {
        expected = [channels];
      } else {
        expected = [inputChannels];
      }
      if (w.shape.join(',') !== expected.join(',')) {
        throw new Error(
          `${w.name.slice(0, 60)} has shape [${w.shape.join(', ')}], its layer needs [${expected.join(', ')}]`,
        );
      }
      if (w.mask?.some((m) => m > 1))
        throw new Error(`${w.name.slice(0, 60)} has a mask that is not 0 or 1`);
      const problem = w.coding && codingProblem(w.coding);
      if (problem) throw new Error(`${w.name.slice(0, 60)} ${problem}`);
    }
    if (
      node.className === 'BatchNormalization' &&
      !(seen.has('moving_mean') && seen.has('moving_variance'))
    ) {
      throw new Error(`layer "${node.name.slice(0, 60)}" lacks its moving statistics`);
    }
  }
}
