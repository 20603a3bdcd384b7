/**
 * Gemm and MatMul with a constant right-hand side -> Dense. The kernel's rows follow the order
 * in which the lab holds the input features: after a Flatten of an NCHW image ONNX reads them
 * as C, H, W and the lab holds H, W, C, so row i of the lab's kernel is row order[i] of ONNX's.
 */
import type { Conversion } from './conversion.ts';
import { orderArray, type TensorValue } from './values.ts';

/** A Dense node from an ONNX kernel [K, N] (row-major) and an optional bias; defines output 0. */
export function emitDense(
  cx: Conversion,
  x: TensorValue,
  onnxKernel: Float32Array,
  units: number,
  bias: Float32Array | undefined,
): void {
  const inUnits = x.shape[0];
  const order = orderArray(x.order);
  let kernel = onnxKernel;
  if (order) {
    kernel = new Float32Array(onnxKernel.length);
    for (let i = 0; i < inUnits; i++) {
      kernel.set(onnxKernel.subarray(order[i] * units, (order[i] + 1) * units), i * units);
    }
  }
  const weights: ['kernel' | 'bias', readonly number[], Float32Array][] = [
    ['kernel', [inUnits, units], kernel],
  ];
  if (bias) weights.push(['bias', [units], bias]);
  const node = cx.emit(
    'Dense',
    { units, activation: 'linear', useBias: bias !== undefined },
    [x.node],
    weights,
  );
  cx.define({ kind: 'tensor', node, shape: [units], labShape: [units], order: null });
}

export function convertGemm(cx: Conversion): void {
  cx.onlyAttributes(['alpha', 'beta', 'transA', 'transB', 'broadcast']);
  if (cx.attrInt('transA', 0) !== 0) {
    throw cx.refuse(
      'transposes its input (transA = 1); the lab multiplies features [N, K] by weights',
    );
  }
  const x = cx.features(0);
  const b = cx.floatInput(1, 'weight (B)');
  const transB = cx.attrInt('transB', 0) !== 0;
  const alpha = cx.attrFloat('alpha', 1);
  const beta = cx.attrFloat('beta', 1);
  const inUnits = x.shape[0];
  if (b.dims.length !== 2 || b.dims[transB ? 1 : 0] !== inUnits) {
    throw cx.refuse(
      `has B of shape [${b.dims.join(', ')}]${transB ? ' (transposed)' : ''} for ${inUnits} input features`,
    );
  }
  const units = b.dims[transB ? 0 : 1];
  const kernel = new Float32Array(inUnits * units);
  for (let k = 0; k < inUnits; k++)
    for (let n = 0; n < units; n++)
      kernel[k * units + n] = alpha * b.values[transB ? n * inUnits + k : k * units + n];
  let bias: Float32Array | undefined;
  if (cx.optionalInput(2)) {
    const c = cx.floatInput(2, 'bias (C)');
    const rows = c.dims.length === 2 ? c.dims[0] : 1;
    if (c.dims.length > 2 || rows !== 1 || (c.values.length !== units && c.values.length !== 1)) {
      throw cx.refuse(
        `has C of shape [${c.dims.join(', ')}]; the lab adds one bias per output (${units})`,
      );
    }
    bias = new Float32Array(units);
    for (let n = 0; n < units; n++) bias[n] = beta * c.values[c.values.length === 1 ? 0 : n];
  }
  emitDense(cx, x, kernel, units, bias);
}

export function convertMatMul(cx: Conversion): void {
  cx.onlyAttributes([]);
  const x = cx.features(0);
  const b = cx.floatInput(1, 'weight');
  if (b.dims.length !== 2 || b.dims[0] !== x.shape[0]) {
    throw cx.refuse(`multiplies [N, ${x.shape[0]}] by weights of shape [${b.dims.join(', ')}]`);
  }
  emitDense(cx, x, b.values.slice(), b.dims[1], undefined);
}
