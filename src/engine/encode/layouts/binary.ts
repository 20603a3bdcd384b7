/**
 * Layouts 5 and 6, binary (BinaryConnect, XNOR-Net): every weight +-scale of its output
 * channel (one scale for the whole tensor when there is one).
 *
 *   5 binary          u32:channels f32*channels bits(n)          (1 = +scale)
 *   6 sparse binary   u32:channels f32*channels symbols(1)       (flags 1: only kept signs)
 *
 * A pruned weight is 0, which no sign bit can say: a pruned binary tensor takes layout 6, the
 * kept positions and only their signs, or the file would decode to +scale where the lab
 * computes 0. Layout 6 came after CLW3: a file that holds it is CLW4 or later.
 */
import type { BinaryCoding } from '../../model/coding.ts';
import { bytesOf, type ByteReader } from '../byte-io.ts';
import {
  readSymbols,
  symbolBitsPerWeight,
  symbolParts,
  symbolsPlan,
  writeSymbols,
} from '../symbols.ts';
import { WeightsFormatError } from '../weights-blob.ts';
import { NO_PARTS, type StoredWeight, type TensorLayout } from './layout.ts';

function codingOf(w: StoredWeight): BinaryCoding {
  const coding = w.coding;
  if (coding?.kind !== 'binary') throw new Error(`${w.name}: not a binary coding`);
  const channels = w.shape[w.shape.length - 1];
  if (coding.scales.length !== 1 && coding.scales.length !== channels)
    throw new WeightsFormatError(
      `${w.name}: ${coding.scales.length} scales for ${channels} channels`,
    );
  return coding;
}

const pruned = (w: StoredWeight) => w.mask !== undefined && !w.mask.every((m) => m);
/** 1 for +scale (and +0), 0 for -scale. */
const signsOf = (values: Float32Array) =>
  Uint8Array.from(values, (v) => (v > 0 || Object.is(v, 0) ? 1 : 0));

function readScales(input: ByteReader, channels: number, what: string): Float32Array {
  const count = input.u32(what);
  if (count !== 1 && count !== channels)
    throw new WeightsFormatError(`${what}: ${count} scales for ${channels} channels`);
  return input.f32s(count, what);
}

/** The floats signs stand for (0 where a mask says pruned). */
function signedScales(
  scales: Float32Array,
  channels: number,
  n: number,
  positive: (i: number) => boolean,
  mask?: Uint8Array,
): Float32Array {
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (mask && !mask[i]) continue;
    const scale = scales[scales.length === 1 ? 0 : i % channels];
    values[i] = positive(i) ? scale : -scale;
  }
  return values;
}

export const binaryLayout: TensorLayout = {
  id: 5,
  name: 'binary',
  since: 3,
  fits: (w) => w.coding?.kind === 'binary' && !pruned(w),
  sizeBytes: (w) => 4 + 4 * codingOf(w).scales.length + bytesOf(w.values.length),
  encode(out, w) {
    const { scales } = codingOf(w);
    const n = w.values.length;
    out.u32(scales.length);
    out.f32s(scales);
    out.bitRun(signsOf(w.values), 1);
    return {
      parts: { ...NO_PARTS, values: bytesOf(n), codebooks: 4 * scales.length, header: 4 },
      kept: n,
      symbolBits: 1,
      valueBitsPerWeight: 1,
      indexBitsPerWeight: 0,
    };
  },
  decode(input, { n, channels, what }) {
    const scales = readScales(input, channels, what);
    const reader = input.bitRun(n, what);
    const values = signedScales(scales, channels, n, () => reader.read(1) === 1);
    return { values, coding: { kind: 'binary', scales } };
  },
};

const signsPlan = (w: StoredWeight) =>
  symbolsPlan(signsOf(w.values), 1, w.mask, false, w.indexBits, () => undefined);

export const sparseBinaryLayout: TensorLayout = {
  id: 6,
  name: 'sparse-binary',
  since: 4,
  fits: (w) => w.coding?.kind === 'binary' && pruned(w),
  sizeBytes: (w) => 4 + 4 * codingOf(w).scales.length + signsPlan(w).bytes,
  encode(out, w) {
    const { scales } = codingOf(w);
    const plan = signsPlan(w);
    out.u32(scales.length);
    out.f32s(scales);
    writeSymbols(out, plan);
    return {
      parts: symbolParts(plan, 4 * scales.length, 4),
      kept: plan.kept,
      indexBits: plan.positions!.k,
      symbolBits: 1,
      ...symbolBitsPerWeight(plan),
    };
  },
  decode(input, { n, channels, what }) {
    const scales = readScales(input, channels, what);
    const flags = input.u8(what);
    if (flags !== 1) throw new WeightsFormatError(`${what}: unknown flags ${flags}`);
    const { symbols, mask, k } = readSymbols(input, 1, n, flags, what);
    const values = signedScales(scales, channels, n, (i) => symbols[i] === 1, mask);
    return { values, coding: { kind: 'binary', scales }, mask, indexBits: k };
  },
};
