/**
 * `npm run bench:cli`: how long `complab eval` takes from the shell (process start, tfjs and
 * wasm start-up, model and data load, one lenet5 recipe on 2,000 digits), and how long a recipe
 * change takes inside an already warm engine (what the page's worker pays per slider move).
 * Not a test: it prints figures and writes bench/results/cli.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Lab } from '../src/engine/lab.ts';
import { median } from '../src/engine/measure/latency.ts';
import { fileAssetReader } from '../src/engine/node/assets.ts';
import { useNodeBackend, type NodeBackendName } from '../src/engine/node/backend.ts';
import { parseRecipe } from '../src/engine/recipe/share.ts';

const root = join(import.meta.dirname, '..');
const RECIPE = 'v=1&model=lenet5&seed=1&steps=prune(fraction=0.9)';
const CLI_RUNS = 3;
const WARM_RUNS = 5;

function timeCli(backend: NodeBackendName): number[] {
  const times: number[] = [];
  for (let i = 0; i < CLI_RUNS; i++) {
    const started = performance.now();
    execFileSync(
      'node',
      ['bin/complab.mjs', 'eval', '--recipe', RECIPE, '--backend', backend, '--json'],
      { cwd: root },
    );
    times.push(performance.now() - started);
  }
  return times;
}

async function timeWarmEngine(backend: NodeBackendName): Promise<number[]> {
  await useNodeBackend(backend);
  const lab = new Lab({ read: fileAssetReader() });
  await lab.run(parseRecipe('model=lenet5')); // load, baseline, warm-up
  const times: number[] = [];
  for (let i = 0; i < WARM_RUNS; i++) {
    const fraction = 0.5 + i * 0.1;
    const started = performance.now();
    await lab.run(parseRecipe(`model=lenet5&steps=prune(fraction=${fraction.toFixed(2)})`));
    times.push(performance.now() - started);
  }
  await lab.dispose();
  return times;
}

const results = {
  recipe: RECIPE,
  cliWasmMs: timeCli('wasm'),
  cliCpuMs: timeCli('cpu'),
  warmWasmMs: await timeWarmEngine('wasm'),
  warmCpuMs: await timeWarmEngine('cpu'),
};
const row = (name: string, times: number[]) =>
  `${name.padEnd(44)} ${median(times).toFixed(0).padStart(7)} ms   (runs: ${times.map((t) => t.toFixed(0)).join(', ')})`;
console.log(`\ncomplab eval, lenet5, 2,000 test digits, recipe ${RECIPE}`);
console.log(row('complab eval --backend wasm (whole process)', results.cliWasmMs));
console.log(row('complab eval --backend cpu (whole process)', results.cliCpuMs));
console.log(row('recipe change, warm engine, wasm', results.warmWasmMs));
console.log(row('recipe change, warm engine, cpu', results.warmCpuMs));
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, 'bench', 'results', 'cli.json'), `${JSON.stringify(results, null, 2)}\n`);
