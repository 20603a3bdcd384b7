/**
 * Tells tfjs-backend-wasm where Vite put its .wasm binaries. Must run before the wasm backend
 * first initialises. Only the single-threaded builds matter: activateBackend turns threads off,
 * since the threaded build needs cross-origin isolation (COOP/COEP) and hangs here.
 */
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs';
import plainWasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import simdWasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';

let configured = false;

export function configureWasmPaths(): void {
  if (configured) return;
  configured = true;
  setWasmPaths({
    'tfjs-backend-wasm.wasm': plainWasmUrl,
    'tfjs-backend-wasm-simd.wasm': simdWasmUrl,
    // Never used (multithreading is off), mapped so a stray lookup cannot fetch a wrong path.
    'tfjs-backend-wasm-threaded-simd.wasm': simdWasmUrl,
  });
}

/**
 * The WebGL backend refuses software renderers unless told otherwise. "auto" already skips
 * them; someone who picks WebGL explicitly should get it even on SwiftShader.
 */
export function allowSoftwareWebGl(): void {
  tf.env().set('SOFTWARE_WEBGL_ENABLED', true);
}
