import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// No COOP/COEP headers on purpose: they would enable the threaded tfjs-wasm build, which hangs
// here. The lab uses the single-threaded SIMD build (see src/engine/browser/wasm-paths.ts).
export default defineConfig({
  plugins: [react()],
  // Missing files must be real 404s (a clear "HTTP 404" in the page), not index.html.
  appType: 'mpa',
  worker: { format: 'es' },
  server: { port: 5173, strictPort: false },
  preview: { port: 4173, strictPort: false },
  optimizeDeps: {
    // The engine worker imports these; pre-bundling them up front avoids a mid-session reload
    // when the dev server discovers them on the worker's first import.
    include: [
      '@tensorflow/tfjs',
      '@tensorflow/tfjs-backend-wasm',
      '@tensorflow/tfjs-backend-webgpu',
      'comlink',
      'zod',
      '@noble/hashes/sha2.js',
      '@noble/hashes/utils.js',
    ],
  },
  build: {
    target: 'es2022',
    // tfjs with all four backends is large by nature; it lives in the worker chunk.
    chunkSizeWarningLimit: 4096,
  },
});
