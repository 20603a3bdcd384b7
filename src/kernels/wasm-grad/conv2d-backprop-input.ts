/**
 * Conv2DBackpropInput for tfjs-wasm. tfjs-wasm 4.22 has one, but it is a plain C++ loop: in
 * LeNet-5 training it took ~45% of each batch. This one is the textbook transposed
 * convolution, run by XNNPACK's conv2d:
 *
 *   dx[n, y, x, c] = sum over i, j, o of dy_spread[n, y + top - i, x + left - j, o] * w[i, j, c, o]
 *
 * where dy_spread has the forward stride's zeros between dy's pixels. Flipping w in space and
 * swapping its channel axes turns that into an ordinary stride-1 correlation of dy_spread,
 * padded by kh - 1 - top above (the rest of the padding makes the output H x W).
 * The cpu backend's conv2DBackpropInput is the reference it is tested against.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { withKernelCalls } from './wasm-kernel-calls.ts';

interface Conv2DBackpropInputAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

const conv2DBackpropInput: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } =
    attrs as unknown as Conv2DBackpropInputAttrs;
  const format = tf.backend_util.convertConv2DDataFormat(dataFormat);
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    format,
  );
  const channelsLast = info.dataFormat === 'channelsLast';

  return withKernelCalls(backend as BackendWasm, (calls) => {
    const dyNhwc = channelsLast ? dy : calls.transpose(dy, [0, 2, 3, 1]);
    const spread = calls.spreadWithZeros(dyNhwc, info.strideHeight, info.strideWidth);
    const { filterHeight: kh, filterWidth: kw, inHeight, inWidth } = info;
    const top = kh - 1 - info.padInfo.top;
    const left = kw - 1 - info.padInfo.left;
    const { input, padding } = calls.padOrCrop(
      spread,
      top,
      inHeight + kh - 1 - top - spread.shape[1],
      left,
      inWidth + kw - 1 - left - spread.shape[2],
    );
    // [kh, kw, C, O] -> flipped in space, as [kh, kw, O, C].
    const flipped = calls.transpose(calls.reverse(filter, [0, 1]), [0, 1, 3, 2]);
    const dx = calls.conv2d(input, flipped, padding, [1, 1]);
    return channelsLast ? dx : calls.transpose(dx, [0, 3, 1, 2]);
  });
};

export const conv2DBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput,
};
