/**
 * Runs tfjs-wasm's own kernels from inside another wasm kernel. The calls go straight to the
 * registered kernel functions, not through the engine: intermediates never become tracked
 * tensors, never reach a gradient tape, and are freed here with `backend.disposeData`.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type Pair = [number, number];
/** Explicit padding in tfjs's NHWC layout: [[0,0],[top,bottom],[left,right],[0,0]]. */
export type ExplicitPadding = [Pair, Pair, Pair, Pair];

export function explicitPadding(top: number, bottom: number, left: number, right: number) {
  const padding: ExplicitPadding = [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
  return padding;
}

export class WasmKernelCalls {
  /** Every intermediate this object created and has not handed out with `keep`. */
  private readonly scratch: tf.TensorInfo[] = [];

  constructor(readonly backend: BackendWasm) {}

  /** Runs one registered wasm kernel; its output is scratch until `keep` is called on it. */
  run(kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}) {
    const kernel = tf.getKernel(kernelName, 'wasm');
    if (kernel == null) throw new Error(`the wasm backend has no ${kernelName} kernel`);
    return this.call(kernel, inputs, attrs);
  }

  /** Runs a given kernel config (e.g. the built-in one a replacement wraps). */
  call(kernel: tf.KernelConfig, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}) {
    const out = kernel.kernelFunc({ inputs, attrs, backend: this.backend });
    if (Array.isArray(out)) throw new Error(`${kernel.kernelName} returned several outputs`);
    this.scratch.push(out);
    return out;
  }

  transpose(x: tf.TensorInfo, perm: number[]) {
    return this.run(tf.Transpose, { x }, { perm });
  }

  /** Shares x's memory (the wasm Reshape kernel only bumps a reference count). */
  reshape(x: tf.TensorInfo, shape: number[]) {
    return this.run(tf.Reshape, { x }, { shape });
  }

  sum(x: tf.TensorInfo, axis: number[]) {
    return this.run(tf.Sum, { x }, { axis, keepDims: false });
  }

  reverse(x: tf.TensorInfo, dims: number[]) {
    return this.run(tf.Reverse, { x }, { dims });
  }

  /** Zero padding; `paddings` has one [before, after] pair per dimension, all >= 0. */
  pad(x: tf.TensorInfo, paddings: Pair[]) {
    return this.run(tf.PadV2, { x }, { paddings, constantValue: 0 });
  }

  slice(x: tf.TensorInfo, begin: number[], size: number[]) {
    return this.run(tf.Slice, { x }, { begin, size });
  }

  conv2d(x: tf.TensorInfo, filter: tf.TensorInfo, pad: ExplicitPadding, dilations: Pair) {
    return this.run(
      tf.Conv2D,
      { x, filter },
      { strides: [1, 1], pad, dilations, dataFormat: 'NHWC' },
    );
  }

  depthwiseConv2d(x: tf.TensorInfo, filter: tf.TensorInfo, pad: ExplicitPadding, dilations: Pair) {
    return this.run(
      tf.DepthwiseConv2dNative,
      { x, filter },
      { strides: [1, 1], pad, dilations, dataFormat: 'NHWC' },
    );
  }

  /**
   * Prepares x for a conv whose input needs `top/bottom/left/right` rows and columns of zeros
   * around x, where a negative amount means "drop that many rows/columns instead". The drops
   * are done with one slice; the zeros are left to the conv's own explicit padding (no copy).
   */
  padOrCrop(x: tf.TensorInfo, top: number, bottom: number, left: number, right: number) {
    const [batch, height, width, channels] = x.shape;
    const cropTop = Math.max(0, -top);
    const cropLeft = Math.max(0, -left);
    const keptRows = height - cropTop - Math.max(0, -bottom);
    const keptCols = width - cropLeft - Math.max(0, -right);
    const input =
      keptRows === height && keptCols === width
        ? x
        : this.slice(x, [0, cropTop, cropLeft, 0], [batch, keptRows, keptCols, channels]);
    const padding = explicitPadding(
      Math.max(0, top),
      Math.max(0, bottom),
      Math.max(0, left),
      Math.max(0, right),
    );
    return { input, padding };
  }

  /**
   * Spreads an NHWC tensor's pixels `strideHeight`/`strideWidth` apart with zeros between them
   * (each pixel is followed by stride - 1 zeros): the input of a transposed convolution.
   */
  spreadWithZeros(x: tf.TensorInfo, strideHeight: number, strideWidth: number) {
    if (strideHeight === 1 && strideWidth === 1) return x;
    const [batch, height, width, channels] = x.shape;
    const sixD = this.reshape(x, [batch, height, 1, width, 1, channels]);
    const spread = this.pad(sixD, [
      [0, 0],
      [0, 0],
      [0, strideHeight - 1],
      [0, 0],
      [0, strideWidth - 1],
      [0, 0],
    ]);
    return this.reshape(spread, [batch, height * strideHeight, width * strideWidth, channels]);
  }

  /** Hands `result` to the caller: it will not be freed by `dispose`. */
  keep(result: tf.TensorInfo): tf.TensorInfo {
    const index = this.scratch.lastIndexOf(result);
    if (index >= 0) this.scratch.splice(index, 1);
    else this.backend.incRef(result.dataId); // an input passed through: the caller gets its own reference
    return result;
  }

  dispose(): void {
    for (const info of this.scratch) this.backend.disposeData(info.dataId);
    this.scratch.length = 0;
  }
}

/** Runs `body` with a fresh WasmKernelCalls and frees all its scratch, even when body throws. */
export function withKernelCalls(
  backend: BackendWasm,
  body: (calls: WasmKernelCalls) => tf.TensorInfo,
): tf.TensorInfo {
  const calls = new WasmKernelCalls(backend);
  try {
    return calls.keep(body(calls));
  } finally {
    calls.dispose();
  }
}
