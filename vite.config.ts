import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

/**
 * The built page's Content-Security-Policy: scripts only from this origin and never inline or
 * eval'd; WebAssembly may be compiled ('wasm-unsafe-eval': tfjs-wasm and the lab's own WASM
 * kernels), workers only from this origin; data, models and wasm binaries are fetched from this
 * origin. Styles come from the built stylesheet (React sets style properties through the CSSOM,
 * which style-src does not govern). Canvases are read back as images of this page only.
 */
const CSP_DIRECTIVES: Record<string, string> = {
  'default-src': "'self'",
  'script-src': "'self' 'wasm-unsafe-eval'",
  'worker-src': "'self'",
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

// No COOP/COEP headers on purpose: they would enable the threaded tfjs-wasm build, which hangs
// here. The lab uses the single-threaded SIMD build (see src/engine/browser/wasm-paths.ts).
export default defineConfig({
  plugins: [react(), contentSecurityPolicy()],
  // Missing files must be real 404s (a clear "HTTP 404" in the page), not index.html.
  appType: 'mpa',
  worker: { format: 'es' },
  server: { port: 5173, strictPort: false },
  preview: {
    port: 4173,
    strictPort: false,
    headers: { 'Content-Security-Policy': CSP_HEADER },
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
