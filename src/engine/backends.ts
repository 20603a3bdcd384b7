/**
 * The tfjs backends the lab knows, in the order "auto" tries them, and the calls that
 * activate one. Importing this module registers all four backends with tfjs.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgpu';
import { registerWasmGradientKernels } from '../kernels/wasm-gradients.ts';

import type { BackendName } from './backend-names.ts';

export * from './backend-names.ts';

/** Whether the wasm thread count was chosen (it must be before the backend first starts). */
let threadsChosen = false;

/**
 * Threads the wasm backend computes with: one per logical core but one, at least one. The
 * remaining core is the page's: with a thread on every core, the worker's computation competed
 * with the page's own thread (rendering, the plot, input), and a latency measured meanwhile
 * changed with whatever the page was drawing.
 */
export function wasmThreadsFor(logicalCores: number): number {
  return Math.max(1, Math.floor(logicalCores) - 1);
}

/**
 * tfjs-wasm 4.22 sizes its thread pool as min(requested, navigator.hardwareConcurrency / 2),
 * assuming two hyperthreads per core, so a 2-core machine gets one thread. We ask for
 * wasmThreadsFor(logical cores), and for the duration of the backend's start (when its C++
 * reads the count) report twice the logical cores so that the halving does not cut it further.
 * Returns the undo. Runs only in a cross-origin isolated browser context (the page's worker),
 * the one place the threaded build runs.
 */
function chooseWasmThreads(): () => void {
  const scope = globalThis as { crossOriginIsolated?: boolean; navigator?: Navigator };
  const navigator = scope.navigator;
  if (threadsChosen || !scope.crossOriginIsolated || !navigator) return () => undefined;
  threadsChosen = true;
  const cores = Math.max(1, navigator.hardwareConcurrency || 1);
  setThreadsCount(wasmThreadsFor(cores));
  Object.defineProperty(navigator, 'hardwareConcurrency', { value: 2 * cores, configurable: true });
  return () => {
    delete (navigator as { hardwareConcurrency?: number }).hardwareConcurrency;
  };
}

/**
 * Activates `name` and returns whether tfjs accepted it. The wasm backend also gets the
 * gradient kernels tfjs-wasm 4.22 lacks, so training works there.
 */
export async function activateBackend(name: BackendName): Promise<boolean> {
  if (name === 'wasm') {
    // The threaded build needs SharedArrayBuffer, which only a cross-origin isolated page has
    // (without it tfjs would pick that build and hang). Node has no threads in tfjs-wasm 4.22.
    const scope = globalThis as { crossOriginIsolated?: boolean };
    if (!scope.crossOriginIsolated) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  }
  const restore = name === 'wasm' ? chooseWasmThreads() : () => undefined;
  let ok = false;
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } catch {
    ok = false;
  } finally {
    restore();
  }
  if (ok && name === 'wasm') registerWasmGradientKernels();
  return ok && tf.getBackend() === name;
}

/** How many threads the wasm backend computes with (1 without cross-origin isolation). */
export function wasmThreadCount(): number {
  return getThreadsCount();
}
