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
 */
import { z } from 'zod';
import { LayerGraph, type GraphNode, type WeightRole, type WeightTensor } from './graph.ts';

const MAGIC = [0x43, 0x4c, 0x47, 0x31]; // "CLG1"
const MAX_HEADER = 4 * 2 ** 20;
const MAX_ELEMENTS = 2 ** 26;

export class GraphFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GraphFormatError';
  }
}

const transformSchema = z.object({ id: z.string(), params: z.record(z.string(), z.number()) });
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
      outputTransform: n.outputTransform,
      weights: n.weights.map((w) => ({
        name: w.name,
        role: w.role,
        shape: w.shape,
        prunable: w.prunable,
        trainable: w.trainable,
        masked: w.mask !== undefined,
        transform: w.transform,
        indexBits: w.indexBits,
      })),
    })),
    extra,
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = 8 + Math.ceil(json.length / 4) * 4;
  const weights = graph.weights;
  const dataBytes = weights.reduce(
    (sum, w) => sum + 4 * w.values.length + (w.mask ? w.mask.length : 0),
    0,
  );
  const bytes = new Uint8Array(dataStart + dataBytes);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  view.setUint32(4, json.length, true);
  bytes.set(json, 8);
  let pos = dataStart;
  for (const w of weights) {
    for (const v of w.values) {
      view.setFloat32(pos, v, true);
      pos += 4;
    }
    if (w.mask) {
      bytes.set(w.mask, pos);
      pos += w.mask.length;
    }
  }
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
  for (const n of header.nodes)
    for (const w of n.weights) total += size(w.shape) * (w.masked ? 5 : 4);
  if (total > MAX_ELEMENTS * 5 || pos + total !== bytes.length) {
    throw new GraphFormatError('graph file data does not match its header (truncated or damaged)');
  }
  const nodes: GraphNode[] = header.nodes.map((n) => ({
    name: n.name,
    className: n.className,
    config: n.config,
    inbound: n.inbound,
    outputTransform: n.outputTransform,
    weights: n.weights.map((w): WeightTensor => {
      const count = size(w.shape);
      const values = new Float32Array(count);
      for (let i = 0; i < count; i++, pos += 4) values[i] = view.getFloat32(pos, true);
      let mask: Uint8Array | undefined;
      if (w.masked) {
        mask = bytes.slice(pos, pos + count);
        pos += count;
      }
      return {
        name: w.name,
        role: w.role as WeightRole,
        shape: w.shape,
        values,
        prunable: w.prunable,
        trainable: w.trainable,
        mask,
        transform: w.transform,
        indexBits: w.indexBits,
      };
    }),
  }));
  const graph = new LayerGraph(nodes, header.output);
  try {
    graph.info();
  } catch (err) {
    throw new GraphFormatError(
      `graph file describes an invalid network: ${(err as Error).message}`,
    );
  }
  return { graph, extra: header.extra };
}
