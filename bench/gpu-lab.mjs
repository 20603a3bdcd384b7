/**
 * The lab's engine on a real GPU: Lab.run on tfjs's webgpu backend through Dawn (the `webgpu`
 * npm package) in Node, beside wasm in the same process. Checks that accuracy agrees across
 * backends (within one digit of 2,000) and times a recipe change on each. Run on a GPU machine
 * by the recipe in ../shared/gpu/README.md:
 *   npm i --no-save webgpu && bash ../shared/gpu/prepare.sh .gpu bench/gpu-lab.mjs
 *   cp node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm .gpu/   # then, there: bash .gpu/run.sh
 * Prints a table and writes $OUT/gpu-lab.json when OUT is set.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Bundled for the GPU machine, emscripten's wasm loader looks for its files via __dirname.
globalThis.__dirname ??= dirname(fileURLToPath(import.meta.url));

// WebGPU must be visible before tfjs's webgpu backend is imported: it checks at import time.
const { create, globals } = await import('webgpu');
Object.assign(globalThis, globals);
globalThis.navigator = { gpu: create([]), userAgent: 'node' };

const tf = await import('@tensorflow/tfjs');
const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
const { activateBackend } = await import('../src/engine/backends.ts');
const { Lab } = await import('../src/engine/lab.ts');
const { fileAssetReader } = await import('../src/engine/node/assets.ts');
const { parseRecipe } = await import('../src/engine/recipe/share.ts');
const { median } = await import('../src/engine/measure/latency.ts');

setWasmPaths(`${dirname(fileURLToPath(import.meta.url))}/`);
const lab = new Lab({ read: fileAssetReader(join(process.cwd(), 'public')) });
const adapter = await globalThis.navigator.gpu.requestAdapter();
const gpuName = adapter?.info
  ? `${adapter.info.vendor} ${adapter.info.architecture} ${adapter.info.description}`
  : 'none';

// GPU_LAB_MODELS / GPU_LAB_FRACTIONS narrow the run (a software adapter is far too slow for all).
const MODELS = (process.env.GPU_LAB_MODELS ?? 'lenet5,lenet300').split(',');
const FRACTIONS = (process.env.GPU_LAB_FRACTIONS ?? '0,0.5,0.9,0.97').split(',').map(Number);
const RECIPES = MODELS.flatMap((model) =>
  FRACTIONS.map((f) => `v=1&model=${model}&seed=1&steps=${f ? `prune(fraction=${f})` : ''}`),
);
const rows = [];
for (const backend of ['wasm', 'webgpu']) {
  if (!(await activateBackend(backend))) throw new Error(`${backend} did not start`);
  for (const text of RECIPES) {
    const result = await lab.run(parseRecipe(text));
    // A warm recipe change: the same recipe again, timed three times.
    const times = [];
    for (let i = 0; i < 3; i++) times.push((await lab.run(parseRecipe(text))).elapsedMs);
    rows.push({
      backend,
      recipe: result.recipeText,
      correct: result.correct,
      sizeBytes: result.sizeBytes,
      latencyMs: result.latencyMs,
      runMs: median(times),
      tensorsAfter: tf.memory().numTensors,
    });
  }
}
console.log(`GPU adapter: ${gpuName}`);
console.log(
  'recipe'.padEnd(58),
  'wasm ok',
  'gpu ok',
  'diff',
  'size same',
  'run ms wasm',
  'run ms gpu',
  'lat64 wasm',
  'lat64 gpu',
);
for (const i of RECIPES.keys()) {
  const [w, g] = ['wasm', 'webgpu'].map((b) => rows.filter((r) => r.backend === b)[i]);
  console.log(
    w.recipe.padEnd(58),
    String(w.correct).padStart(7),
    String(g.correct).padStart(6),
    String(g.correct - w.correct).padStart(4),
    String(w.sizeBytes === g.sizeBytes).padStart(9),
    w.runMs.toFixed(1).padStart(11),
    g.runMs.toFixed(1).padStart(10),
    w.latencyMs.toFixed(2).padStart(10),
    g.latencyMs.toFixed(2).padStart(9),
  );
}
if (process.env.OUT)
  writeFileSync(join(process.env.OUT, 'gpu-lab.json'), JSON.stringify({ gpuName, rows }, null, 2));
