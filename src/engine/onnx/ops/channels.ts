/**
 * Per-channel constants (batch-norm statistics, a bias, a scale) moved from ONNX's channel axis
 * (axis 1) to the lab's last axis, whatever order the lab holds the tensor in.
 */
import type { Conversion } from './conversion.ts';
import { isLabImage, orderArray, product, type TensorValue } from './values.ts';

/** For each index of the lab's last axis, the ONNX channel it holds; throws when it varies. */
export function labChannels(cx: Conversion, x: TensorValue): Int32Array {
  const last = x.labShape[x.labShape.length - 1];
  if (isLabImage(x)) return Int32Array.from({ length: last }, (_, j) => j);
  const order = orderArray(x.order);
  const perChannel = product(x.shape.slice(1));
  const total = product(x.shape);
  const map = new Int32Array(last).fill(-1);
  for (let i = 0; i < total; i++) {
    const channel = Math.floor((order ? order[i] : i) / perChannel);
    const j = i % last;
    if (map[j] === -1) map[j] = channel;
    else if (map[j] !== channel) {
      throw cx.refuse(
        `works per channel on [N, ${x.shape.join(', ')}], whose channels the lab does not hold on its last axis`,
      );
    }
  }
  return map;
}

/** A per-channel ONNX vector (length C, or 1 to broadcast) along the lab's last axis. */
export function alongLabChannels(
  cx: Conversion,
  x: TensorValue,
  values: Float32Array,
): Float32Array {
  const last = x.labShape[x.labShape.length - 1];
  if (values.length === 1) return new Float32Array(last).fill(values[0]);
  const map = labChannels(cx, x);
  return Float32Array.from(map, (c) => values[c]);
}

/**
 * The values of a constant that broadcasts against x ([N, ...x.shape]) varying at most along the
 * channel axis: one value (a scalar) or one per channel; null when it varies along another axis.
 */
export function perChannelConstant(
  x: TensorValue,
  dims: readonly number[],
  values: Float32Array,
): Float32Array | null {
  const rank = x.shape.length + 1;
  if (dims.length > rank) return null;
  const padded = [...new Array<number>(rank - dims.length).fill(1), ...dims];
  for (let axis = 0; axis < rank; axis++) {
    if (padded[axis] === 1) continue;
    if (axis !== 1 || padded[axis] !== x.shape[0]) return null;
  }
  return values;
}
