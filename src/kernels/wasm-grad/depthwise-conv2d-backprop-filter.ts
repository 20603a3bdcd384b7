/**
 * DepthwiseConv2dNativeBackpropFilter for tfjs-wasm (absent in 4.22): the filter gradient of a
 * depthwise conv with channel multiplier M.
 *
 *   dW[i, j, c, m] = sum over n, p, q of x[n, p*sh + i - top, q*sw + j - left, c] * dy[n, p, q, c*M + m]
 *
 * Every (n, c) pair is an independent correlation of one image plane with one dy plane, which
 * is what a depthwise conv computes when the batch is folded into the channels:
 *
 *   x  [N, H, W, C]      -> [1, H, W, N*C]           (one image, N*C channels)
 *   dy [N, oH, oW, C*M]  -> [oH, oW, N*C, M]          (a depthwise filter, multiplier M)
 *   depthwise conv (dilation = forward stride) -> [1, kh, kw, N*C*M] -> sum over N -> [kh, kw, C, M]
 *
 * The cpu backend's depthwiseConv2dNativeBackpropFilter is the reference it is tested against.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { withKernelCalls } from './wasm-kernel-calls.ts';

interface DepthwiseBackpropFilterAttrs {
  strides: [number, number] | number;
  dilations: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

const depthwiseConv2dNativeBackpropFilter: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, filterShape } =
    attrs as unknown as DepthwiseBackpropFilterAttrs;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    dilations ?? 1,
    pad,
    dimRoundingMode,
    true,
  );
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) {
    throw new Error('depthwiseConv2dNativeBackpropFilter on wasm: dilations must be 1');
  }
  const [batch, , , channels] = x.shape;
  const multiplier = info.outChannels / info.inChannels;

  return withKernelCalls(backend as BackendWasm, (calls) => {
    const image = calls.reshape(calls.transpose(x, [1, 2, 0, 3]), [
      1,
      info.inHeight,
      info.inWidth,
      batch * channels,
    ]);
    const dyFilter = calls.reshape(calls.transpose(dy, [1, 2, 0, 3]), [
      info.outHeight,
      info.outWidth,
      batch * channels,
      multiplier,
    ]);
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
    const perImage = calls.depthwiseConv2d(input, dyFilter, padding, [sh, sw]);
    const summed = calls.sum(calls.reshape(perImage, [kh, kw, batch, channels * multiplier]), [2]);
    return calls.reshape(summed, [kh, kw, channels, multiplier]);
  });
};

export const depthwiseConv2dNativeBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropFilter,
};
