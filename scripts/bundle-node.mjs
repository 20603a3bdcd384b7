// Bundles a TypeScript entry for Node into one ES module with esbuild (Vite's and tsx's own
// bundler), inlining `?raw` imports (the .wgsl shaders) as strings, as Vite does in the page.
// The `webgpu` package's native addon stays external (prepare.sh ships it beside the bundle).
// usage: node scripts/bundle-node.mjs ENTRY.ts OUT.mjs
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { build } from 'esbuild';

const [entry, outfile] = process.argv.slice(2);
if (!entry || !outfile) throw new Error('usage: node scripts/bundle-node.mjs ENTRY.ts OUT.mjs');

const rawText = {
  name: 'raw-text',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (args) => ({
      path: resolve(dirname(args.importer), args.path.slice(0, -4)),
      namespace: 'raw-text',
    }));
    b.onLoad({ filter: /.*/, namespace: 'raw-text' }, async (args) => ({
      contents: await readFile(args.path, 'utf8'),
      loader: 'text',
    }));
  },
};

await build({
  entryPoints: [entry],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile,
  external: ['*.node'],
  plugins: [rawText],
  // No createRequire banner here: ../shared/gpu/prepare.sh bundles this output again and adds it.
  logLevel: 'warning',
});
console.log(`bundled ${entry} into ${outfile}`);
