/**
 * What the file stores for a weight: the floats evaluation computes with (pruned positions 0)
 * and the coding that describes them, if any; and back, the floats a coding stands for.
 */
import type { WeightCoding } from '../model/coding.ts';
import type { WeightTensor } from '../model/graph.ts';
import { getTransform, hasTransform } from '../model/transforms.ts';
import { channelsOf, type StoredWeight } from './layouts/layout.ts';

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

/** The weight as a layout sees it. */
export function storedWeight(w: WeightTensor): StoredWeight {
  const { values, coding } = storedForm(w);
  return { name: w.name, shape: w.shape, values, coding, mask: w.mask, indexBits: w.indexBits };
}

/** The floats a codebook or fixed-point coding stands for (pruned positions 0 when a mask is given). */
export function decodedValues(
  coding: WeightCoding,
  shape: readonly number[],
  mask?: Uint8Array,
): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const channels = channelsOf(shape);
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
