/** Helpers for the kernel tests: seeded random tensors, comparisons, tfjs references on cpu. */
import * as tf from '@tensorflow/tfjs';
import { mismatches, relativeError } from './compare.ts';
import { randomValues, seededRandom } from './random-values.ts';

export { mismatches, randomValues, relativeError, seededRandom };

/** Runs `body` on tfjs's cpu backend, then goes back to the backend that was active. */
export async function onCpu<T>(body: () => T): Promise<T> {
  const previous = tf.getBackend() as string | undefined;
  await tf.setBackend('cpu');
  try {
    return body();
  } finally {
    if (previous) await tf.setBackend(previous);
  }
}

export interface ConvCase {
  n: number;
  h: number;
  w: number;
  c: number;
  k: number;
  kh: number;
  kw: number;
  strides: [number, number];
  padding: 'same' | 'valid';
  dilation?: [number, number];
}

/** tf.conv2d + bias on the cpu backend: the independent reference for float kernels. */
export function cpuConv2d(
  x: Float32Array,
  c: ConvCase,
  weights: Float32Array,
  bias?: Float32Array,
): Promise<Float32Array> {
  return onCpu(() =>
    tf.tidy(() => {
      let y: tf.Tensor = tf.conv2d(
        tf.tensor4d(x, [c.n, c.h, c.w, c.c]),
        tf.tensor4d(weights, [c.kh, c.kw, c.c, c.k]),
        c.strides,
        c.padding,
        'NHWC',
        c.dilation ?? [1, 1],
      );
      if (bias) y = tf.add(y, tf.tensor1d(bias));
      return y.dataSync() as Float32Array;
    }),
  );
}

/** Starts tfjs's wasm backend in Node (binaries from the installed package). */
export async function useWasmBackend(): Promise<void> {
  const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
  const { createRequire } = await import('node:module');
  const { dirname, join } = await import('node:path');
  const pkg = dirname(
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json'),
  );
  setWasmPaths(`${join(pkg, 'dist')}/`);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not start');
}
