/**
 * Tells tfjs-backend-wasm where Vite put its .wasm binaries. Must run before the wasm backend
 * first initialises. The threaded SIMD build runs where the page is cross-origin isolated
 * (see activateBackend), the single-threaded SIMD build elsewhere.
 */
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs';
import plainWasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import simdWasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import threadedSimdWasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

let configured = false;

export function configureWasmPaths(): void {
  if (configured) return;
  configured = true;
  setWasmPaths({
    'tfjs-backend-wasm.wasm': plainWasmUrl,
    'tfjs-backend-wasm-simd.wasm': simdWasmUrl,
    'tfjs-backend-wasm-threaded-simd.wasm': threadedSimdWasmUrl,
  });
}

/**
 * The WebGL backend refuses software renderers unless told otherwise. "auto" already skips
 * them; someone who picks WebGL explicitly should get it even on SwiftShader.
 */
export function allowSoftwareWebGl(): void {
  tf.env().set('SOFTWARE_WEBGL_ENABLED', true);
}
