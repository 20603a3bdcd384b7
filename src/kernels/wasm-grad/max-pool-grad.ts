/**
 * MaxPoolGrad for tfjs-wasm. tfjs-wasm 4.22 has one, but it is wrong and slow: a window whose
 * values are all negative passes no gradient at all (so it only works after a ReLU), ties go
 * elsewhere than on the other backends, and it took ~20% of a LeNet-5 training batch. This one
 * routes each output's gradient to the first maximum of its window in row-major order, exactly
 * as the cpu backend (its reference) does.
 *
 * It is a single pass in JS over the wasm heap, which beats composing wasm ops here: the work
 * is a compare and a copy per input, with no arithmetic for XNNPACK to accelerate. The loop
 * runs over channels innermost, so every read is sequential in NHWC memory.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

interface MaxPoolGradAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

const maxPoolGrad: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as BackendWasm;
  const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;

  const out = wasm.makeOutput(input.shape, 'float32');
  // Heap views are taken after the allocation above (which may grow and move the heap).
  const dx = wasm.typedArrayFromHeap(out) as Float32Array;
  const x = wasm.typedArrayFromHeap(input) as Float32Array;
  const dyValues = wasm.typedArrayFromHeap(dy) as Float32Array;
  dx.fill(0);

  const bestValue = new Float32Array(channels);
  const bestIndex = new Int32Array(channels);
  for (let b = 0; b < batchSize; b++) {
    for (let yR = 0; yR < outHeight; yR++) {
      const rowStart = Math.max(0, yR * strideHeight - top);
      const rowEnd = Math.min(inHeight, yR * strideHeight - top + filterHeight);
      for (let yC = 0; yC < outWidth; yC++) {
        const colStart = Math.max(0, yC * strideWidth - left);
        const colEnd = Math.min(inWidth, yC * strideWidth - left + filterWidth);
        bestValue.fill(-Infinity);
        bestIndex.fill(-1);
        for (let xR = rowStart; xR < rowEnd; xR++) {
          for (let xC = colStart; xC < colEnd; xC++) {
            const pixel = ((b * inHeight + xR) * inWidth + xC) * channels;
            for (let d = 0; d < channels; d++) {
              // Strict '>' keeps the first maximum, as the cpu backend does.
              if (x[pixel + d] > bestValue[d]) {
                bestValue[d] = x[pixel + d];
                bestIndex[d] = pixel + d;
              }
            }
          }
        }
        const outPixel = ((b * outHeight + yR) * outWidth + yC) * channels;
        for (let d = 0; d < channels; d++) {
          if (bestIndex[d] >= 0) dx[bestIndex[d]] += dyValues[outPixel + d];
        }
      }
    }
  }
  return out;
};

export const maxPoolGradConfig: tf.KernelConfig = {
  kernelName: tf.MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad,
};
