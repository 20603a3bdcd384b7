/** Layout 0, dense floats: f32 * n. */
import { NO_PARTS, type TensorLayout } from './layout.ts';

export const denseLayout: TensorLayout = {
  id: 0,
  name: 'dense',
  since: 3,
  fits: (w) => w.coding === undefined,
  sizeBytes: (w) => 4 * w.values.length,
  encode(out, w) {
    const n = w.values.length;
    out.f32s(w.values);
    return {
      parts: { ...NO_PARTS, values: 4 * n },
      kept: n,
      valueBitsPerWeight: 32,
      indexBitsPerWeight: 0,
    };
  },
  decode: (input, { n, what }) => ({ values: input.f32s(n, what) }),
};
