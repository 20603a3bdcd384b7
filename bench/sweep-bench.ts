/**
 * `npm run bench:sweep`: `complab sweep` with 1 worker thread against 2 on the same grid, whole
 * process each (start-up included), alternated so a busy neighbour weighs on both alike.
 * Prints the speedup of 2 jobs over 1 and checks both wrote the same numbers. Not a test:
 * writes bench/results/sweep.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from '../src/engine/measure/latency.ts';

const root = join(import.meta.dirname, '..');
const MODEL = process.env.SWEEP_MODEL ?? 'lenet5';
const GRID = process.env.SWEEP_GRID ?? 'prune(fraction=0.5..0.95:0.05)';
const ROUNDS = Number(process.env.SWEEP_ROUNDS ?? 2);
const dir = mkdtempSync(join(tmpdir(), 'complab-sweep-bench-'));

function sweep(jobs: number): { ms: number; numbers: string } {
  const out = join(dir, `jobs-${jobs}.jsonl`);
  const started = performance.now();
  execFileSync(
    'node',
    [
      'bin/complab.mjs',
      'sweep',
      '--model',
      MODEL,
      '--grid',
      GRID,
      '--jobs',
      String(jobs),
      '--out',
      out,
      '--quiet',
    ],
    { cwd: root },
  );
  const ms = performance.now() - started;
  const numbers = readFileSync(out, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => {
      const r = JSON.parse(l) as { correct: number; sizeBytes: number };
      return `${r.correct}/${r.sizeBytes}`;
    })
    .join(' ');
  return { ms, numbers };
}

const times: Record<1 | 2, number[]> = { 1: [], 2: [] };
let reference: string | undefined;
for (let round = 0; round < ROUNDS; round++) {
  for (const jobs of [1, 2] as const) {
    const { ms, numbers } = sweep(jobs);
    reference ??= numbers;
    if (numbers !== reference) throw new Error(`--jobs ${jobs} gave other numbers: ${numbers}`);
    times[jobs].push(ms);
  }
}
const one = median(times[1]);
const two = median(times[2]);
const points = reference!.split(' ').length;
console.log(`\ncomplab sweep --model ${MODEL} --grid '${GRID}' (${points} runs), whole process`);
console.log(
  `--jobs 1  ${(one / 1000).toFixed(1).padStart(6)} s   (runs: ${times[1].map((t) => (t / 1000).toFixed(1)).join(', ')})`,
);
console.log(
  `--jobs 2  ${(two / 1000).toFixed(1).padStart(6)} s   (runs: ${times[2].map((t) => (t / 1000).toFixed(1)).join(', ')})`,
);
console.log(`speedup of 2 jobs over 1: ${(one / two).toFixed(2)}x; same numbers in both: yes`);
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(
  join(root, 'bench', 'results', 'sweep.json'),
  JSON.stringify(
    { model: MODEL, grid: GRID, points, jobs1Ms: times[1], jobs2Ms: times[2], speedup: one / two },
    null,
    2,
  ),
);
