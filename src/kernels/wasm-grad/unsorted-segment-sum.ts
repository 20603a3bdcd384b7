/**
 * UnsortedSegmentSum for tfjs-wasm, which 4.22 lacks. It is the gradient of Gather, so without
 * it nothing gathered can train on wasm: Deep Compression's centroid fine-tuning (a codebook
 * gathered by fixed indices, whose gradient is summed per cluster) needs it. One sequential pass
 * in JS over the wasm heap: out[segment[i]] += x[i] row by row; ids outside [0, numSegments)
 * are dropped, as on the cpu backend.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

const unsortedSegmentSum: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as BackendWasm;
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = (attrs as unknown as { numSegments: number }).numSegments;
  const rows = segmentIds.shape.reduce((a, b) => a * b, 1);
  const rowShape = x.shape.slice(segmentIds.shape.length);
  const rowSize = rowShape.reduce((a, b) => a * b, 1);
  const out = wasm.makeOutput([numSegments, ...rowShape], x.dtype);
  // Heap views are taken after the allocation above (which may grow and move the heap).
  const sums = wasm.typedArrayFromHeap(out) as Float32Array | Int32Array;
  const values = wasm.typedArrayFromHeap(x) as Float32Array | Int32Array;
  const ids = wasm.typedArrayFromHeap(segmentIds) as Int32Array;
  sums.fill(0);
  for (let i = 0; i < rows; i++) {
    const segment = ids[i];
    if (segment < 0 || segment >= numSegments) continue;
    const from = i * rowSize;
    const to = segment * rowSize;
    for (let k = 0; k < rowSize; k++) sums[to + k] += values[from + k];
  }
  return out;
};

export const unsortedSegmentSumConfig: tf.KernelConfig = {
  kernelName: tf.UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum,
};
