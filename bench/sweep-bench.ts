/**
 * `npm run bench:sweep`: `complab sweep` with 1 worker thread against 2 on the same grid, whole
 * process each (start-up included), alternated so a busy neighbour weighs on both alike.
 * Prints the speedup of 2 jobs over 1 (whole process, and the sweep's own time as it reports
 * it) and checks both wrote the same numbers. Not a test:
 * writes bench/results/sweep.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from '../src/engine/measure/latency.ts';

const root = join(import.meta.dirname, '..');
const MODEL = process.env.SWEEP_MODEL ?? 'lenet5';
const GRID = process.env.SWEEP_GRID ?? 'prune(fraction=0.5..0.95:0.05)';
const ROUNDS = Number(process.env.SWEEP_ROUNDS ?? 2);
const dir = mkdtempSync(join(tmpdir(), 'complab-sweep-bench-'));

/** Whole process, and the sweep's own time as it reports it (workers' start-up included). */
function sweep(jobs: number): { ms: number; sweepMs: number; numbers: string } {
  const out = join(dir, `jobs-${jobs}.jsonl`);
  const started = performance.now();
  const { stderr } = spawnSync(
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
    ],
    { cwd: root, encoding: 'utf8' },
  );
  const ms = performance.now() - started;
  const took = /runs on \d+ workers took ([\d.]+) s/.exec(stderr);
  if (!took) throw new Error(`complab sweep failed: ${stderr.slice(-500)}`);
  const sweepMs = Number(took[1]) * 1000;
  const numbers = readFileSync(out, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => {
      const r = JSON.parse(l) as { correct: number; sizeBytes: number };
      return `${r.correct}/${r.sizeBytes}`;
    })
    .join(' ');
  return { ms, sweepMs, numbers };
}

const times: Record<1 | 2, number[]> = { 1: [], 2: [] };
const sweepTimes: Record<1 | 2, number[]> = { 1: [], 2: [] };
let reference: string | undefined;
for (let round = 0; round < ROUNDS; round++) {
  for (const jobs of [1, 2] as const) {
    const { ms, sweepMs, numbers } = sweep(jobs);
    sweepTimes[jobs].push(sweepMs);
    reference ??= numbers;
    if (numbers !== reference) throw new Error(`--jobs ${jobs} gave other numbers: ${numbers}`);
    times[jobs].push(ms);
  }
}
const one = median(times[1]);
const two = median(times[2]);
const sweepOne = median(sweepTimes[1]);
const sweepTwo = median(sweepTimes[2]);
const points = reference!.split(' ').length;
const secs = (list: number[]) => list.map((t) => (t / 1000).toFixed(1)).join(', ');
console.log(`\ncomplab sweep --model ${MODEL} --grid '${GRID}' (${points} runs), ${ROUNDS} rounds`);
console.log('           whole process                 the sweep (workers started, all runs)');
for (const jobs of [1, 2] as const) {
  const whole = median(times[jobs]);
  const own = median(sweepTimes[jobs]);
  console.log(
    `--jobs ${jobs}  ${(whole / 1000).toFixed(1).padStart(6)} s (${secs(times[jobs])})   ${(own / 1000).toFixed(1).padStart(6)} s (${secs(sweepTimes[jobs])})`,
  );
}
console.log(
  `speedup of 2 jobs over 1: ${(one / two).toFixed(2)}x whole process, ${(sweepOne / sweepTwo).toFixed(2)}x the sweep; same numbers in both: yes`,
);
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(
  join(root, 'bench', 'results', 'sweep.json'),
  JSON.stringify(
    {
      model: MODEL,
      grid: GRID,
      points,
      jobs1Ms: times[1],
      jobs2Ms: times[2],
      jobs1SweepMs: sweepTimes[1],
      jobs2SweepMs: sweepTimes[2],
      speedup: one / two,
      sweepSpeedup: sweepOne / sweepTwo,
    },
    null,
    2,
  ),
);
