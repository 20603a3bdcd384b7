/**
 * Layout 4, ternary (TTQ): every weight +positive, 0 or -negative, in 2 bits (0, 1, 2; 3 is
 * not a code). A pruned weight is simply 0.
 *
 *   f32:positive f32:negative bits(2*n)
 */
import { bytesOf } from '../byte-io.ts';
import { WeightsFormatError } from '../weights-blob.ts';
import { NO_PARTS, type TensorLayout } from './layout.ts';

export const ternaryLayout: TensorLayout = {
  id: 4,
  name: 'ternary',
  since: 3,
  fits: (w) => w.coding?.kind === 'ternary',
  sizeBytes: (w) => 8 + bytesOf(2 * w.values.length),
  encode(out, w) {
    if (w.coding?.kind !== 'ternary') throw new Error(`${w.name}: not a ternary coding`);
    const { values } = w;
    const n = values.length;
    out.f32s([w.coding.positive, w.coding.negative]);
    out.bitRun(
      Uint8Array.from(values, (v) => (v === 0 ? 0 : v > 0 ? 1 : 2)),
      2,
    );
    return {
      parts: { ...NO_PARTS, values: bytesOf(2 * n), codebooks: 8 },
      kept: n,
      symbolBits: 2,
      valueBitsPerWeight: 2,
      indexBitsPerWeight: 0,
    };
  },
  decode(input, { n, what }) {
    const [positive, negative] = input.f32s(2, what);
    const reader = input.bitRun(2 * n, what);
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const code = reader.read(2);
      if (code === 3) throw new WeightsFormatError(`${what}: ternary code 3`);
      values[i] = code === 0 ? 0 : code === 1 ? positive : -negative;
    }
    return { values, coding: { kind: 'ternary', positive, negative } };
  },
};
