/**
 * The geometry of a sliding window over an image (Conv, MaxPool, AveragePool) from ONNX's
 * attributes: kernel, strides, dilations and the padding on each side, auto_pad and ceil_mode
 * resolved into explicit amounts, and whether those amounts are what tfjs's 'same' pads.
 */
import type { Conversion } from './conversion.ts';

export type Pair = [number, number];
/** [[top, bottom], [left, right]]. */
export type Pads = [Pair, Pair];

export interface WindowGeometry {
  readonly kernel: Pair;
  readonly strides: Pair;
  readonly dilations: Pair;
  /** ONNX's padding, explicit. */
  readonly pads: Pads;
  /** Rows and columns ceil_mode adds after the padding (windows that overhang the end). */
  readonly overhang: Pair;
  /** 'same' when the pads are tfjs's 'same' ones, 'valid' when there are none, else null. */
  readonly tfPadding: 'same' | 'valid' | null;
}

function pairAttribute(cx: Conversion, name: string, fallback: number): Pair {
  const value = cx.attrInts(name);
  if (value === undefined) return [fallback, fallback];
  if (value.length !== 2 || value.some((v) => !Number.isInteger(v) || v < 1 || v > 65536)) {
    throw cx.refuse(
      `has ${name} [${value.join(', ')}]; the lab runs 2-D windows of positive sizes`,
    );
  }
  return [value[0], value[1]];
}

/** tfjs's (and TensorFlow's) 'same' padding of one axis: the odd cell goes at the end. */
function samePads(size: number, window: number, stride: number): Pair {
  const out = Math.ceil(size / stride);
  const total = Math.max(0, (out - 1) * stride + window - size);
  const begin = Math.floor(total / 2);
  return [begin, total - begin];
}

export function windowGeometry(
  cx: Conversion,
  input: Pair,
  kernel: Pair,
  options: { readonly ceilMode?: boolean } = {},
): WindowGeometry {
  const strides = pairAttribute(cx, 'strides', 1);
  const dilations = pairAttribute(cx, 'dilations', 1);
  const declared = cx.attrInts('kernel_shape');
  if (
    declared &&
    (declared.length !== 2 || declared[0] !== kernel[0] || declared[1] !== kernel[1])
  ) {
    throw cx.refuse(
      `declares kernel_shape [${declared.join(', ')}], its weights are ${kernel.join('x')}`,
    );
  }
  const extent = (axis: 0 | 1) => (kernel[axis] - 1) * dilations[axis] + 1;
  const autoPad = cx.attrString('auto_pad', 'NOTSET');
  let pads: Pads;
  if (autoPad === 'NOTSET') {
    const raw = cx.attrInts('pads') ?? [0, 0, 0, 0];
    if (raw.length !== 4 || raw.some((p) => !Number.isInteger(p) || p < 0 || p > 65536)) {
      throw cx.refuse(`has pads [${raw.join(', ')}]; the lab pads 2-D images by whole cells`);
    }
    pads = [
      [raw[0], raw[2]],
      [raw[1], raw[3]],
    ];
  } else if (autoPad === 'VALID') {
    pads = [
      [0, 0],
      [0, 0],
    ];
  } else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    pads = [0, 1].map((axis) => {
      const [begin, end] = samePads(input[axis], extent(axis as 0 | 1), strides[axis]);
      return autoPad === 'SAME_UPPER' ? [begin, end] : [end, begin];
    }) as Pads;
  } else {
    throw cx.refuse(`has auto_pad "${autoPad.slice(0, 20)}"`);
  }
  const overhang: Pair = [0, 0];
  if (options.ceilMode) {
    for (const axis of [0, 1] as const) {
      const padded = input[axis] + pads[axis][0] + pads[axis][1];
      let out = Math.ceil((padded - extent(axis)) / strides[axis]) + 1;
      // A last window that would start in the end padding is dropped (as in PyTorch and ONNX).
      if ((out - 1) * strides[axis] >= input[axis] + pads[axis][0]) out--;
      overhang[axis] = Math.max(0, (out - 1) * strides[axis] + extent(axis) - padded);
    }
  }
  const isZero = pads.every(([a, b]) => a === 0 && b === 0);
  const isSame = [0, 1].every((axis) => {
    const [begin, end] = samePads(input[axis], extent(axis as 0 | 1), strides[axis]);
    return pads[axis][0] === begin && pads[axis][1] === end;
  });
  const noOverhang = overhang[0] === 0 && overhang[1] === 0;
  return {
    kernel,
    strides,
    dilations,
    pads,
    overhang,
    tfPadding: !noOverhang ? null : isZero ? 'valid' : isSame ? 'same' : null,
  };
}
