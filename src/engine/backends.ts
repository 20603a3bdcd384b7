/**
 * The tfjs backends the lab knows, in the order "auto" tries them, and the calls that
 * activate one. Importing this module registers all four backends with tfjs.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgpu';
import { registerWasmGradientKernels } from '../kernels/wasm-gradients.ts';

import type { BackendName } from './backend-names.ts';

export * from './backend-names.ts';

/**
 * Activates `name` and returns whether tfjs accepted it. The wasm backend also gets the
 * gradient kernels tfjs-wasm 4.22 lacks, so training works there.
 */
export async function activateBackend(name: BackendName): Promise<boolean> {
  if (name === 'wasm') {
    // The threaded wasm build hangs here; the SIMD single-thread build is what we ship.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  }
  let ok = false;
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } catch {
    ok = false;
  }
  if (ok && name === 'wasm') registerWasmGradientKernels();
  return ok && tf.getBackend() === name;
}
