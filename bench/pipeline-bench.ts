/**
 * `npm run bench:pipeline`: the figures of the pruning family, measured on this machine.
 * - The paper reproductions: `complab reproduce <preset> --model <id> --json` as a user runs it
 *   (whole process, wall time), with accuracy, weights kept, size and latency against the
 *   baseline measured in alternation in the same run.
 * - A control moved on a step after a cached fine-tuned prefix: time to the new result in a warm
 *   engine on wasm (the page's worker runs the same code; bench:ui times it in the page).
 * Not a test: prints a table and writes bench/results/pipeline.json.
 * PIPELINE_RUNS=lenet300:deep-compression-pruning,... narrows the reproductions.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Lab } from '../src/engine/lab.ts';
import { median } from '../src/engine/measure/latency.ts';
import { fileAssetReader } from '../src/engine/node/assets.ts';
import { useNodeBackend } from '../src/engine/node/backend.ts';
import { parseRecipe } from '../src/engine/recipe/share.ts';

const root = join(import.meta.dirname, '..');
const DEFAULT_RUNS = [
  'lenet300:deep-compression-pruning',
  'lenet5:deep-compression-pruning',
  'lenet5:ssl',
  'lenet5:dsd',
];
const runs = (process.env.PIPELINE_RUNS?.split(',') ?? DEFAULT_RUNS).map((r) => r.split(':'));

interface Reproduction {
  model: string;
  preset: string;
  wallMs: number;
  ours: Record<string, unknown> & {
    accuracy: number;
    baselineAccuracy: number;
    density: number;
    compressionRatio: number;
    latencyMs: number;
    baselineLatencyMs: number;
    params: number;
    baselineParams: number;
    channels?: Record<string, number>;
    layers: Record<string, { density: number }>;
    steps: { technique: string; accuracy: number }[];
  };
  paper: Record<string, unknown>;
}

async function reproduce(model: string, preset: string): Promise<Reproduction> {
  const started = performance.now();
  const { stdout } = await promisify(execFile)(
    'node',
    ['bin/complab.mjs', 'reproduce', preset, '--model', model, '--json', '--quiet'],
    { cwd: root, maxBuffer: 1 << 24 },
  );
  const { ours, paper } = JSON.parse(stdout);
  return { model, preset, wallMs: performance.now() - started, ours, paper };
}

/** Moves the last step's control after a fine-tuned prefix, in a warm engine. */
async function cachedControlMoves(): Promise<{
  prefix: string;
  firstMs: number;
  movesMs: number[];
}> {
  await useNodeBackend('wasm');
  const lab = new Lab({ read: fileAssetReader() });
  const prefix = 'model=lenet5&steps=prune(fraction=0.8);finetune(epochs=1)';
  let started = performance.now();
  await lab.run(parseRecipe(`${prefix};prune(fraction=0.85)`));
  const firstMs = performance.now() - started;
  const movesMs: number[] = [];
  for (const fraction of [0.86, 0.87, 0.88, 0.89, 0.9]) {
    started = performance.now();
    const result = await lab.run(parseRecipe(`${prefix};prune(fraction=${fraction})`));
    movesMs.push(performance.now() - started);
    if (!result.steps[1].cached) throw new Error('the fine-tuned prefix was not reused');
  }
  await lab.dispose();
  return { prefix, firstMs, movesMs };
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const reproductions: Reproduction[] = [];
for (const [model, preset] of runs) {
  process.stdout.write(`complab reproduce ${preset} --model ${model} …\n`);
  const r = await reproduce(model, preset);
  reproductions.push(r);
  const o = r.ours;
  console.log(
    `  accuracy ${pct(o.accuracy)} (baseline ${pct(o.baselineAccuracy)}, drop ${(100 * (o.baselineAccuracy - o.accuracy)).toFixed(2)} points); ` +
      `weights kept ${pct(o.density)}; ${o.compressionRatio.toFixed(1)}x smaller; params ${o.params} of ${o.baselineParams}; ` +
      `latency ${o.latencyMs.toFixed(2)} ms vs ${o.baselineLatencyMs.toFixed(2)} ms (${(o.baselineLatencyMs / o.latencyMs).toFixed(2)}x); ` +
      `${(r.wallMs / 1000).toFixed(0)} s`,
  );
  console.log(
    `  per layer kept: ${Object.entries(o.layers)
      .map(([k, v]) => `${k} ${pct(v.density)}`)
      .join(', ')}`,
  );
  if (o.channels) console.log(`  channels after: ${JSON.stringify(o.channels)}`);
  console.log(
    `  after each step: ${o.steps.map((s) => `${s.technique} ${pct(s.accuracy)}`).join(' -> ')}`,
  );
}
const cache = await cachedControlMoves();
console.log(
  `\ncontrol moved after a cached fine-tuned prefix (lenet5, wasm, warm engine): median ${median(cache.movesMs).toFixed(0)} ms ` +
    `(moves: ${cache.movesMs.map((t) => t.toFixed(0)).join(', ')}; the first run, fine-tuning included: ${(cache.firstMs / 1000).toFixed(1)} s)`,
);
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(
  join(root, 'bench', 'results', 'pipeline.json'),
  `${JSON.stringify({ reproductions, cache }, null, 2)}\n`,
);
