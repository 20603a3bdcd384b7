// Lets Node (tsx scripts, benchmarks) import files as strings with Vite's `?raw` suffix, the way
// the page, the worker and Vitest already do: `import code from './kernel.wgsl?raw'`.
// Use: node --import ./scripts/raw-imports.mjs ... (or tsx --import ./scripts/raw-imports.mjs ...).
import { register } from 'node:module';

const hooks = `
import { readFile } from 'node:fs/promises';
export async function resolve(specifier, context, next) {
  if (specifier.endsWith('?raw')) {
    const url = new URL(specifier, context.parentURL);
    return { url: url.href, format: 'raw-text', shortCircuit: true };
  }
  return next(specifier, context);
}
export async function load(url, context, next) {
  if (url.endsWith('?raw')) {
    const text = await readFile(new URL(url.slice(0, -4)), 'utf8');
    return { format: 'module', source: 'export default ' + JSON.stringify(text) + ';', shortCircuit: true };
  }
  return next(url, context);
}
`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`, import.meta.url);
