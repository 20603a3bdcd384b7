/**
 * Conv2DBackpropFilter for tfjs-wasm (absent in 4.22): the filter gradient of a conv2d.
 *
 *   dW[i, j, c, o] = sum over n, p, q of x[n, p*sh + i - top, q*sw + j - left, c] * dy[n, p, q, o]
 *
 * That sum is itself a convolution once the roles are swapped: input channels become the batch,
 * the batch becomes the channels, and dy becomes a filter that is dilated by the forward stride:
 *
 *   x  [N, H, W, C]  -> transpose -> [C, H, W, N]        (the "image")
 *   dy [N, oH, oW, O] -> transpose -> [oH, oW, N, O]     (the "filter")
 *   conv2d(stride 1, dilation = forward stride, padding = forward top/left) -> [C, kh, kw, O]
 *   -> transpose -> [kh, kw, C, O]
 *
 * so the work runs in XNNPACK's convolution, which is far faster than any loop in JS. The cpu
 * backend's conv2DBackpropFilter is the reference it is tested against.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { withKernelCalls } from './wasm-kernel-calls.ts';

interface Conv2DBackpropFilterAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

const conv2DBackpropFilter: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
    attrs as unknown as Conv2DBackpropFilterAttrs;
  const format = tf.backend_util.convertConv2DDataFormat(dataFormat);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    format,
  );
  const channelsLast = info.dataFormat === 'channelsLast';

  return withKernelCalls(backend as BackendWasm, (calls) => {
    // [C, H, W, N] and [oH, oW, N, O], whatever the layout of x and dy.
    const image = calls.transpose(x, channelsLast ? [3, 1, 2, 0] : [1, 2, 3, 0]);
    const dyFilter = calls.transpose(dy, channelsLast ? [1, 2, 0, 3] : [2, 3, 0, 1]);

    // The conv must produce exactly kh x kw outputs: it reads rows from -top up to the last
    // row the forward conv touched; rows beyond that are cropped, missing ones are zeros.
    const { top, left } = info.padInfo;
    const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
    const lastRow = kh - 1 + (info.outHeight - 1) * sh - top;
    const lastCol = kw - 1 + (info.outWidth - 1) * sw - left;
    const { input, padding } = calls.padOrCrop(
      image,
      top,
      lastRow + 1 - info.inHeight,
      left,
      lastCol + 1 - info.inWidth,
    );
    const grad = calls.conv2d(input, dyFilter, padding, [sh, sw]);
    return calls.transpose(grad, [1, 2, 0, 3]);
  });
};

export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter,
};
