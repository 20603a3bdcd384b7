/**
 * A faster BatchMatMul for tfjs-wasm when an operand is transposed. The built-in kernel sends
 * only untransposed products to XNNPACK; with transposeA or transposeB it falls back to a plain
 * loop ~5x slower, and the gradient of every dense layer asks for exactly those
 * (dx = dy * W^T, dW = x^T * dy). Transposing the operand first costs one cheap copy and puts
 * the product back on the fast path. Untransposed calls go to the built-in kernel unchanged.
 * The cpu backend's batchMatMul is the reference it is tested against.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { withKernelCalls } from './wasm-kernel-calls.ts';

function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, axis) => axis);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

/** Wraps `builtIn`, tfjs-wasm's own BatchMatMul, which does the actual products. */
export function transposeFirstBatchMatMulConfig(builtIn: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: tf.BatchMatMul,
    backendName: 'wasm',
    // The built-in kernel binds its wasm function in setupFunc, run when the backend starts.
    setupFunc: builtIn.setupFunc,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
      if (!transposeA && !transposeB) return builtIn.kernelFunc({ inputs, backend, attrs });
      return withKernelCalls(backend as BackendWasm, (calls) => {
        const aPlain = transposeA ? calls.transpose(a, swapLastTwo(a.shape.length)) : a;
        const bPlain = transposeB ? calls.transpose(b, swapLastTwo(b.shape.length)) : b;
        return calls.call(
          builtIn,
          { a: aPlain, b: bPlain },
          { ...attrs, transposeA: false, transposeB: false },
        );
      });
    },
  };
}
