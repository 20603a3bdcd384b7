/**
 * What an ONNX value is while a model is converted: a tensor the lab computes (a lab node's
 * output) or a constant the converter knows (an initializer, a Constant node, or a shape it
 * folded). A computed tensor keeps both views of its data: the ONNX shape (NCHW, without the
 * batch) and the lab's shape (NHWC), with the permutation between their row-major orders, so
 * reshapes and transposes cost no layer and a dense layer after a Flatten reads its inputs in
 * the order the lab holds them.
 */

/** The batch dimension inside a folded shape (`x.size(0)`): known only when the model runs. */
export const BATCH = 'batch';
export type ShapeEntry = number | typeof BATCH;

/**
 * How the lab orders a tensor's elements relative to ONNX: element i of the lab's row-major
 * order is element order[i] of ONNX's (per image). null: the orders coincide; channelsLast: an
 * ONNX [C, H, W] image held as [H, W, C] (materialized only when needed).
 */
export type Order =
  null | Int32Array | { readonly channelsLast: readonly [number, number, number] };

export interface TensorValue {
  readonly kind: 'tensor';
  /** The lab node whose output holds this value. */
  readonly node: string;
  /** ONNX dimensions after the batch. */
  readonly shape: readonly number[];
  /** The lab node's output dimensions after the batch (same element count). */
  readonly labShape: readonly number[];
  readonly order: Order;
}

export interface FloatConstant {
  readonly kind: 'floats';
  readonly dims: readonly number[];
  readonly values: Float32Array;
}

/** Integer constants: shapes, axes, indices; a folded shape may hold the batch. */
export interface IntConstant {
  readonly kind: 'ints';
  readonly dims: readonly number[];
  readonly values: readonly ShapeEntry[];
}

export type Constant = FloatConstant | IntConstant;
export type Value = TensorValue | Constant;

export const product = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

export const sameDims = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * The order in which the lab holds an ONNX [C, H, W] image as [H, W, C]: lab element
 * (h * W + w) * C + c is ONNX element (c * H + h) * W + w.
 */
export function channelsLastOrder(c: number, h: number, w: number): Int32Array | null {
  if (c === 1 || h * w === 1) return null;
  const order = new Int32Array(c * h * w);
  let i = 0;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) order[i++] = (k * h + y) * w + x;
  return order;
}

/** The order as an array (null: the identity). */
export function orderArray(order: Order): Int32Array | null {
  if (order === null || order instanceof Int32Array) return order;
  const [c, h, w] = order.channelsLast;
  return channelsLastOrder(c, h, w);
}

export function imageOrder(c: number, h: number, w: number): Order {
  return c === 1 || h * w === 1 ? null : { channelsLast: [c, h, w] };
}

export function sameOrder(a: Order, b: Order): boolean {
  if (a === b) return true;
  if (a && b && !(a instanceof Int32Array) && !(b instanceof Int32Array)) {
    return sameDims(a.channelsLast, b.channelsLast);
  }
  const x = orderArray(a);
  const y = orderArray(b);
  if (x === null && y === null) return true;
  const n = (x ?? y)!.length;
  for (let i = 0; i < n; i++) if ((x ? x[i] : i) !== (y ? y[i] : i)) return false;
  return true;
}

/** Whether a tensor is an ONNX [C, H, W] image the lab holds as its own [H, W, C] image. */
export function isLabImage(value: TensorValue): boolean {
  if (value.shape.length !== 3) return false;
  const [c, h, w] = value.shape;
  return sameOrder(value.order, imageOrder(c, h, w));
}

/** A constant's values as floats (integers widened; a batch inside is not a number). */
export function floatsOf(constant: Constant): Float32Array | null {
  if (constant.kind === 'floats') return constant.values;
  if (constant.values.some((v) => v === BATCH)) return null;
  return Float32Array.from(constant.values as number[]);
}
