/**
 * Makes tfjs-backend-wasm 4.22 able to train convolutional models, and fast at it.
 *
 * Missing for 'wasm' (found by diffing the cpu and wasm kernel registries and running the
 * gradient of every op the lab's models use): Conv2DBackpropFilter,
 * DepthwiseConv2dNativeBackpropFilter and DepthwiseConv2dNativeBackpropInput. They are added,
 * with UnsortedSegmentSum (the gradient of Gather, for codebooks that train).
 *
 * Present but slow, so replaced: Conv2DBackpropInput (a plain loop; ours runs on XNNPACK),
 * MaxPoolGrad (the built-in one also drops the gradient of all-negative windows; ours is one
 * sequential pass that agrees with cpu) and BatchMatMul with a transposed operand (ours
 * transposes first, then calls the built-in one).
 */
import * as tf from '@tensorflow/tfjs';
import {
  batchNormTrainingBackwardConfig,
  batchNormTrainingForwardConfig,
} from './wasm-grad/batch-norm-training.ts';
import { transposeFirstBatchMatMulConfig } from './wasm-grad/batch-mat-mul.ts';
import { conv2DBackpropFilterConfig } from './wasm-grad/conv2d-backprop-filter.ts';
import { conv2DBackpropInputConfig } from './wasm-grad/conv2d-backprop-input.ts';
import { depthwiseConv2dNativeBackpropFilterConfig } from './wasm-grad/depthwise-conv2d-backprop-filter.ts';
import { depthwiseConv2dNativeBackpropInputConfig } from './wasm-grad/depthwise-conv2d-backprop-input.ts';
import { maxPoolGradConfig } from './wasm-grad/max-pool-grad.ts';
import { unsortedSegmentSumConfig } from './wasm-grad/unsorted-segment-sum.ts';

/** Kernels tfjs-wasm does not have at all. */
export const ADDED_WASM_KERNELS: readonly tf.KernelConfig[] = [
  conv2DBackpropFilterConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  unsortedSegmentSumConfig,
  // The lab's own: batch norm in training mode (src/engine/train/batch-norm.ts calls them).
  batchNormTrainingForwardConfig,
  batchNormTrainingBackwardConfig,
];

/** Built-in kernels that are slow (MaxPoolGrad also wrong), replaced outright. */
export const REPLACED_WASM_KERNELS: readonly tf.KernelConfig[] = [
  conv2DBackpropInputConfig,
  maxPoolGradConfig,
];

/** The kernel functions this module installed, so a second call can recognise its own work. */
const installed = new Set<tf.KernelFunc>();

function replace(config: tf.KernelConfig): void {
  if (tf.getKernel(config.kernelName, config.backendName) != null) {
    tf.unregisterKernel(config.kernelName, config.backendName);
  }
  tf.registerKernel(config);
  installed.add(config.kernelFunc);
}

/** Safe to call any number of times (after @tensorflow/tfjs-backend-wasm is imported). */
export function registerWasmGradientKernels(): void {
  for (const config of ADDED_WASM_KERNELS) {
    if (tf.getKernel(config.kernelName, 'wasm') == null) replace(config);
  }
  for (const config of REPLACED_WASM_KERNELS) {
    const current = tf.getKernel(config.kernelName, 'wasm');
    if (current == null || !installed.has(current.kernelFunc)) replace(config);
  }
  const batchMatMul = tf.getKernel(tf.BatchMatMul, 'wasm');
  if (batchMatMul != null && !installed.has(batchMatMul.kernelFunc)) {
    replace(transposeFirstBatchMatMulConfig(batchMatMul));
  }
}
