// Bundles a TypeScript entry for Node into one ES module with esbuild (Vite's and tsx's own
// bundler), inlining `?raw` imports (the .wgsl shaders) as strings, as Vite does in the page.
// The `webgpu` package's native addon stays external (prepare.sh ships it beside the bundle).
// usage: npx tsx scripts/bundle-node.ts ENTRY.ts OUT.mjs
import { build } from 'esbuild';
import { rawTextPlugin } from './raw-text-plugin.ts';

const [entry, outfile] = process.argv.slice(2);
if (!entry || !outfile) throw new Error('usage: npx tsx scripts/bundle-node.ts ENTRY.ts OUT.mjs');

await build({
  entryPoints: [entry],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile,
  external: ['*.node'],
  plugins: [rawTextPlugin],
  // No createRequire banner here: ../shared/gpu/prepare.sh bundles this output again and adds it.
  logLevel: 'warning',
});
console.log(`bundled ${entry} into ${outfile}`);
