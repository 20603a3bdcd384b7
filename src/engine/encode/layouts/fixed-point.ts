/**
 * Layout 3, linear fixed point: value = scale[c] * (level - zeroPoint[c]), one scale per tensor
 * or per output channel. A pruned position is stored densely as its channel's zero point.
 *
 *   u8:bits u32:channels f32*channels u16*channels symbols(bits)   (never Huffman-coded)
 */
import type { FixedPointCoding } from '../../model/coding.ts';
import { decodedValues } from '../stored-form.ts';
import { readSymbols, symbolReport, symbolsPlan, writeSymbols } from '../symbols.ts';
import { WeightsFormatError } from '../weights-blob.ts';
import {
  channelsOf,
  checkSymbolBits,
  readSymbolBits,
  type StoredWeight,
  type TensorLayout,
} from './layout.ts';

function codingOf(w: StoredWeight): FixedPointCoding {
  const coding = w.coding;
  if (coding?.kind !== 'fixed') throw new Error(`${w.name}: not a fixed-point coding`);
  const fail = (what: string) => {
    throw new WeightsFormatError(`${w.name}: ${what}`);
  };
  checkSymbolBits(w, coding.bits);
  if (coding.levels.length !== w.values.length) fail('levels do not match the tensor');
  if (coding.levels.some((q) => q >= 2 ** coding.bits)) fail(`a level past ${coding.bits} bits`);
  const channels = w.shape[w.shape.length - 1];
  if (coding.scales.length !== 1 && coding.scales.length !== channels)
    fail(`${coding.scales.length} scales for ${channels} channels`);
  if (coding.zeroPoints.length !== coding.scales.length) fail('zero points do not match scales');
  if (coding.zeroPoints.some((z) => z < 0 || z > 0xffff)) fail('a zero point outside 0-65535');
  return coding;
}

/** The zero point of the channel of each position. */
function zeroPointAt(coding: FixedPointCoding, shape: readonly number[]) {
  const channels = channelsOf(shape);
  return (i: number) => coding.zeroPoints[coding.scales.length === 1 ? 0 : i % channels];
}

const plan = (w: StoredWeight, coding: FixedPointCoding) =>
  symbolsPlan(coding.levels, coding.bits, w.mask, false, w.indexBits, zeroPointAt(coding, w.shape));

export const fixedPointLayout: TensorLayout = {
  id: 3,
  name: 'fixed',
  since: 3,
  fits: (w) => w.coding?.kind === 'fixed',
  sizeBytes(w) {
    const coding = codingOf(w);
    return 5 + 6 * coding.scales.length + plan(w, coding).bytes;
  },
  encode(out, w) {
    const coding = codingOf(w);
    const symbols = plan(w, coding);
    out.u8(coding.bits);
    out.u32(coding.scales.length);
    out.f32s(coding.scales);
    out.u16s(coding.zeroPoints);
    writeSymbols(out, symbols);
    return symbolReport(symbols, 6 * coding.scales.length, 5, coding.bits, false);
  },
  decode(input, { shape, n, channels, what }) {
    const bits = readSymbolBits(input, what);
    const count = input.u32(what);
    if (count !== 1 && count !== channels)
      throw new WeightsFormatError(`${what}: ${count} scales for ${channels} channels`);
    const scales = input.f32s(count, what);
    const zeroPoints = input.u16s(count, what);
    const flags = input.u8(what);
    if (flags > 1) throw new WeightsFormatError(`${what}: unknown flags ${flags}`);
    const { symbols, mask, k } = readSymbols(input, bits, n, flags, what);
    const coding: FixedPointCoding = { kind: 'fixed', bits, scales, zeroPoints, levels: symbols };
    if (mask) {
      // A pruned position holds its channel's zero point, as the quantizer leaves it.
      const zeroPoint = zeroPointAt(coding, shape);
      for (let i = 0; i < n; i++) if (!mask[i]) symbols[i] = zeroPoint(i);
    }
    return { values: decodedValues(coding, shape, mask), coding, mask, indexBits: k };
  },
};
