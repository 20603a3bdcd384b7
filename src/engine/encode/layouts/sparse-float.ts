/**
 * Layout 1, sparse floats: only the stored values (nonzero, or -0) and where they are.
 *
 *   version 5:     positions f32*kept                       (skip fillers, as symbols use)
 *   versions 3, 4: u8:k u32:entries bits(k*entries) f32*entries   (padding fillers, CLW2's)
 */
import { bytesOf } from '../byte-io.ts';
import {
  checkIndexBits,
  gapsOf,
  indexBitsFor,
  paddedEntries,
  paddedEntryCount,
  paddedPositions,
} from '../gaps.ts';
import { positionsPlan, readPositions, writePositions, type PositionsPlan } from '../symbols.ts';
import {
  NO_PARTS,
  skipFillerFloats,
  type FileVersion,
  type StoredWeight,
  type TensorLayout,
} from './layout.ts';

const isStored = (v: number) => v !== 0 || Object.is(v, -0);

interface PaddedPlan {
  readonly k: number;
  readonly gaps: readonly number[];
  readonly entries: number;
}

/** What the sparse form of a weight is, per version, worked out once for sizeBytes and encode. */
const plans = new WeakMap<StoredWeight, { padded?: PaddedPlan; skip?: PositionsPlan }>();

function storedMask(w: StoredWeight): Uint8Array {
  return Uint8Array.from(w.values, (v) => (isStored(v) ? 1 : 0));
}

function plansOf(w: StoredWeight) {
  let p = plans.get(w);
  if (!p) plans.set(w, (p = {}));
  return p;
}

function paddedPlan(w: StoredWeight): PaddedPlan {
  const cached = plansOf(w);
  if (cached.padded) return cached.padded;
  const gaps = gapsOf(storedMask(w));
  const entries = new Map<number, number>();
  const entriesAt = (k: number) => {
    if (!entries.has(k)) entries.set(k, paddedEntryCount(gaps, k));
    return entries.get(k)!;
  };
  const k = indexBitsFor(w.indexBits || undefined, (bits) => paddedBody(bits, entriesAt(bits)));
  return (cached.padded = { k, gaps, entries: entriesAt(k) });
}

/** Body bytes of the padded form: k, entry count, indices, one float an entry. */
const paddedBody = (k: number, entries: number) => 5 + bytesOf(k * entries) + 4 * entries;

function skipPlan(w: StoredWeight): PositionsPlan {
  const cached = plansOf(w);
  return (cached.skip ??= positionsPlan(storedMask(w), w.indexBits || undefined, false));
}

const keptValues = (w: StoredWeight) => w.values.filter(isStored);

export const sparseFloatLayout: TensorLayout = {
  id: 1,
  name: 'sparse',
  since: 3,
  // At least 4 bytes a stored value and 5 of header: never smaller than dense when few
  // values are zero, so not worth working out.
  fits(w) {
    if (w.coding) return false;
    let stored = 0;
    for (const v of w.values) if (isStored(v)) stored++;
    return 4 * stored + 5 < 4 * w.values.length;
  },
  sizeBytes(w, version: FileVersion) {
    if (skipFillerFloats(version)) {
      const plan = skipPlan(w);
      return plan.bytes + 4 * plan.kept;
    }
    const { k, entries } = paddedPlan(w);
    return paddedBody(k, entries);
  },
  encode(out, w, version) {
    if (skipFillerFloats(version)) {
      const plan = skipPlan(w);
      writePositions(out, plan);
      out.f32s(keptValues(w));
      return {
        parts: { ...NO_PARTS, values: 4 * plan.kept, indices: plan.field.streamBytes, header: 9 },
        kept: plan.kept,
        indexBits: plan.k,
        valueBitsPerWeight: plan.kept ? 32 : 0,
        indexBitsPerWeight: plan.kept ? plan.field.streamBits / plan.kept : 0,
      };
    }
    const { k, gaps, entries } = paddedPlan(w);
    out.u8(k);
    out.u32(entries);
    const { relative, owner } = paddedEntries(gaps, k);
    out.bitRun(relative, k);
    const kept = keptValues(w);
    out.f32s(Float32Array.from(owner, (s) => (s < 0 ? 0 : kept[s])));
    return {
      parts: { ...NO_PARTS, values: 4 * entries, indices: bytesOf(k * entries), header: 5 },
      kept: gaps.length,
      indexBits: k,
      valueBitsPerWeight: gaps.length ? (32 * entries) / gaps.length : 0,
      indexBitsPerWeight: gaps.length ? (k * entries) / gaps.length : 0,
    };
  },
  decode(input, { n, what }, version) {
    const values = new Float32Array(n);
    if (skipFillerFloats(version)) {
      const { mask, k, kept } = readPositions(input, n, false, what);
      const floats = input.f32s(kept, what);
      let s = 0;
      for (let i = 0; i < n; i++) if (mask[i]) values[i] = floats[s++];
      return { values, indexBits: k };
    }
    const k = input.u8(what);
    const entries = input.u32(what);
    checkIndexBits(k, what);
    input.need(bytesOf(k * entries) + 4 * entries, what);
    const positions = paddedPositions(input.field(k, entries, false, what), n, what);
    const floats = input.f32s(entries, what);
    // A padding entry stores a zero, which leaves its position as it is.
    for (let e = 0; e < entries; e++) if (isStored(floats[e])) values[positions[e]] = floats[e];
    return { values, indexBits: k };
  },
};
