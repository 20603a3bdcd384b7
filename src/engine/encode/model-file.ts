/**
 * The compact model file: the network's architecture and every weight tensor in its stored
 * form, a real file whose length is the size the lab reports. `complab export` writes it and
 * `complab eval --model FILE` reads it back. docs/model-file.md documents it
 * field by field; in short:
 *
 *   file    = "CLW" version arch-length:u32 arch tensor*  (nothing may follow the last tensor)
 *   version = "3", "4" or "5" (layouts/layout.ts: which layouts a file may hold and which
 *             filler layout 1 uses; gaps.ts: the two fillers)
 *   arch    = UTF-8 JSON: {output, nodes: [{name, className, config, inbound?,
 *             outputTransform?, weights: [[role, shape], ...]}]}; one tensor per weight, in order
 *             (inbound absent: the node before; config without initializers, regularizers,
 *             constraints, name, trainable, dtype and the executor's defaults)
 *   tensor  = u8:layout body, the body as layouts/<name>.ts writes it:
 *     0 dense float (dense.ts)      1 sparse float (sparse-float.ts)   2 codebook (codebook.ts)
 *     3 fixed point (fixed-point.ts)   4 ternary (ternary.ts)   5, 6 binary, sparse binary (binary.ts)
 *
 * Numbers are little-endian; every bits(...) run is packed least significant bit first and
 * padded with zero bits to a whole byte; Huffman codes are canonical and written most
 * significant bit first (symbols.ts). The decoder checks every length before it allocates, and
 * a graph read back carries the codings, masks and index widths the file encodes, so encoding
 * it again (in the same version) gives the same bytes.
 */
import { z } from 'zod';
import { LayerGraph, makeWeight, type GraphNode, type WeightRole } from '../model/graph.ts';
import { declaredWorkProblem } from '../model/declared-work.ts';
import { checkGraph } from '../model/serialize.ts';
import { ByteReader, ByteWriter } from './byte-io.ts';
import { chooseLayout, layoutOf } from './layouts/index.ts';
import {
  channelsOf,
  FILE_VERSIONS,
  type EncodedTensor,
  type FileVersion,
} from './layouts/layout.ts';
import { storedWeight } from './stored-form.ts';
import { WeightsFormatError } from './weights-blob.ts';
// The quantizers' transforms, so that their codings are known and a file naming them decodes.
import '../techniques/quantize/transforms.ts';

export type { ByteParts, EncodedTensor, FileVersion, ModelLayout } from './layouts/layout.ts';
export { decodedValues, storedForm } from './stored-form.ts';

const MAGIC = [0x43, 0x4c, 0x57]; // "CLW", then the version as an ASCII digit
const versionByte = (version: FileVersion) => 0x30 + version;
const MAX_ARCH_BYTES = 4 * 2 ** 20;
/** The most values the decoder materializes from one file (64 Mi floats, 256 MiB). */
const MAX_ELEMENTS = 2 ** 26;

/**
 * The version encodeModel writes when no version is given: 3, or 4 when a tensor takes layout
 * 6. Version 5 stores every sparse tensor with one convention, the skip filler (gaps.ts: a
 * filler costs k bits instead of k + 32), so its sparse floats change size (lenet300 with each
 * layer pruned to 3%, fixtures/lenet300-pruned-floats.clw3: 42,251 B instead of 42,567).
 * A run never relies on this default: the file of a run, whose length is the size its link
 * reports, is the version its recipe's version names (recipe/file-version.ts: recipe version
 * 1 writes 3/4, version 2 writes 5), so links keep their numbers
 * (docs/links-keep-their-numbers.md). Every version decodes (src/engine/encode/fixtures).
 */
export const DEFAULT_VERSION: 3 | 5 = 3;

/** What encodeModel writes: 3 (3, or 4 when a tensor needs layout 6) or 5; see DEFAULT_VERSION. */
export interface EncodeOptions {
  readonly version?: 3 | 5;
}

export interface EncodedModel {
  readonly bytes: Uint8Array;
  /** Bytes of the magic, the architecture and its length field. */
  readonly archBytes: number;
  /** One per weight, in graph order. */
  readonly tensors: readonly EncodedTensor[];
}

/** Config keys that only matter when a layer is created for training from scratch. */
const UNUSED_CONFIG = /(Initializer|Regularizer|Constraint)$/;
const STRIPPED = new Set(['name', 'trainable', 'dtype']);

/** Values the executor assumes when a key is absent (layers.ts), left out of the file. */
const isDefault = (key: string, value: unknown, className: string) =>
  (key === 'dataFormat' && value === 'channelsLast') ||
  (key === 'dilationRate' && JSON.stringify(value) === '[1,1]') ||
  // Only the input layer's shape is read; tfjs repeats it on the first layer.
  (key === 'batchInputShape' && className !== 'InputLayer');

export function compactConfig(
  config: Readonly<Record<string, unknown>>,
  className: string,
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(config).filter(
      ([k, v]) => !STRIPPED.has(k) && !UNUSED_CONFIG.test(k) && !isDefault(k, v, className),
    ),
  );
}

function architecture(graph: LayerGraph) {
  return {
    output: graph.output,
    nodes: graph.nodes.map((n, i) => ({
      name: n.name,
      className: n.className,
      config: compactConfig(n.config, n.className),
      // Left out when the node reads the one before it, as in a sequential model.
      ...(i > 0 && n.inbound.length === 1 && n.inbound[0] === graph.nodes[i - 1].name
        ? {}
        : { inbound: n.inbound }),
      ...(n.outputTransform
        ? {
            outputTransform: {
              id: n.outputTransform.id,
              params: n.outputTransform.params,
              ...(n.outputTransform.tensors
                ? {
                    tensors: Object.fromEntries(
                      Object.entries(n.outputTransform.tensors).map(([k, t]) => [
                        k,
                        { shape: t.shape, values: Array.from(t.values) },
                      ]),
                    ),
                  }
                : {}),
            },
          }
        : {}),
      weights: n.weights.map((w) => [w.role, w.shape]),
    })),
  };
}

/**
 * Encodes a graph into the compact file. Ternary and binary weights must hold their stored
 * values (+positive / 0 / -negative; +-scale of their channel); see model/coding.ts.
 */
export function encodeModel(graph: LayerGraph, options: EncodeOptions = {}): EncodedModel {
  const asked = options.version ?? DEFAULT_VERSION;
  const arch = new TextEncoder().encode(JSON.stringify(architecture(graph)));
  if (arch.length > MAX_ARCH_BYTES) throw new WeightsFormatError('the architecture is too large');
  const out = new ByteWriter();
  out.bytes(Uint8Array.from([...MAGIC, versionByte(asked)]));
  out.u32(arch.length);
  out.bytes(arch);
  const archBytes = out.length;
  let version: FileVersion = asked;
  const tensors = graph.weights.map((w): EncodedTensor => {
    const stored = storedWeight(w);
    const layout = chooseLayout(stored, asked);
    // A version 3 file with a layout of version 4 is version 4 (so version 3 readers refuse it).
    if (layout.since > version) version = layout.since;
    const start = out.length;
    out.u8(layout.id);
    const report = layout.encode(out, stored, asked);
    return {
      name: w.name,
      layout: layout.name,
      bytes: out.length - start,
      ...report,
      parts: { ...report.parts, header: report.parts.header + 1 },
    };
  });
  const bytes = out.finish();
  bytes[3] = versionByte(version);
  return { bytes, archBytes, tensors };
}

// ---- Decoding ----------------------------------------------------------------------------------

const transformSchema = z.object({
  id: z.string().max(100),
  params: z.record(z.string(), z.number()),
  tensors: z
    .record(
      z.string(),
      z.object({
        shape: z.array(z.number().int().positive()).max(8),
        values: z.array(z.number()).max(2 ** 16),
      }),
    )
    .optional(),
});
const archSchema = z.object({
  output: z.string(),
  nodes: z
    .array(
      z.object({
        name: z.string(),
        className: z.string(),
        config: z.record(z.string(), z.unknown()),
        inbound: z.array(z.string()).optional(),
        outputTransform: transformSchema.optional(),
        weights: z.array(
          z.tuple([
            z.enum([
              'kernel',
              'depthwise_kernel',
              'bias',
              'gamma',
              'beta',
              'moving_mean',
              'moving_variance',
            ]),
            z.array(z.number().int().nonnegative().max(0xffffffff)).max(8),
          ]),
        ),
      }),
    )
    .min(1),
});

/** Reads the compact file back into a graph (with codings, masks and index widths). */
export function decodeModel(bytes: Uint8Array): LayerGraph {
  const input = new ByteReader(bytes);
  if (!isCompactModel(bytes) || bytes.length < 8)
    throw new WeightsFormatError(
      'not a compact model file (bad magic; expected CLW3, CLW4 or CLW5)',
    );
  const version = (bytes[3] - 0x30) as FileVersion;
  input.pos = 4;
  const archLength = input.u32('architecture length');
  if (archLength > MAX_ARCH_BYTES)
    throw new WeightsFormatError('compact model file: architecture too large');
  input.need(archLength, 'architecture');
  let json: unknown;
  try {
    json = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + archLength)),
    );
  } catch {
    throw new WeightsFormatError('compact model file: the architecture is not JSON');
  }
  input.pos += archLength;
  const parsed = archSchema.safeParse(json);
  if (!parsed.success)
    throw new WeightsFormatError(
      'compact model file: the architecture is not a network description',
    );
  const arch = parsed.data;
  // One budget for the whole file, checked before anything is allocated.
  let total = 0;
  for (const node of arch.nodes)
    for (const [, shape] of node.weights) total += shape.reduce((a, b) => a * b, 1);
  for (const node of arch.nodes)
    for (const t of Object.values(node.outputTransform?.tensors ?? {}))
      if (t.shape.reduce((a, b) => a * b, 1) !== t.values.length)
        throw new WeightsFormatError(
          `compact model file: ${node.name.slice(0, 40)}'s output transform tensor does not fit its shape`,
        );
  if (total > MAX_ELEMENTS)
    throw new WeightsFormatError(
      `compact model file: ${total} values is more than the lab reads (${MAX_ELEMENTS})`,
    );
  // The network its shapes describe, and the work that implies, before any tensor is read.
  const skeleton = new LayerGraph(
    arch.nodes.map((node, i) => ({
      name: node.name,
      className: node.className,
      config: node.config,
      inbound: node.inbound ?? (i > 0 ? [arch.nodes[i - 1].name] : []),
      weights: node.weights.map(([role, shape]) =>
        makeWeight(node.name, role as WeightRole, shape, new Float32Array(0)),
      ),
    })),
    arch.output,
  );
  let tooMuch: string | undefined;
  try {
    checkGraph(skeleton);
    tooMuch = declaredWorkProblem(skeleton);
  } catch (err) {
    throw new WeightsFormatError(
      `compact model file describes an invalid network: ${(err as Error).message.slice(0, 300)}`,
    );
  }
  if (tooMuch) throw new WeightsFormatError(`compact model file: ${tooMuch}`);

  const nodes: GraphNode[] = arch.nodes.map((node, i) => ({
    name: node.name,
    className: node.className,
    config: node.config,
    inbound: node.inbound ?? (i > 0 ? [arch.nodes[i - 1].name] : []),
    outputTransform: node.outputTransform && {
      id: node.outputTransform.id,
      params: node.outputTransform.params,
      tensors: node.outputTransform.tensors
        ? Object.fromEntries(
            Object.entries(node.outputTransform.tensors).map(([k, t]) => [
              k,
              { shape: t.shape, values: Float32Array.from(t.values), trainable: false },
            ]),
          )
        : undefined,
    },
    weights: node.weights.map(([role, shape]) => {
      const w = makeWeight(node.name, role as WeightRole, shape, new Float32Array(0));
      const what = `tensor ${w.name.slice(0, 60)}`;
      const n = shape.reduce((a, b) => a * b, 1);
      const id = input.u8(what);
      const layout = layoutOf(id, version);
      if (!layout) throw new WeightsFormatError(`${what}: unknown layout ${id}`);
      const decoded = layout.decode(
        input,
        { shape, n, channels: channelsOf(shape), what },
        version,
      );
      w.values = decoded.values;
      if (decoded.coding) w.coding = decoded.coding;
      if (decoded.mask) w.mask = decoded.mask;
      if (decoded.indexBits !== undefined) w.indexBits = decoded.indexBits;
      return w;
    }),
  }));
  if (input.pos !== bytes.length)
    throw new WeightsFormatError(
      `compact model file: ${bytes.length - input.pos} bytes follow the last tensor`,
    );
  const graph = new LayerGraph(nodes, arch.output);
  try {
    checkGraph(graph);
  } catch (err) {
    throw new WeightsFormatError(
      `compact model file describes an invalid network: ${(err as Error).message.slice(0, 300)}`,
    );
  }
  return graph;
}

/** Whether bytes start like a compact model file (of a version this lab reads). */
export const isCompactModel = (bytes: Uint8Array) =>
  bytes.length >= 4 &&
  MAGIC.every((b, i) => bytes[i] === b) &&
  FILE_VERSIONS.some((v) => bytes[3] === versionByte(v));
