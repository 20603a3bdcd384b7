/**
 * The compact model file (CLW3): the network's architecture and every weight tensor in its
 * stored form, a real file whose length is the size the lab reports. `complab export` writes it
 * and `complab eval --model FILE` reads it back. The README ("The compact model file") documents
 * it field by field; in short:
 *
 *   file    = "CLW3" u32:archBytes arch tensor*         (nothing may follow the last tensor)
 *             ("CLW4" instead when a tensor takes layout 6, which CLW3 readers do not know)
 *   arch    = UTF-8 JSON: {output, nodes: [{name, className, config, inbound?,
 *             outputTransform?, weights: [[role, shape], ...]}]}; one tensor per weight, in order
 *             (inbound absent: the node before; config without initializers, regularizers,
 *             constraints, name, trainable, dtype and the executor's defaults)
 *   tensor  = u8:layout body
 *     0 dense float    f32*n
 *     1 sparse float   u8:k u32:entries bits(k*entries) f32*entries     (CLW2's relative indices)
 *     2 codebook       u8:bits u16:(size-1) f32*size symbols(bits)
 *     3 fixed point    u8:bits u32:channels f32*channels u16*channels symbols(bits)
 *     4 ternary        f32:positive f32:negative bits(2*n)
 *     5 binary         u32:channels f32*channels bits(n)
 *     6 sparse binary  u32:channels f32*channels symbols(1)  (flags 1: only kept signs; CLW4)
 *   symbols(b) = u8:flags [u8:k u32:kept u32:entries field(k, entries)] field(b, kept or n)
 *     flags bit 0: sparse (only kept positions carry a symbol), bit 1: Huffman-coded fields
 *   field(w, count) = bits(w*count)                      plain, or with Huffman:
 *                   = table(w) u32:streamBits bits(streamBits)
 *   table(w) = bits(16: used-1, then per used symbol ascending: w bits symbol, 6 bits length)
 *
 * Numbers are little-endian; every bits(...) run is packed least significant bit first and
 * padded with zero bits to a whole byte; Huffman codes are canonical and written most
 * significant bit first. Sparse symbol layouts use relative indices whose top value 2^k - 1
 * is a filler (skip 2^k - 1 positions, no symbol); any other value r skips r positions and
 * stores the next one. The decoder checks every length before it allocates, and a graph read
 * back carries the codings, masks and index widths the file encodes, so encoding it again gives
 * the same bytes.
 */
import { z } from 'zod';
import type { CodebookCoding, WeightCoding } from '../model/coding.ts';
import {
  LayerGraph,
  makeWeight,
  type GraphNode,
  type WeightRole,
  type WeightTensor,
} from '../model/graph.ts';
import { declaredWorkProblem } from '../model/declared-work.ts';
import { checkGraph } from '../model/serialize.ts';
import { getTransform, hasTransform } from '../model/transforms.ts';
import { BitReader, BitWriter } from './bits.ts';
import {
  huffmanTable,
  readTable,
  streamBits,
  tableBits,
  writeStream,
  writeTable,
} from './huffman.ts';
import { WeightsFormatError } from './weights-blob.ts';
// The quantizers' transforms, so that their codings are known and a file naming them decodes.
import '../techniques/quantize/transforms.ts';

const MAGIC = [0x43, 0x4c, 0x57, 0x33]; // "CLW3"; "CLW4" when a tensor needs a layout past 5
const VERSION_4 = 0x34;
const MAX_ARCH_BYTES = 4 * 2 ** 20;
/** The most values the decoder materializes from one file (64 Mi floats, 256 MiB). */
const MAX_ELEMENTS = 2 ** 26;
const MAX_INDEX_BITS = 16;

export type ModelLayout =
  'dense' | 'sparse' | 'codebook' | 'fixed' | 'ternary' | 'binary' | 'sparse-binary';
const LAYOUTS: readonly ModelLayout[] = [
  'dense',
  'sparse',
  'codebook',
  'fixed',
  'ternary',
  'binary',
  'sparse-binary',
];
/** Layouts a CLW3 file may hold; a file with a later one is CLW4 (so CLW3 readers refuse it). */
const CLW3_LAYOUTS = 6;

/** Where a tensor's bytes go (they add up to its `bytes`). */
export interface ByteParts {
  /** The weights themselves: float values, codebook indices, fixed-point levels, sign bits. */
  readonly values: number;
  /** Positions of sparse tensors: relative indices. */
  readonly indices: number;
  /** Codebooks, scales and zero points. */
  readonly codebooks: number;
  /** Huffman tables. */
  readonly tables: number;
  /** Layout byte, widths and counts. */
  readonly header: number;
}

export interface EncodedTensor {
  readonly name: string;
  readonly layout: ModelLayout;
  readonly bytes: number;
  readonly parts: ByteParts;
  /** Stored positions (all of them for a dense tensor). */
  readonly kept: number;
  /** Relative-index width of a sparse layout. */
  readonly indexBits?: number;
  /** Width of a symbol (codebook index, level) before Huffman coding. */
  readonly symbolBits?: number;
  readonly huffman?: boolean;
  /** Stored bits per kept weight of the values and of the positions (after Huffman). */
  readonly valueBitsPerWeight: number;
  readonly indexBitsPerWeight: number;
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
 * How a weight is stored: its own coding, else its transform's (a quantizer computes it from
 * the host values), else undefined (32-bit floats).
 */
export function storedForm(w: WeightTensor): { values: Float32Array; coding?: WeightCoding } {
  const masked = w.mask ? w.values.map((v, i) => (w.mask![i] ? v : 0)) : w.values;
  if (w.coding) return { values: masked, coding: w.coding };
  if (!w.transform || !hasTransform(w.transform.id)) return { values: masked };
  const transform = getTransform(w.transform.id);
  if (!transform.coding) return { values: masked };
  const tensors = Object.fromEntries(
    Object.entries(w.transform.tensors ?? {}).map(([k, t]) => [k, t.values]),
  );
  const stored = transform.coding(masked, w.shape, w.transform.params, tensors, w.mask);
  const values = w.mask ? stored.values.map((v, i) => (w.mask![i] ? v : 0)) : stored.values;
  return { values, coding: stored.coding };
}

/** The floats a coding stands for (pruned positions 0 when a mask is given). */
export function decodedValues(
  coding: WeightCoding,
  shape: readonly number[],
  mask?: Uint8Array,
): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const channels = shape[shape.length - 1] ?? 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (mask && !mask[i]) continue;
    switch (coding.kind) {
      case 'codebook':
        out[i] = coding.codebook[coding.indices[i]];
        break;
      case 'fixed': {
        const c = coding.scales.length === 1 ? 0 : i % channels;
        out[i] = Math.fround((coding.levels[i] - coding.zeroPoints[c]) * coding.scales[c]);
        break;
      }
      case 'ternary':
        break; // ternary values come from the file's codes, not from the coding alone
      case 'binary':
        break;
    }
  }
  return out;
}

const isStored = (v: number) => v !== 0 || Object.is(v, -0);
const bytesOf = (bits: number) => Math.ceil(bits / 8);

/** Relative indices of the stored positions: r < 2^k - 1 stores after r skips, 2^k - 1 skips. */
function relativeIndices(stored: ArrayLike<boolean | number>, k: number): number[] {
  const filler = 2 ** k - 1;
  const out: number[] = [];
  let gap = 0;
  for (let i = 0; i < stored.length; i++) {
    if (!stored[i]) {
      gap++;
      continue;
    }
    while (gap >= filler) {
      out.push(filler);
      gap -= filler;
    }
    out.push(gap);
    gap = 0;
  }
  return out;
}

function entryCount(gaps: readonly number[], k: number): number {
  const filler = 2 ** k - 1;
  let entries = 0;
  for (const g of gaps) entries += Math.floor(g / filler) + 1;
  return entries;
}

function gapsOf(stored: ArrayLike<boolean | number>): number[] {
  const gaps: number[] = [];
  let gap = 0;
  for (let i = 0; i < stored.length; i++) {
    if (stored[i]) {
      gaps.push(gap);
      gap = 0;
    } else gap++;
  }
  return gaps;
}

/** A field of `width`-bit symbols: plain or Huffman-coded. */
interface FieldPlan {
  readonly data: ArrayLike<number>;
  readonly width: number;
  readonly huffman: boolean;
  readonly table?: ReturnType<typeof huffmanTable>;
  /** Bytes of the table (with its u32 stream length) and of the stream. */
  readonly tableBytes: number;
  readonly streamBytes: number;
  readonly streamBits: number;
}

function fieldPlan(data: ArrayLike<number>, width: number, huffman: boolean): FieldPlan {
  if (!huffman) {
    const bits = width * data.length;
    return { data, width, huffman, tableBytes: 0, streamBytes: bytesOf(bits), streamBits: bits };
  }
  const table = huffmanTable(data);
  const bits = streamBits(table, data);
  return {
    data,
    width,
    huffman,
    table,
    tableBytes: bytesOf(tableBits(table, width)) + 4,
    streamBytes: bytesOf(bits),
    streamBits: bits,
  };
}

function writeField(out: ByteWriter, field: FieldPlan): void {
  if (field.huffman) {
    const table = new BitWriter();
    writeTable(table, field.table!, field.width);
    out.bytes(table.finish());
    out.u32(field.streamBits);
    const stream = new BitWriter();
    writeStream(stream, field.table!, field.data);
    out.bytes(stream.finish());
  } else {
    const bits = new BitWriter();
    for (let i = 0; i < field.data.length; i++) bits.write(field.data[i], field.width);
    out.bytes(bits.finish());
  }
}

interface SymbolsPlan {
  readonly sparse: boolean;
  readonly huffman: boolean;
  readonly k: number;
  readonly kept: number;
  readonly positions?: FieldPlan;
  readonly values: FieldPlan;
  readonly bytes: number;
}

/**
 * Symbols of a codebook or fixed-point tensor: dense (one per element) or, when a mask makes it
 * smaller, only at kept positions with relative indices; Huffman-coded when asked.
 */
function symbolsPlan(
  symbols: ArrayLike<number>,
  width: number,
  mask: Uint8Array | undefined,
  huffman: boolean,
  indexBits: number | undefined,
  /** The symbol that decodes to 0 at a position (undefined: none, so pruned ones need sparse). */
  zeroSymbol: (position: number) => number | undefined,
): SymbolsPlan {
  const pruned = mask !== undefined && !mask.every((m) => m);
  let dense: SymbolsPlan | undefined;
  const withZeros = pruned ? Array.from(symbols, (s, i) => (mask[i] ? s : zeroSymbol(i))) : symbols;
  if (!Array.prototype.some.call(withZeros, (s: number | undefined) => s === undefined)) {
    const denseValues = fieldPlan(withZeros as ArrayLike<number>, width, huffman);
    dense = {
      sparse: false,
      huffman,
      k: 0,
      kept: symbols.length,
      values: denseValues,
      bytes: 1 + denseValues.tableBytes + denseValues.streamBytes,
    };
  }
  if (!pruned) return dense!;
  const gaps = gapsOf(mask);
  let k = indexBits ?? 1;
  if (indexBits === undefined) {
    let best = Infinity;
    for (let bits = 1; bits <= MAX_INDEX_BITS; bits++) {
      const size = bits * entryCount(gaps, bits);
      if (size < best) [best, k] = [size, bits];
    }
  }
  const keptSymbols: number[] = [];
  for (let i = 0; i < symbols.length; i++) if (mask[i]) keptSymbols.push(symbols[i]);
  const positions = fieldPlan(relativeIndices(mask, k), k, huffman);
  const values = fieldPlan(keptSymbols, width, huffman);
  const sparse: SymbolsPlan = {
    sparse: true,
    huffman,
    k,
    kept: keptSymbols.length,
    positions,
    values,
    bytes:
      1 + 9 + positions.tableBytes + positions.streamBytes + values.tableBytes + values.streamBytes,
  };
  return dense && dense.bytes <= sparse.bytes ? dense : sparse;
}

function writeSymbols(out: ByteWriter, plan: SymbolsPlan): void {
  out.u8((plan.sparse ? 1 : 0) | (plan.huffman ? 2 : 0));
  if (plan.sparse) {
    out.u8(plan.k);
    out.u32(plan.kept);
    out.u32(plan.positions!.data.length);
    writeField(out, plan.positions!);
  }
  writeField(out, plan.values);
}

const LITTLE_ENDIAN = new Uint8Array(Float32Array.of(1).buffer)[3] === 0x3f;

class ByteWriter {
  private chunks: Uint8Array[] = [];
  length = 0;
  bytes(b: Uint8Array): void {
    this.chunks.push(b);
    this.length += b.length;
  }
  u8(v: number): void {
    this.bytes(Uint8Array.of(v));
  }
  u16(v: number): void {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, v, true);
    this.bytes(b);
  }
  u32(v: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, true);
    this.bytes(b);
  }
  f32s(values: ArrayLike<number>): void {
    if (values instanceof Float32Array && LITTLE_ENDIAN) {
      this.bytes(new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice());
      return;
    }
    const b = new Uint8Array(4 * values.length);
    const view = new DataView(b.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i], true);
    this.bytes(b);
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let pos = 0;
    for (const c of this.chunks) {
      out.set(c, pos);
      pos += c.length;
    }
    return out;
  }
}

const NO_PARTS: ByteParts = { values: 0, indices: 0, codebooks: 0, tables: 0, header: 0 };

function symbolParts(plan: SymbolsPlan, codebookBytes: number, headerBytes: number): ByteParts {
  return {
    values: plan.values.streamBytes + (plan.huffman ? 4 : 0),
    indices: plan.positions ? plan.positions.streamBytes + (plan.huffman ? 4 : 0) : 0,
    codebooks: codebookBytes,
    tables:
      (plan.huffman ? plan.values.tableBytes - 4 : 0) +
      (plan.positions && plan.huffman ? plan.positions.tableBytes - 4 : 0),
    header: headerBytes + 1 + (plan.sparse ? 9 : 0),
  };
}

function checkCoding(w: WeightTensor, coding: WeightCoding): void {
  const n = w.values.length;
  const fail = (what: string) => {
    throw new WeightsFormatError(`${w.name}: ${what}`);
  };
  if (
    (coding.kind === 'codebook' || coding.kind === 'fixed') &&
    !(coding.bits >= 1 && coding.bits <= 16)
  )
    fail(`${coding.bits} bits is outside 1-16`);
  if (coding.kind === 'codebook') {
    if (coding.codebook.length < 1 || coding.codebook.length > 2 ** coding.bits)
      fail(`a codebook of ${coding.codebook.length} entries for ${coding.bits} bits`);
    if (coding.indices.length !== n) fail('indices do not match the tensor');
    if (coding.indices.some((i) => i >= coding.codebook.length)) fail('an index past the codebook');
  }
  if (coding.kind === 'fixed') {
    if (coding.levels.length !== n) fail('levels do not match the tensor');
    if (coding.levels.some((q) => q >= 2 ** coding.bits)) fail(`a level past ${coding.bits} bits`);
    const channels = w.shape[w.shape.length - 1];
    if (coding.scales.length !== 1 && coding.scales.length !== channels)
      fail(`${coding.scales.length} scales for ${channels} channels`);
    if (coding.zeroPoints.length !== coding.scales.length) fail('zero points do not match scales');
    if (coding.zeroPoints.some((z) => z < 0 || z > 0xffff)) fail('a zero point outside 0-65535');
  }
  if (coding.kind === 'binary') {
    const channels = w.shape[w.shape.length - 1];
    if (coding.scales.length !== 1 && coding.scales.length !== channels)
      fail(`${coding.scales.length} scales for ${channels} channels`);
  }
}

/** Encodes one weight; returns its info. `values` are the floats evaluation computes with. */
function encodeTensor(out: ByteWriter, w: WeightTensor): EncodedTensor {
  const start = out.length;
  const { coding, values } = storedForm(w);
  const n = w.values.length;
  const name = w.name;
  const mask = w.mask;
  let storedCount = 0;
  if (!coding) for (let i = 0; i < n; i++) if (isStored(values[i])) storedCount++;
  // Sparse floats cost at least 4 bytes a stored value and 5 of header: not smaller when few
  // values are zero.
  if (!coding && 4 * storedCount + 5 >= 4 * n) {
    out.u8(0);
    out.f32s(values);
    return {
      name,
      layout: 'dense',
      bytes: out.length - start,
      parts: { ...NO_PARTS, values: 4 * n, header: 1 },
      kept: n,
      valueBitsPerWeight: 32,
      indexBitsPerWeight: 0,
    };
  }
  if (!coding) {
    const stored = new Uint8Array(n);
    for (let i = 0; i < n; i++) stored[i] = isStored(values[i]) ? 1 : 0;
    const gaps = gapsOf(stored);
    const candidates = w.indexBits ? [w.indexBits] : Array.from({ length: 16 }, (_, i) => i + 1);
    // CLW2's fillers advance 2^k positions and store a zero value.
    const entriesOf = new Map<number, number>();
    const clw2Entries = (bits: number) => {
      let e = entriesOf.get(bits);
      if (e === undefined) {
        e = 0;
        for (const g of gaps) e += Math.floor(g / 2 ** bits) + 1;
        entriesOf.set(bits, e);
      }
      return e;
    };
    const sparseSize = (bits: number) =>
      5 + bytesOf(bits * clw2Entries(bits)) + 4 * clw2Entries(bits);
    let k = candidates[0];
    for (const bits of candidates) if (sparseSize(bits) < sparseSize(k)) k = bits;
    if (sparseSize(k) < 4 * n) {
      out.u8(1);
      out.u8(k);
      const entries = clw2Entries(k);
      out.u32(entries);
      const bits = new BitWriter();
      const floats = new Float32Array(entries);
      let f = 0;
      const span = 2 ** k;
      let g = 0;
      for (let i = 0; i < n; i++) {
        if (!stored[i]) continue;
        let gap = gaps[g++];
        while (gap > span - 1) {
          bits.write(span - 1, k);
          floats[f++] = 0;
          gap -= span;
        }
        bits.write(gap, k);
        floats[f++] = values[i];
      }
      out.bytes(bits.finish());
      out.f32s(floats);
      return {
        name,
        layout: 'sparse',
        bytes: out.length - start,
        parts: { ...NO_PARTS, values: 4 * entries, indices: bytesOf(k * entries), header: 6 },
        kept: gaps.length,
        indexBits: k,
        valueBitsPerWeight: gaps.length ? (32 * entries) / gaps.length : 0,
        indexBitsPerWeight: gaps.length ? (k * entries) / gaps.length : 0,
      };
    }
    out.u8(0);
    out.f32s(values);
    return {
      name,
      layout: 'dense',
      bytes: out.length - start,
      parts: { ...NO_PARTS, values: 4 * n, header: 1 },
      kept: n,
      valueBitsPerWeight: 32,
      indexBitsPerWeight: 0,
    };
  }
  checkCoding(w, coding);
  switch (coding.kind) {
    case 'codebook':
    case 'fixed': {
      const symbols = coding.kind === 'codebook' ? coding.indices : coding.levels;
      const huffman = coding.kind === 'codebook' && coding.huffman;
      const channels = w.shape[w.shape.length - 1] ?? 1;
      const zero =
        coding.kind === 'codebook' ? coding.codebook.findIndex((v) => Object.is(v, 0)) : -1;
      const zeroSymbol = (i: number) =>
        coding.kind === 'fixed'
          ? coding.zeroPoints[coding.scales.length === 1 ? 0 : i % channels]
          : zero >= 0
            ? zero
            : undefined;
      const plan = symbolsPlan(symbols, coding.bits, mask, huffman, w.indexBits, zeroSymbol);
      let codebookBytes: number;
      let headerBytes: number;
      if (coding.kind === 'codebook') {
        out.u8(2);
        out.u8(coding.bits);
        out.u16(coding.codebook.length - 1);
        out.f32s(coding.codebook);
        codebookBytes = 4 * coding.codebook.length;
        headerBytes = 4;
      } else {
        out.u8(3);
        out.u8(coding.bits);
        out.u32(coding.scales.length);
        out.f32s(coding.scales);
        const zp = new Uint8Array(2 * coding.zeroPoints.length);
        coding.zeroPoints.forEach((z, i) => new DataView(zp.buffer).setUint16(2 * i, z, true));
        out.bytes(zp);
        codebookBytes = 6 * coding.scales.length;
        headerBytes = 6;
      }
      writeSymbols(out, plan);
      return {
        name,
        layout: coding.kind,
        bytes: out.length - start,
        parts: symbolParts(plan, codebookBytes, headerBytes),
        kept: plan.kept,
        indexBits: plan.sparse ? plan.k : undefined,
        symbolBits: coding.bits,
        huffman,
        valueBitsPerWeight: plan.kept ? plan.values.streamBits / plan.kept : 0,
        indexBitsPerWeight: plan.kept && plan.positions ? plan.positions.streamBits / plan.kept : 0,
      };
    }
    case 'ternary': {
      out.u8(4);
      out.f32s([coding.positive, coding.negative]);
      const bits = new BitWriter();
      for (let i = 0; i < n; i++) bits.write(values[i] === 0 ? 0 : values[i] > 0 ? 1 : 2, 2);
      out.bytes(bits.finish());
      return {
        name,
        layout: 'ternary',
        bytes: out.length - start,
        parts: { ...NO_PARTS, values: bytesOf(2 * n), codebooks: 8, header: 1 },
        kept: n,
        symbolBits: 2,
        valueBitsPerWeight: 2,
        indexBitsPerWeight: 0,
      };
    }
    case 'binary': {
      if (mask && !mask.every((m) => m)) {
        // A pruned weight is 0, which no sign bit can say: the kept positions (relative
        // indices) and only their signs, or the file decodes to +scale where the lab computes 0.
        out.u8(6);
        out.u32(coding.scales.length);
        out.f32s(coding.scales);
        const signs = Uint8Array.from(values, (v) => (v > 0 || Object.is(v, 0) ? 1 : 0));
        const plan = symbolsPlan(signs, 1, mask, false, w.indexBits, () => undefined);
        writeSymbols(out, plan);
        return {
          name,
          layout: 'sparse-binary',
          bytes: out.length - start,
          parts: symbolParts(plan, 4 * coding.scales.length, 5),
          kept: plan.kept,
          indexBits: plan.k,
          symbolBits: 1,
          valueBitsPerWeight: plan.kept ? plan.values.streamBits / plan.kept : 0,
          indexBitsPerWeight: plan.kept ? plan.positions!.streamBits / plan.kept : 0,
        };
      }
      out.u8(5);
      out.u32(coding.scales.length);
      out.f32s(coding.scales);
      const bits = new BitWriter();
      for (let i = 0; i < n; i++) bits.write(values[i] > 0 || Object.is(values[i], 0) ? 1 : 0, 1);
      out.bytes(bits.finish());
      return {
        name,
        layout: 'binary',
        bytes: out.length - start,
        parts: { ...NO_PARTS, values: bytesOf(n), codebooks: 4 * coding.scales.length, header: 5 },
        kept: n,
        symbolBits: 1,
        valueBitsPerWeight: 1,
        indexBitsPerWeight: 0,
      };
    }
  }
}

/**
 * Encodes a graph into the compact file. Ternary and binary weights must hold their stored
 * values (+positive / 0 / -negative; +-scale of their channel); see model/coding.ts.
 */
export function encodeModel(graph: LayerGraph): EncodedModel {
  const arch = new TextEncoder().encode(JSON.stringify(architecture(graph)));
  if (arch.length > MAX_ARCH_BYTES) throw new WeightsFormatError('the architecture is too large');
  const out = new ByteWriter();
  out.bytes(Uint8Array.from(MAGIC));
  out.u32(arch.length);
  out.bytes(arch);
  const archBytes = out.length;
  const tensors = graph.weights.map((w) => encodeTensor(out, w));
  const bytes = out.finish();
  // Files CLW3 can hold keep its magic, byte for byte as before layout 6 existed.
  if (tensors.some((t) => LAYOUTS.indexOf(t.layout) >= CLW3_LAYOUTS)) bytes[3] = VERSION_4;
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
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  const need = (count: number, what: string) => {
    if (!(count >= 0) || pos + count > bytes.length)
      throw new WeightsFormatError(`compact model file is truncated (${what})`);
  };
  if (!isCompactModel(bytes) || bytes.length < 8)
    throw new WeightsFormatError('not a compact model file (bad magic; expected CLW3 or CLW4)');
  const layoutCount = bytes[3] === VERSION_4 ? LAYOUTS.length : CLW3_LAYOUTS;
  const archLength = view.getUint32(4, true);
  pos = 8;
  if (archLength > MAX_ARCH_BYTES)
    throw new WeightsFormatError('compact model file: architecture too large');
  need(archLength, 'architecture');
  let json: unknown;
  try {
    json = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + archLength)),
    );
  } catch {
    throw new WeightsFormatError('compact model file: the architecture is not JSON');
  }
  pos += archLength;
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

  const u8 = (what: string) => {
    need(1, what);
    return view.getUint8(pos++);
  };
  const u16 = (what: string) => {
    need(2, what);
    pos += 2;
    return view.getUint16(pos - 2, true);
  };
  const u32 = (what: string) => {
    need(4, what);
    pos += 4;
    return view.getUint32(pos - 4, true);
  };
  const f32s = (count: number, what: string) => {
    need(4 * count, what);
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++, pos += 4) out[i] = view.getFloat32(pos, true);
    return out;
  };
  /** A field of `count` symbols of `width` bits: plain or Huffman. */
  const field = (width: number, count: number, huffman: boolean, what: string): Uint16Array => {
    const out = new Uint16Array(count);
    if (!huffman) {
      need(bytesOf(width * count), what);
      const reader = new BitReader(bytes, pos, width * count);
      for (let i = 0; i < count; i++) out[i] = reader.read(width);
      pos += bytesOf(width * count);
      return out;
    }
    const tableReader = new BitReader(bytes, pos, 8 * (bytes.length - pos));
    const decode = readTable(tableReader, width, what);
    pos += bytesOf(tableReader.position);
    const bits = u32(what);
    need(bytesOf(bits), what);
    const stream = new BitReader(bytes, pos, bits);
    for (let i = 0; i < count; i++) out[i] = decode(stream);
    if (stream.position !== bits)
      throw new WeightsFormatError(
        `${what}: Huffman stream has ${bits - stream.position} bits left over`,
      );
    pos += bytesOf(bits);
    return out;
  };

  /** A sparse symbols(bits) body after its flags: the mask and a symbol at every position. */
  const sparseSymbols = (bits: number, n: number, huffman: boolean, what: string) => {
    const k = u8(what);
    const kept = u32(what);
    const entries = u32(what);
    if (k < 1 || k > MAX_INDEX_BITS) throw new WeightsFormatError(`${what}: index width ${k}`);
    if (kept > n || entries > n + kept)
      throw new WeightsFormatError(`${what}: ${kept} kept of ${n} in ${entries} entries`);
    const relative = field(k, entries, huffman, what);
    const mask = new Uint8Array(n);
    const filler = 2 ** k - 1;
    let index = 0;
    let stored = 0;
    for (const r of relative) {
      index += r;
      if (r === filler) continue;
      if (index >= n) throw new WeightsFormatError(`${what}: index past its end`);
      mask[index++] = 1;
      stored++;
    }
    if (stored !== kept)
      throw new WeightsFormatError(`${what}: ${stored} positions for ${kept} kept`);
    const keptSymbols = field(bits, kept, huffman, what);
    const symbols = new Uint16Array(n);
    let s = 0;
    for (let i = 0; i < n; i++) if (mask[i]) symbols[i] = keptSymbols[s++];
    return { mask, symbols, k };
  };

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
      const channels = shape[shape.length - 1] ?? 1;
      const layout = u8(what);
      if (layout >= layoutCount) throw new WeightsFormatError(`${what}: unknown layout ${layout}`);
      if (layout === 0) {
        w.values = f32s(n, what);
        return w;
      }
      if (layout === 1) {
        const k = u8(what);
        const entries = u32(what);
        if (k < 1 || k > MAX_INDEX_BITS) throw new WeightsFormatError(`${what}: index width ${k}`);
        need(bytesOf(k * entries) + 4 * entries, what);
        const values = new Float32Array(n);
        const reader = new BitReader(bytes, pos, k * entries);
        let valuePos = pos + bytesOf(k * entries);
        let index = -1;
        for (let e = 0; e < entries; e++, valuePos += 4) {
          index += reader.read(k) + 1;
          if (index >= n) throw new WeightsFormatError(`${what}: index past its end`);
          const v = view.getFloat32(valuePos, true);
          if (isStored(v)) values[index] = v;
        }
        pos = valuePos;
        w.values = values;
        w.indexBits = k;
        return w;
      }
      if (layout === 2 || layout === 3) {
        const bits = u8(what);
        if (bits < 1 || bits > 16) throw new WeightsFormatError(`${what}: ${bits}-bit symbols`);
        let codebook: Float32Array | undefined;
        let scales: Float32Array | undefined;
        let zeroPoints: Int32Array | undefined;
        if (layout === 2) {
          const size = u16(what) + 1;
          if (size > 2 ** bits)
            throw new WeightsFormatError(`${what}: ${size} codebook entries for ${bits} bits`);
          codebook = f32s(size, what);
        } else {
          const count = u32(what);
          if (count !== 1 && count !== channels)
            throw new WeightsFormatError(`${what}: ${count} scales for ${channels} channels`);
          scales = f32s(count, what);
          need(2 * count, what);
          zeroPoints = Int32Array.from({ length: count }, (_, i) =>
            view.getUint16(pos + 2 * i, true),
          );
          pos += 2 * count;
        }
        const flags = u8(what);
        if (flags > 3 || (layout === 3 && flags & 2))
          throw new WeightsFormatError(`${what}: unknown flags ${flags}`);
        const huffman = (flags & 2) !== 0;
        let mask: Uint8Array | undefined;
        let symbols: Uint16Array;
        if (flags & 1) {
          const sparse = sparseSymbols(bits, n, huffman, what);
          mask = sparse.mask;
          symbols = sparse.symbols;
          if (layout === 3)
            for (let i = 0; i < n; i++)
              if (!mask[i]) symbols[i] = zeroPoints![scales!.length === 1 ? 0 : i % channels];
          w.mask = mask;
          w.indexBits = sparse.k;
        } else {
          symbols = field(bits, n, huffman, what);
        }
        let coding: WeightCoding;
        if (layout === 2) {
          if (symbols.some((i) => i >= codebook!.length))
            throw new WeightsFormatError(`${what}: an index past its codebook`);
          coding = {
            kind: 'codebook',
            bits,
            codebook: codebook!,
            indices: symbols,
            huffman,
          } satisfies CodebookCoding;
        } else {
          coding = {
            kind: 'fixed',
            bits,
            scales: scales!,
            zeroPoints: zeroPoints!,
            levels: symbols,
          };
        }
        w.values = decodedValues(coding, shape, mask);
        w.coding = coding;
        return w;
      }
      if (layout === 4) {
        const [positive, negative] = f32s(2, what);
        need(bytesOf(2 * n), what);
        const reader = new BitReader(bytes, pos, 2 * n);
        const values = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          const code = reader.read(2);
          if (code === 3) throw new WeightsFormatError(`${what}: ternary code 3`);
          values[i] = code === 0 ? 0 : code === 1 ? positive : -negative;
        }
        pos += bytesOf(2 * n);
        w.values = values;
        w.coding = { kind: 'ternary', positive, negative };
        return w;
      }
      const count = u32(what);
      if (count !== 1 && count !== channels)
        throw new WeightsFormatError(`${what}: ${count} scales for ${channels} channels`);
      const scales = f32s(count, what);
      if (layout === 6) {
        const flags = u8(what);
        if (flags !== 1) throw new WeightsFormatError(`${what}: unknown flags ${flags}`);
        const { mask, symbols, k } = sparseSymbols(1, n, false, what);
        const values = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          if (!mask[i]) continue;
          const scale = scales[count === 1 ? 0 : i % channels];
          values[i] = symbols[i] ? scale : -scale;
        }
        w.values = values;
        w.mask = mask;
        w.indexBits = k;
        w.coding = { kind: 'binary', scales };
        return w;
      }
      need(bytesOf(n), what);
      const reader = new BitReader(bytes, pos, n);
      const values = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const scale = scales[count === 1 ? 0 : i % channels];
        values[i] = reader.read(1) ? scale : -scale;
      }
      pos += bytesOf(n);
      w.values = values;
      w.coding = { kind: 'binary', scales };
      return w;
    }),
  }));
  if (pos !== bytes.length)
    throw new WeightsFormatError(
      `compact model file: ${bytes.length - pos} bytes follow the last tensor`,
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

/** Whether bytes start like a compact model file. */
export const isCompactModel = (bytes: Uint8Array) =>
  bytes.length >= 4 &&
  MAGIC.every((b, i) => i === 3 || bytes[i] === b) &&
  (bytes[3] === MAGIC[3] || bytes[3] === VERSION_4);
