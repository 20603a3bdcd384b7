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
import { Worker } from 'node:worker_threads';
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

/**
 * The control: the same plain CPU work in 1 thread, then in each of 2 threads at once. On two
 * free cores both take the same time; 2x as long means the machine had no second core to give.
 */
async function busyLoops(threads: number): Promise<number> {
  const started = performance.now();
  await Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise((resolve, reject) =>
          new Worker(new URL('./busy-loop-worker.mjs', import.meta.url))
            .on('message', resolve)
            .on('error', reject),
        ),
    ),
  );
  return performance.now() - started;
}

const headroom: number[] = [];
const times: Record<1 | 2, number[]> = { 1: [], 2: [] };
const sweepTimes: Record<1 | 2, number[]> = { 1: [], 2: [] };
let reference: string | undefined;
for (let round = 0; round < ROUNDS; round++) {
  // Free parallelism now: 2 threads' work in the time of one would be 2x.
  headroom.push((2 * (await busyLoops(1))) / (await busyLoops(2)));
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
console.log(
  `control, a plain busy loop in 2 threads against 1 (2.00x on two free cores): ${median(headroom).toFixed(2)}x (rounds: ${headroom.map((h) => h.toFixed(2)).join(', ')})`,
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
      busyLoopSpeedup: headroom,
    },
    null,
    2,
  ),
);
