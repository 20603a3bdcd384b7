import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

/**
 * The built page's Content-Security-Policy: scripts only from this origin and never inline or
 * eval'd; WebAssembly may be compiled ('wasm-unsafe-eval': tfjs-wasm and the lab's own WASM
 * kernels), workers only from this origin; data, models and wasm binaries are fetched from this
 * origin. Styles come from the built stylesheet (React sets style properties through the CSSOM,
 * which style-src does not govern). Canvases are read back as images of this page only.
 */
// 'blob:' in script-src and worker-src: tfjs-wasm's threaded build starts its pthread workers
// from Blob URLs of its own code. Only a script already running in this origin can mint a
// blob: URL of this origin, so it admits no code from elsewhere.
const CSP_DIRECTIVES: Record<string, string> = {
  'default-src': "'self'",
  'script-src': "'self' 'wasm-unsafe-eval' blob:",
  'worker-src': "'self' blob:",
  'connect-src': "'self'",
  'img-src': "'self' data: blob:",
  'style-src': "'self'",
  'font-src': "'self'",
  'object-src': "'none'",
  'base-uri': "'self'",
  'form-action': "'none'",
};
const policy = (directives: Record<string, string>) =>
  Object.entries(directives)
    .map(([name, value]) => `${name} ${value}`)
    .join('; ');

/** What the built index.html carries in a <meta> tag (any static host serves it as is). */
export const CSP_META = policy(CSP_DIRECTIVES);
/**
 * What `vite preview` sends as a header on every response, the worker's script included (a
 * worker's policy is the one its own script arrives with; the page's <meta> does not reach it).
 * A header can also forbid framing, which a <meta> policy cannot.
 */
export const CSP_HEADER = policy({ ...CSP_DIRECTIVES, 'frame-ancestors': "'none'" });

/**
 * Puts the policy into the built page only. The dev server cannot run under it: the React
 * plugin's Fast Refresh preamble is an inline script and Vite injects CSS as <style> elements.
 */
function contentSecurityPolicy(): Plugin {
  const charset = '<meta charset="UTF-8" />';
  return {
    name: 'complab-content-security-policy',
    apply: 'build',
    transformIndexHtml(html) {
      // Right after the charset (which must come first), before any script or stylesheet.
      if (!html.includes(charset)) throw new Error(`index.html lost its ${charset}`);
      const meta = `<meta http-equiv="Content-Security-Policy" content="${CSP_META}" />`;
      return html.replace(charset, `${charset}\n    ${meta}`);
    },
  };
}

/**
 * tfjs-backend-wasm starts its threaded build's pthread workers from the text of the module's
 * factory function (`factory.toString()` in a Blob), so that function must not read variables
 * of the scope around it. It reads one, `_scriptDir`, which is undefined in a worker anyway;
 * minification renames it, and every pthread then dies with "e is not defined". Declaring it
 * inside the function keeps the function self-contained, minified or not.
 */
function selfContainedThreadedWasmFactory(): Plugin {
  const factoryStart =
    'function(WasmBackendModuleThreadedSimd) {\n  WasmBackendModuleThreadedSimd = WasmBackendModuleThreadedSimd || {};\n';
  return {
    name: 'complab-self-contained-threaded-wasm-factory',
    transform(code, id) {
      if (!id.includes('tfjs-backend-wasm-threaded-simd.js')) return null;
      if (!code.includes(factoryStart)) {
        throw new Error('tfjs-backend-wasm-threaded-simd.js changed: review the threads plugin');
      }
      return { code: code.replace(factoryStart, `${factoryStart}var _scriptDir;\n`), map: null };
    },
  };
}

/**
 * Cross-origin isolation (COOP + COEP) gives the page SharedArrayBuffer, which tfjs-wasm's
 * threaded build needs; without it the lab runs the single-threaded SIMD build, with the same
 * results (src/engine/backends.ts). A static host must send these two headers to get threads.
 * COMPLAB_NO_ISOLATION=1 leaves them out, to serve the single-threaded fallback (bench:threads).
 */
export const ISOLATION_HEADERS: Record<string, string> = process.env.COMPLAB_NO_ISOLATION
  ? {}
  : { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  // Relative URLs throughout, so dist/ works from any static host and under any sub-path
  // (/, /lab/, a Pages site's /<repo>/); COMPLAB_BASE sets an absolute one where wanted.
  base: process.env.COMPLAB_BASE ?? './',
  plugins: [react(), contentSecurityPolicy(), selfContainedThreadedWasmFactory()],
  // Missing files must be real 404s (a clear "HTTP 404" in the page), not index.html.
  appType: 'mpa',
  // The engine (and tfjs) is bundled into the worker, whose build has its own plugins.
  worker: { format: 'es', plugins: () => [selfContainedThreadedWasmFactory()] },
  server: { port: 5173, strictPort: false, headers: ISOLATION_HEADERS },
  preview: {
    port: 4173,
    strictPort: false,
    headers: { 'Content-Security-Policy': CSP_HEADER, ...ISOLATION_HEADERS },
  },
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
