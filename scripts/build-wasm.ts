/**
 * `npm run build:wasm`: assembles every WebAssembly text file under src/kernels (*.wat) with wabt
 * (a registry package, pure JavaScript: no C toolchain) and writes the binary beside it as a
 * TypeScript module, `<name>.wasm.ts`, exporting it as base64. The module loads the same way in
 * the page, the worker, Node, Vitest and bundles, with no loader configuration.
 *
 * The generated modules are committed; `npm run build:wasm -- --check` (and the unit test
 * src/kernels/wasm/generated.test.ts) fails when one no longer matches its .wat.
 */
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assembleWat, generatedModuleText } from './wasm-assemble.ts';

const root = join(fileURLToPath(import.meta.url), '..', '..');

function watFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return watFiles(path);
    return entry.name.endsWith('.wat') ? [path] : [];
  });
}

const check = process.argv.includes('--check');
let stale = 0;
for (const wat of watFiles(join(root, 'src', 'kernels'))) {
  const bytes = await assembleWat(basename(wat), readFileSync(wat, 'utf8'));
  const target = wat.replace(/\.wat$/, '.wasm.ts');
  const text = generatedModuleText(basename(wat), bytes);
  const name = relative(root, target);
  if (check) {
    const same = existsSync(target) && readFileSync(target, 'utf8') === text;
    if (!same) stale++;
    console.log(`${same ? 'up to date' : 'STALE'}  ${name}`);
  } else {
    writeFileSync(target, text);
    console.log(`wrote ${name} (${bytes.length} bytes of wasm)`);
  }
}
if (stale > 0) {
  console.error(`${stale} generated module(s) differ from their .wat: run npm run build:wasm`);
  process.exit(1);
}
