/**
 * The model as stored: a real byte blob whose length is the size the lab reports. Each weight
 * tensor is written dense (float32) or, when that is smaller, sparse with relative indices in
 * the style of Deep Compression (Han et al. 2016, section 2): each kept value carries the count
 * of zeros skipped before it in 8 bits, and a gap longer than 255 gets a filler zero entry.
 *
 *   blob   = "CLW1" u32:tensorCount tensor*
 *   tensor = u16:nameBytes name u8:rank u32:dim*rank u8:layout payload
 *   dense  = f32*n                 (layout 0)
 *   sparse = u32:entries u8:gap*entries f32:value*entries   (layout 1)
 *
 * All numbers little-endian. decodeWeights() reads it back exactly.
 */
const MAGIC = [0x43, 0x4c, 0x57, 0x31]; // "CLW1"
export const SPARSE_INDEX_BITS = 8;
const MAX_GAP = 2 ** SPARSE_INDEX_BITS - 1;

export type WeightLayout = 'dense' | 'sparse';

export interface NamedWeights {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

export interface EncodedTensorInfo {
  readonly name: string;
  readonly layout: WeightLayout;
  /** Bytes this tensor takes in the blob, its header included. */
  readonly bytes: number;
}

export interface EncodedWeights {
  readonly blob: Uint8Array;
  readonly tensors: readonly EncodedTensorInfo[];
}

/** Number of sparse entries (kept values plus fillers) for `values`. */
function sparseEntryCount(values: Float32Array): number {
  let entries = 0;
  let last = -1;
  for (let i = 0; i < values.length; i++) {
    if (values[i] === 0) continue;
    entries += Math.floor((i - last - 1) / (MAX_GAP + 1)) + 1;
    last = i;
  }
  return entries;
}

const headerBytes = (nameBytes: number, rank: number) => 2 + nameBytes + 1 + 4 * rank + 1;

export function encodeWeights(tensors: readonly NamedWeights[]): EncodedWeights {
  const encoder = new TextEncoder();
  const plans = tensors.map((t) => {
    const name = encoder.encode(t.name);
    const entries = sparseEntryCount(t.values);
    const denseBytes = 4 * t.values.length;
    const sparseBytes = 4 + 5 * entries;
    const layout: WeightLayout = sparseBytes < denseBytes ? 'sparse' : 'dense';
    const payload = layout === 'sparse' ? sparseBytes : denseBytes;
    return { t, name, entries, layout, bytes: headerBytes(name.length, t.shape.length) + payload };
  });
  const total = 8 + plans.reduce((sum, p) => sum + p.bytes, 0);
  const blob = new Uint8Array(total);
  const view = new DataView(blob.buffer);
  blob.set(MAGIC, 0);
  view.setUint32(4, tensors.length, true);
  let pos = 8;
  for (const { t, name, entries, layout } of plans) {
    view.setUint16(pos, name.length, true);
    blob.set(name, pos + 2);
    pos += 2 + name.length;
    view.setUint8(pos++, t.shape.length);
    for (const d of t.shape) {
      view.setUint32(pos, d, true);
      pos += 4;
    }
    view.setUint8(pos++, layout === 'dense' ? 0 : 1);
    if (layout === 'dense') {
      for (const v of t.values) {
        view.setFloat32(pos, v, true);
        pos += 4;
      }
      continue;
    }
    view.setUint32(pos, entries, true);
    pos += 4;
    let gapPos = pos;
    let valuePos = pos + entries;
    let last = -1;
    for (let i = 0; i < t.values.length; i++) {
      if (t.values[i] === 0) continue;
      let gap = i - last - 1;
      while (gap > MAX_GAP) {
        // Filler: a stored zero that advances the position by MAX_GAP + 1.
        blob[gapPos++] = MAX_GAP;
        view.setFloat32(valuePos, 0, true);
        valuePos += 4;
        gap -= MAX_GAP + 1;
      }
      blob[gapPos++] = gap;
      view.setFloat32(valuePos, t.values[i], true);
      valuePos += 4;
      last = i;
    }
    pos = valuePos;
  }
  return {
    blob,
    tensors: plans.map((p) => ({ name: p.t.name, layout: p.layout, bytes: p.bytes })),
  };
}

export class WeightsFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WeightsFormatError';
  }
}

export function decodeWeights(blob: Uint8Array): NamedWeights[] {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const need = (pos: number, bytes: number) => {
    if (pos + bytes > blob.length) throw new WeightsFormatError('weights blob is truncated');
  };
  need(0, 8);
  if (MAGIC.some((b, i) => blob[i] !== b)) throw new WeightsFormatError('not a CLW1 weights blob');
  const count = view.getUint32(4, true);
  const decoder = new TextDecoder();
  const out: NamedWeights[] = [];
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
    for (let r = 0; r < rank; r++, pos += 4) shape.push(view.getUint32(pos, true));
    const layout = view.getUint8(pos++);
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    if (layout === 0) {
      need(pos, 4 * size);
      for (let i = 0; i < size; i++, pos += 4) values[i] = view.getFloat32(pos, true);
    } else if (layout === 1) {
      need(pos, 4);
      const entries = view.getUint32(pos, true);
      pos += 4;
      need(pos, 5 * entries);
      let index = -1;
      for (let e = 0; e < entries; e++) {
        index += blob[pos + e] + 1;
        if (index >= size) throw new WeightsFormatError(`tensor ${name}: index past its end`);
        values[index] = view.getFloat32(pos + entries + 4 * e, true);
      }
      pos += 5 * entries;
    } else {
      throw new WeightsFormatError(`tensor ${name}: unknown layout ${layout}`);
    }
    out.push({ name, shape, values });
  }
  return out;
}
