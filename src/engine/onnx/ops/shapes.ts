/**
 * Ops that only move data: Flatten, Reshape, Squeeze, Unsqueeze and Transpose of a computed
 * tensor change its ONNX shape and order and cost no lab layer (the layer that reads it adapts:
 * a Flatten, a Reshape to an image, a dense kernel's rows); a Concat along the channels is the
 * lab's Concatenate. On constants (the Shape/Gather/Unsqueeze/Concat chain of
 * `x.view(x.size(0), -1)`) they are folded, the batch kept as a symbol.
 */
import type { OnnxTensor } from '../onnx-model.ts';
import { ONNX_DATA_TYPES } from '../onnx-model.ts';
import type { Conversion } from './conversion.ts';
import {
  BATCH,
  floatsOf,
  isLabImage,
  orderArray,
  product,
  type Constant,
  type ShapeEntry,
  type TensorValue,
} from './values.ts';

const FLOAT_TYPES: readonly number[] = [
  ONNX_DATA_TYPES.float,
  ONNX_DATA_TYPES.float16,
  ONNX_DATA_TYPES.double,
];

/** An initializer or a Constant node's tensor as a converter constant. */
export function constantOf(tensor: OnnxTensor): Constant | null {
  if (tensor.floats && FLOAT_TYPES.includes(tensor.dataType)) {
    return { kind: 'floats', dims: [...tensor.dims], values: tensor.floats };
  }
  if (tensor.ints) return { kind: 'ints', dims: [...tensor.dims], values: tensor.ints };
  return null;
}

/** The same tensor under another ONNX shape (the lab's data and order stay). */
function reshaped(cx: Conversion, x: TensorValue, shape: readonly number[]): TensorValue {
  if (product(shape) !== product(x.shape) || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw cx.refuse(`cannot make [N, ${x.shape.join(', ')}] into [N, ${shape.join(', ')}]`);
  }
  return { ...x, shape: [...shape] };
}

function normalizedAxis(cx: Conversion, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank)
    throw cx.refuse(`has axis ${axis} for rank ${rank}`);
  return a;
}

/** A constant's values as plain entries (floats as numbers). */
const entries = (c: Constant): ShapeEntry[] => Array.from(c.values as ArrayLike<ShapeEntry>);

function withEntries(
  c: Constant,
  dims: readonly number[],
  values: readonly ShapeEntry[],
): Constant {
  if (c.kind === 'floats')
    return { kind: 'floats', dims, values: Float32Array.from(values as number[]) };
  return { kind: 'ints', dims, values };
}

export function convertFlatten(cx: Conversion): void {
  cx.onlyAttributes(['axis']);
  const value = cx.input(0);
  if (value.kind !== 'tensor') throw cx.refuse('flattens a constant');
  const rank = value.shape.length + 1;
  const raw = cx.attrInt('axis', 1);
  const axis = raw < 0 ? raw + rank : raw; // 0..rank: the output is [before axis, from axis]
  if (axis > rank) throw cx.refuse(`flattens at axis ${raw} of rank ${rank}`);
  if (axis === 0 || product(value.shape.slice(0, axis - 1)) !== 1) {
    throw cx.refuse(`flattens at axis ${axis}, which merges images of the batch`);
  }
  cx.define(reshaped(cx, value, [product(value.shape)]));
}

/** ONNX's Reshape target [batch, ...] resolved into the dimensions after the batch. */
function targetShape(
  cx: Conversion,
  input: readonly ShapeEntry[],
  target: readonly ShapeEntry[],
  allowZero: boolean,
): number[] {
  const dims = target.map((d, i) => (d === 0 && !allowZero ? input[i] : d));
  if (dims.slice(1).some((d) => d === BATCH) || dims.length === 0) {
    throw cx.refuse(`reshapes to [${target.join(', ')}], which moves the batch`);
  }
  const perImage = product(input.slice(1) as number[]);
  const rest = dims.slice(1) as number[];
  const first = dims[0];
  const keepsBatch =
    first === BATCH ||
    (first === -1 && !rest.includes(-1) && product(rest) === perImage) ||
    (first === input[0] && typeof first === 'number' && first > 0);
  if (!keepsBatch) throw cx.refuse(`reshapes to [${target.join(', ')}], which moves the batch`);
  const unknown = rest.filter((d) => d === -1).length;
  const known = product(rest.filter((d) => d !== -1));
  if (
    unknown > 1 ||
    rest.some((d) => d < -1) ||
    known === 0 ||
    (unknown ? perImage % known : known !== perImage)
  ) {
    throw cx.refuse(`cannot reshape [N, ${input.slice(1).join(', ')}] to [${target.join(', ')}]`);
  }
  return rest.map((d) => (d === -1 ? perImage / known : d));
}

export function convertReshape(cx: Conversion): void {
  cx.onlyAttributes(['allowzero', 'shape']);
  const data = cx.input(0);
  const target = cx.opset < 5 ? (cx.attrInts('shape') ?? []) : entries(cx.intInput(1, 'shape'));
  if (data.kind !== 'tensor') {
    const size = data.values.length;
    const known = product(target.filter((d) => d !== -1) as number[]);
    if (target.some((d) => d === BATCH || d === 0) || known === 0)
      throw cx.refuse('reshapes a constant by the batch');
    cx.define(
      withEntries(
        data,
        target.map((d) => (d === -1 ? size / known : (d as number))),
        entries(data),
      ),
    );
    return;
  }
  const batch: ShapeEntry = cx.staticBatch ?? BATCH;
  const shape = targetShape(cx, [batch, ...data.shape], target, cx.attrInt('allowzero', 0) !== 0);
  cx.define(reshaped(cx, data, shape));
}

function axesOf(cx: Conversion, what: string): number[] | undefined {
  if (cx.opset < 13) return cx.attrInts('axes')?.slice();
  if (!cx.optionalInput(1)) return undefined;
  const values = cx.intInput(1, what).values;
  if (values.some((v) => v === BATCH)) throw cx.refuse(`has ${what} that depend on the batch`);
  return values as number[];
}

export function convertSqueeze(cx: Conversion): void {
  cx.onlyAttributes(['axes']);
  const value = cx.input(0);
  const full = value.kind === 'tensor' ? [0, ...value.shape] : [...value.dims];
  const rank = full.length;
  const axes = axesOf(cx, 'axes')?.map((a) => normalizedAxis(cx, a, rank));
  const removed = (i: number) => (axes ? axes.includes(i) : full[i] === 1);
  if (axes?.some((a) => full[a] !== 1)) throw cx.refuse('squeezes an axis whose size is not 1');
  if (value.kind === 'tensor') {
    if (axes?.includes(0)) throw cx.refuse('squeezes the batch axis');
    cx.define(
      reshaped(
        cx,
        value,
        value.shape.filter((_, i) => !removed(i + 1)),
      ),
    );
  } else {
    cx.define(
      withEntries(
        value,
        value.dims.filter((_, i) => !removed(i)),
        entries(value),
      ),
    );
  }
}

export function convertUnsqueeze(cx: Conversion): void {
  cx.onlyAttributes(['axes']);
  const value = cx.input(0);
  const axes = axesOf(cx, 'axes');
  if (!axes) throw cx.refuse('has no axes');
  const dims = value.kind === 'tensor' ? [0, ...value.shape] : [...value.dims];
  const rank = dims.length + axes.length;
  const inserted = axes.map((a) => normalizedAxis(cx, a, rank)).sort((a, b) => a - b);
  for (const a of inserted) dims.splice(a, 0, 1);
  if (value.kind === 'tensor') {
    if (inserted.includes(0)) throw cx.refuse('adds an axis before the batch');
    cx.define(reshaped(cx, value, dims.slice(1)));
  } else {
    cx.define(withEntries(value, dims, entries(value)));
  }
}

export function convertTranspose(cx: Conversion): void {
  cx.onlyAttributes(['perm']);
  const value = cx.input(0);
  const rank = value.kind === 'tensor' ? value.shape.length + 1 : value.dims.length;
  const perm = cx.attrInts('perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
    throw cx.refuse(`has perm [${perm.join(', ')}] for rank ${rank}`);
  }
  const dims = value.kind === 'tensor' ? [1, ...value.shape] : value.dims;
  const newDims = perm.map((p) => dims[p]);
  // newIndex[old flat index] under the permutation.
  const total = product(dims);
  const newIndex = new Int32Array(total);
  const oldStrides = dims.map((_, i) => product(dims.slice(i + 1)));
  const newStrides = newDims.map((_, i) => product(newDims.slice(i + 1)));
  for (let o = 0; o < total; o++) {
    let n = 0;
    for (let j = 0; j < rank; j++)
      n += (Math.floor(o / oldStrides[perm[j]]) % dims[perm[j]]) * newStrides[j];
    newIndex[o] = n;
  }
  if (value.kind !== 'tensor') {
    const old = entries(value);
    const values = new Array<ShapeEntry>(total);
    for (let o = 0; o < total; o++) values[newIndex[o]] = old[o];
    cx.define(withEntries(value, newDims, values));
    return;
  }
  if (perm[0] !== 0) throw cx.refuse(`moves the batch axis (perm [${perm.join(', ')}])`);
  const before = orderArray(value.order);
  const order = Int32Array.from({ length: total }, (_, i) => newIndex[before ? before[i] : i]);
  const identity = order.every((o, i) => o === i);
  cx.define({ ...value, shape: newDims.slice(1), order: identity ? null : order });
}

export function convertConcat(cx: Conversion): void {
  cx.onlyAttributes(['axis']);
  const inputs = cx.current.node.inputs.map((_, i) => cx.input(i));
  if (inputs.every((v) => v.kind !== 'tensor')) {
    const constants = inputs as Constant[];
    if (constants.some((c) => c.dims.length !== 1))
      throw cx.refuse('concatenates constants of rank other than 1');
    const values = constants.flatMap(entries);
    const floats = constants.some((c) => c.kind === 'floats');
    cx.define(
      floats
        ? {
            kind: 'floats',
            dims: [values.length],
            values: floatsOf({ kind: 'ints', dims: [values.length], values })!,
          }
        : { kind: 'ints', dims: [values.length], values },
    );
    return;
  }
  const tensors = inputs.map((_, i) => cx.tensor(i));
  const rank = tensors[0].shape.length + 1;
  const axis = normalizedAxis(cx, cx.attrInt('axis', 1), rank);
  if (axis !== 1)
    throw cx.refuse(`concatenates along axis ${axis}; the lab concatenates channels (axis 1)`);
  if (tensors.length === 1) {
    cx.define(tensors[0]);
    return;
  }
  if (tensors.every(isLabImage) || tensors.every((t) => t.shape.length === 3)) {
    const images = tensors.map((_, i) => cx.image(i));
    const [, h, w] = images[0].shape;
    if (images.some((t) => t.shape[1] !== h || t.shape[2] !== w)) {
      throw cx.refuse('concatenates images of different sizes');
    }
    const c = images.reduce((sum, t) => sum + t.shape[0], 0);
    cx.defineImage(
      cx.emit(
        'Concatenate',
        { axis: -1 },
        images.map((t) => t.node),
      ),
      [c, h, w],
    );
    return;
  }
  const flat = tensors.map((_, i) => cx.features(i));
  const total = flat.reduce((sum, t) => sum + t.shape[0], 0);
  let order: Int32Array | null = null;
  if (flat.some((t) => t.order !== null)) {
    order = new Int32Array(total);
    let offset = 0;
    for (const t of flat) {
      const part = orderArray(t.order);
      for (let i = 0; i < t.shape[0]; i++) order[offset + i] = offset + (part ? part[i] : i);
      offset += t.shape[0];
    }
  }
  const node = cx.emit(
    'Concatenate',
    { axis: -1 },
    flat.map((t) => t.node),
  );
  cx.define({ kind: 'tensor', node, shape: [total], labShape: [total], order });
}

export function convertShape(cx: Conversion): void {
  cx.onlyAttributes(['start', 'end']);
  const value = cx.input(0);
  // The batch stays a symbol even when the file fixes it (a model exported with batch 1).
  const full: ShapeEntry[] = value.kind === 'tensor' ? [BATCH, ...value.shape] : [...value.dims];
  const rank = full.length;
  const clamp = (v: number) => Math.min(rank, Math.max(0, v < 0 ? v + rank : v));
  const start = clamp(cx.attrInt('start', 0));
  const end = clamp(cx.attrInt('end', rank));
  const values = full.slice(start, Math.max(start, end));
  cx.define({ kind: 'ints', dims: [values.length], values });
}

export function convertGather(cx: Conversion): void {
  cx.onlyAttributes(['axis']);
  const data = cx.constant(0, 'data');
  const indices = cx.intInput(1, 'indices');
  const rank = data.dims.length;
  const axis = normalizedAxis(cx, cx.attrInt('axis', 0), rank);
  const size = data.dims[axis];
  const outer = product(data.dims.slice(0, axis));
  const inner = product(data.dims.slice(axis + 1));
  const values = entries(data);
  const result: ShapeEntry[] = [];
  for (let o = 0; o < outer; o++) {
    for (const raw of indices.values) {
      if (raw === BATCH) throw cx.refuse('gathers by the batch size');
      const index = raw < 0 ? raw + size : raw;
      if (!Number.isInteger(index) || index < 0 || index >= size)
        throw cx.refuse(`gathers index ${raw} of ${size}`);
      for (let i = 0; i < inner; i++) result.push(values[(o * size + index) * inner + i]);
    }
  }
  const dims = [...data.dims.slice(0, axis), ...indices.dims, ...data.dims.slice(axis + 1)];
  cx.define(withEntries(data, dims, result));
}

export function convertConstant(cx: Conversion): void {
  const attributes = [...cx.current.node.attributes.entries()];
  if (attributes.length !== 1) throw cx.refuse('has no single value');
  const [name, a] = attributes[0];
  let constant: Constant | null = null;
  if (name === 'value' && a.kind === 'tensor') constant = constantOf(a.value);
  else if (name === 'value_float' && a.kind === 'float')
    constant = { kind: 'floats', dims: [], values: Float32Array.of(a.value) };
  else if (name === 'value_floats' && a.kind === 'floats')
    constant = { kind: 'floats', dims: [a.value.length], values: Float32Array.from(a.value) };
  else if (name === 'value_int' && a.kind === 'int')
    constant = { kind: 'ints', dims: [], values: [a.value] };
  else if (name === 'value_ints' && a.kind === 'ints')
    constant = { kind: 'ints', dims: [a.value.length], values: a.value };
  if (!constant) throw cx.refuse(`holds a ${name} the lab does not read`);
  cx.define(constant);
}

export function convertCast(cx: Conversion): void {
  cx.onlyAttributes(['to', 'saturate']);
  const to = cx.attrInt('to', 0);
  const value = cx.input(0);
  const toFloat = FLOAT_TYPES.includes(to);
  if (value.kind === 'tensor') {
    if (!toFloat) throw cx.refuse('casts a computed tensor to integers');
    cx.define(value);
    return;
  }
  if (toFloat) {
    const values = floatsOf(value);
    if (!values) throw cx.refuse('casts the batch size to a float');
    cx.define({ kind: 'floats', dims: value.dims, values });
  } else {
    const values = value.kind === 'ints' ? value.values : Array.from(value.values, Math.trunc);
    cx.define({ kind: 'ints', dims: value.dims, values });
  }
}
