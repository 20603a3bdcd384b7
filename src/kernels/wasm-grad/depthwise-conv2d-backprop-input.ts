/**
 * DepthwiseConv2dNativeBackpropInput for tfjs-wasm (absent in 4.22): the input gradient of a
 * depthwise conv with channel multiplier M.
 *
 *   dx[n, y, x, c] = sum over i, j, m of dy_spread[n, y + top - i, x + left - j, c*M + m] * w[i, j, c, m]
 *
 * As for a dense conv this is a stride-1 correlation of dy_spread (dy with the forward stride's
 * zeros between its pixels) with the spatially flipped filter. Each of the C*M dy channels has
 * its own filter plane, so one depthwise conv with multiplier 1 over C*M channels computes every
 * term; summing each group of M channels gives dx. The cpu backend's
 * depthwiseConv2dNativeBackpropInput is the reference it is tested against.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { withKernelCalls } from './wasm-kernel-calls.ts';

interface DepthwiseBackpropInputAttrs {
  strides: [number, number] | number;
  dilations: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

const depthwiseConv2dNativeBackpropInput: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, inputShape } =
    attrs as unknown as DepthwiseBackpropInputAttrs;
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    dilations ?? 1,
    pad,
    dimRoundingMode,
    true,
  );
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) {
    throw new Error('depthwiseConv2dNativeBackpropInput on wasm: dilations must be 1');
  }
  const { filterHeight: kh, filterWidth: kw, inHeight, inWidth, inChannels } = info;
  const multiplier = info.outChannels / inChannels;

  return withKernelCalls(backend as BackendWasm, (calls) => {
    const spread = calls.spreadWithZeros(dy, info.strideHeight, info.strideWidth);
    const top = kh - 1 - info.padInfo.top;
    const left = kw - 1 - info.padInfo.left;
    const { input, padding } = calls.padOrCrop(
      spread,
      top,
      inHeight + kh - 1 - top - spread.shape[1],
      left,
      inWidth + kw - 1 - left - spread.shape[2],
    );
    // [kh, kw, C, M] flipped in space, then one filter plane per dy channel c*M + m.
    const flipped = calls.reshape(calls.reverse(filter, [0, 1]), [
      kh,
      kw,
      inChannels * multiplier,
      1,
    ]);
    const terms = calls.depthwiseConv2d(input, flipped, padding, [1, 1]);
    if (multiplier === 1) return terms;
    const grouped = calls.reshape(terms, [
      info.batchSize,
      inHeight,
      inWidth,
      inChannels,
      multiplier,
    ]);
    return calls.sum(grouped, [4]);
  });
};

export const depthwiseConv2dNativeBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropInput,
};
