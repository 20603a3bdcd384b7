/**
 * The model as stored: a real byte blob whose length is the size the lab reports. Each weight
 * tensor is written dense (float32) or, when that is smaller, sparse in the style of Deep
 * Compression (Han et al. 2016, section 2): each kept value carries the count of zeros skipped
 * before it as a k-bit relative index, and a gap longer than 2^k - 1 gets a filler entry (a
 * stored zero that advances 2^k positions). k is the tensor's `indexBits` when a recipe fixes it
 * (8 for conv, 5 for dense in the paper), else the width that makes the tensor smallest.
 *
 *   blob   = "CLW2" u32:tensorCount tensor*            (nothing may follow the last tensor)
 *   tensor = u16:nameBytes name u8:rank u32:dim*rank u8:layout payload
 *   dense  = f32*n                                                        (layout 0)
 *   sparse = u8:k u32:entries bits(k * entries, to a whole byte) f32*entries (layout 1)
 *
 * Numbers are little-endian; indices are packed least significant bit first. -0 is a value
 * like any other, so a tensor round-trips bit for bit. decodeWeights() checks every length
 * before it allocates anything.
 */
import { oneLine } from '../util/one-line.ts';

const MAGIC = [0x43, 0x4c, 0x57, 0x32]; // "CLW2"
export const MAX_INDEX_BITS = 16;
/** The most values the decoder will materialize from one blob (64 Mi floats, 256 MiB). */
const MAX_ELEMENTS = 2 ** 26;

export type WeightLayout = 'dense' | 'sparse';

export interface NamedWeights {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
  /** Fixed relative-index width for the sparse layout; absent: the smallest is chosen. */
  readonly indexBits?: number;
}

export interface EncodedTensorInfo {
  readonly name: string;
  readonly layout: WeightLayout;
  /** Bytes this tensor takes in the blob, its header included. */
  readonly bytes: number;
  /** Relative-index width of a sparse tensor. */
  readonly indexBits?: number;
  /** Stored entries of a sparse tensor: kept values plus fillers. */
  readonly entries?: number;
}

export interface EncodedWeights {
  readonly blob: Uint8Array;
  readonly tensors: readonly EncodedTensorInfo[];
}

export class WeightsFormatError extends Error {
  constructor(message: string) {
    super(oneLine(message));
    this.name = 'WeightsFormatError';
  }
}

/** A stored value: anything but +0 (so -0 survives the round trip). */
const isStored = (v: number) => v !== 0 || Object.is(v, -0);

/** Gaps (zeros skipped) before each stored value. */
function gapsOf(values: Float32Array): number[] {
  const gaps: number[] = [];
  let last = -1;
  for (let i = 0; i < values.length; i++) {
    if (!isStored(values[i])) continue;
    gaps.push(i - last - 1);
    last = i;
  }
  return gaps;
}

function entriesFor(gaps: readonly number[], bits: number): number {
  const span = 2 ** bits;
  let entries = 0;
  for (const gap of gaps) entries += Math.floor(gap / span) + 1;
  return entries;
}

const sparseBytes = (bits: number, entries: number) =>
  1 + 4 + Math.ceil((bits * entries) / 8) + 4 * entries;
const headerBytes = (nameBytes: number, rank: number) => 2 + nameBytes + 1 + 4 * rank + 1;

interface Plan {
  readonly tensor: NamedWeights;
  readonly name: Uint8Array;
  readonly layout: WeightLayout;
  readonly bits: number;
  readonly entries: number;
  readonly gaps: readonly number[];
  readonly bytes: number;
}

function plan(tensor: NamedWeights, encoder: TextEncoder): Plan {
  const name = encoder.encode(tensor.name);
  if (name.length > 0xffff) throw new WeightsFormatError(`tensor name longer than 65,535 bytes`);
  if (tensor.shape.length > 0xff)
    throw new WeightsFormatError(`tensor ${tensor.name}: rank over 255`);
  let size = 1;
  for (const d of tensor.shape) {
    if (!Number.isInteger(d) || d < 0 || d > 0xffffffff) {
      throw new WeightsFormatError(`tensor ${tensor.name}: dimension ${d} cannot be stored`);
    }
    size *= d;
  }
  if (size !== tensor.values.length) {
    throw new WeightsFormatError(
      `tensor ${tensor.name}: ${tensor.values.length} values for shape [${tensor.shape.join(', ')}]`,
    );
  }
  const gaps = gapsOf(tensor.values);
  const candidates = tensor.indexBits
    ? [tensor.indexBits]
    : Array.from({ length: MAX_INDEX_BITS }, (_, i) => i + 1);
  let best = { bits: candidates[0], entries: entriesFor(gaps, candidates[0]) };
  for (const bits of candidates.slice(1)) {
    const entries = entriesFor(gaps, bits);
    if (sparseBytes(bits, entries) < sparseBytes(best.bits, best.entries)) best = { bits, entries };
  }
  const dense = 4 * tensor.values.length;
  const sparse = sparseBytes(best.bits, best.entries);
  const layout: WeightLayout = sparse < dense ? 'sparse' : 'dense';
  return {
    tensor,
    name,
    layout,
    bits: best.bits,
    entries: best.entries,
    gaps,
    bytes: headerBytes(name.length, tensor.shape.length) + (layout === 'sparse' ? sparse : dense),
  };
}

export function encodeWeights(tensors: readonly NamedWeights[]): EncodedWeights {
  const encoder = new TextEncoder();
  const plans = tensors.map((t) => plan(t, encoder));
  const blob = new Uint8Array(8 + plans.reduce((sum, p) => sum + p.bytes, 0));
  const view = new DataView(blob.buffer);
  blob.set(MAGIC, 0);
  view.setUint32(4, tensors.length, true);
  let pos = 8;
  for (const p of plans) {
    const { tensor: t } = p;
    view.setUint16(pos, p.name.length, true);
    blob.set(p.name, pos + 2);
    pos += 2 + p.name.length;
    view.setUint8(pos++, t.shape.length);
    for (const d of t.shape) {
      view.setUint32(pos, d, true);
      pos += 4;
    }
    view.setUint8(pos++, p.layout === 'dense' ? 0 : 1);
    if (p.layout === 'dense') {
      for (const v of t.values) {
        view.setFloat32(pos, v, true);
        pos += 4;
      }
      continue;
    }
    view.setUint8(pos++, p.bits);
    view.setUint32(pos, p.entries, true);
    pos += 4;
    const indexStart = pos;
    let valuePos = indexStart + Math.ceil((p.bits * p.entries) / 8);
    let bitPos = 0;
    const writeIndex = (value: number) => {
      for (let b = 0; b < p.bits; b++, bitPos++) {
        if ((value >> b) & 1) blob[indexStart + (bitPos >> 3)] |= 1 << (bitPos & 7);
      }
    };
    const maxGap = 2 ** p.bits - 1;
    let k = 0;
    for (let i = 0; i < t.values.length; i++) {
      if (!isStored(t.values[i])) continue;
      let gap = p.gaps[k++];
      while (gap > maxGap) {
        writeIndex(maxGap); // filler: a stored zero that advances 2^k positions
        view.setFloat32(valuePos, 0, true);
        valuePos += 4;
        gap -= maxGap + 1;
      }
      writeIndex(gap);
      view.setFloat32(valuePos, t.values[i], true);
      valuePos += 4;
    }
    pos = valuePos;
  }
  return {
    blob,
    tensors: plans.map((p) => ({
      name: p.tensor.name,
      layout: p.layout,
      bytes: p.bytes,
      ...(p.layout === 'sparse' ? { indexBits: p.bits, entries: p.entries } : {}),
    })),
  };
}

export function decodeWeights(blob: Uint8Array): NamedWeights[] {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const need = (pos: number, bytes: number) => {
    if (bytes < 0 || pos + bytes > blob.length)
      throw new WeightsFormatError('weights blob is truncated');
  };
  need(0, 8);
  if (MAGIC.some((b, i) => blob[i] !== b)) throw new WeightsFormatError('not a CLW2 weights blob');
  const count = view.getUint32(4, true);
  const decoder = new TextDecoder('utf-8', { fatal: false });
  const out: NamedWeights[] = [];
  let budget = MAX_ELEMENTS;
  let pos = 8;
  for (let k = 0; k < count; k++) {
    need(pos, 2);
    const nameLength = view.getUint16(pos, true);
    need(pos + 2, nameLength + 1);
    const name = decoder.decode(blob.subarray(pos + 2, pos + 2 + nameLength));
    pos += 2 + nameLength;
    const rank = view.getUint8(pos++);
    need(pos, 4 * rank + 1);
    const shape: number[] = [];
    let size = 1;
    for (let r = 0; r < rank; r++, pos += 4) {
      const d = view.getUint32(pos, true);
      shape.push(d);
      size *= d;
    }
    // One budget for the whole blob: a few bytes of sparse headers cannot claim gigabytes.
    if (size > budget)
      throw new WeightsFormatError(
        `tensor ${name.slice(0, 40)}: ${size} values is more than the lab reads (${MAX_ELEMENTS} in all)`,
      );
    budget -= size;
    const layout = view.getUint8(pos++);
    if (layout === 0) {
      need(pos, 4 * size);
      const values = new Float32Array(size);
      for (let i = 0; i < size; i++, pos += 4) values[i] = view.getFloat32(pos, true);
      out.push({ name, shape, values });
    } else if (layout === 1) {
      need(pos, 5);
      const bits = view.getUint8(pos);
      const entries = view.getUint32(pos + 1, true);
      pos += 5;
      if (bits < 1 || bits > MAX_INDEX_BITS)
        throw new WeightsFormatError(`tensor ${name.slice(0, 40)}: index width ${bits}`);
      const indexBytes = Math.ceil((bits * entries) / 8);
      need(pos, indexBytes + 4 * entries);
      const values = new Float32Array(size);
      let index = -1;
      let bitPos = pos * 8;
      let valuePos = pos + indexBytes;
      for (let e = 0; e < entries; e++, valuePos += 4) {
        let gap = 0;
        for (let b = 0; b < bits; b++, bitPos++)
          gap |= ((blob[bitPos >> 3] >> (bitPos & 7)) & 1) << b;
        index += gap + 1;
        if (index >= size)
          throw new WeightsFormatError(`tensor ${name.slice(0, 40)}: index past its end`);
        const value = view.getFloat32(valuePos, true);
        if (isStored(value)) values[index] = value;
      }
      pos = valuePos;
      out.push({ name, shape, values, indexBits: bits });
    } else {
      throw new WeightsFormatError(`tensor ${name.slice(0, 40)}: unknown layout ${layout}`);
    }
  }
  if (pos !== blob.length)
    throw new WeightsFormatError(`${blob.length - pos} bytes follow the last tensor`);
  return out;
}
