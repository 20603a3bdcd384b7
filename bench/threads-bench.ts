/**
 * `npm run bench:threads`: what WASM threads buy in the page. The app is built once and served
 * twice by `vite preview`: cross-origin isolated (COOP/COEP: the threaded SIMD build, one thread
 * per logical core) and without those headers (COMPLAB_NO_ISOLATION=1: the single-threaded SIMD
 * build, the fallback of a static host that cannot send them). On each it times, in headless
 * Chromium, a lenet5 evaluation of the 2,000 test digits (a pruning step) and a fine-tuning step
 * (prune, then 60 batches of 64 digits), taking the engine's own elapsed time of each run, and
 * checks that both builds give the same correct count, bytes and training loss. Not a test: it
 * prints a table and writes bench/results/threads.json.
 *
 *   BENCH_REPS=5 npm run bench:threads      BENCH_SKIP_BUILD=1 npm run bench:threads
 */
import { chromium, type Page } from '@playwright/test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, preview } from 'vite';
import { formatRecipe, parseRecipe } from '../src/engine/recipe/share.ts';

const root = join(import.meta.dirname, '..');
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const REPS = Number(process.env.BENCH_REPS ?? 5);
const canonical = (steps: string) =>
  formatRecipe(parseRecipe(`v=2&model=lenet5&seed=1&steps=${steps}`));
const EVAL_FRACTIONS = [0.5, 0.6, 0.7, 0.8, 0.9, 0.55, 0.65, 0.75, 0.85];
const TRAIN_STEPS = (fraction: number) =>
  `prune(fraction=${fraction});finetune(epochs=1,batches=60)`;

interface RunFigures {
  engineMs: number;
  correct: number;
  sizeBytes: number;
  loss?: number;
}

interface BuildReport {
  build: string;
  isolated: boolean;
  status: string;
  evaluation: RunFigures[];
  training: RunFigures[];
  evaluationMedianMs: number;
  trainingMedianMs: number;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Opens `recipeText` by its hash and returns the engine's figures once the store has it. */
async function runRecipe(page: Page, recipeText: string): Promise<RunFigures> {
  await page.evaluate(`window.location.hash = ${JSON.stringify(`${recipeText}&backend=wasm`)}`);
  const figures = await page.waitForFunction(
    `(() => {
      const state = window.__complab && window.__complab.getState();
      if (state && state.runStatus.phase === 'error') throw new Error(state.runStatus.message);
      const last = state && state.runs.at(-1);
      if (!last || last.recipeText !== ${JSON.stringify(recipeText)}) return null;
      const r = last.result;
      const tuned = r.steps.find((s) => s.report && s.report.training);
      return {
        engineMs: r.elapsedMs,
        correct: r.correct,
        sizeBytes: r.sizeBytes,
        loss: tuned ? tuned.report.training.at(-1).loss : undefined,
      };
    })()`,
    undefined,
    { timeout: 10 * 60_000, polling: 50 },
  );
  return (await figures.jsonValue()) as RunFigures;
}

async function benchBuild(url: string, label: string): Promise<BuildReport> {
  const browser = await chromium.launch({ executablePath });
  try {
    // The probes below are evaluated from strings, which the page's CSP forbids; the app's own
    // scripts still run under it.
    const page = await browser.newPage({ bypassCSP: true });
    const baseline = canonical('');
    await page.goto(`${url}?test#${baseline}&backend=wasm`);
    await runRecipe(page, baseline).catch(() => undefined); // worker start, model load
    const isolated = (await page.evaluate('crossOriginIsolated')) as boolean;
    const status = ((await page.getByTestId('backend-status').textContent()) ?? '').trim();
    const evaluation: RunFigures[] = [];
    for (const fraction of EVAL_FRACTIONS.slice(0, REPS)) {
      evaluation.push(await runRecipe(page, canonical(`prune(fraction=${fraction})`)));
      process.stdout.write(
        `  ${label} evaluate prune ${fraction}: ${evaluation.at(-1)!.engineMs.toFixed(0)} ms\n`,
      );
    }
    const training: RunFigures[] = [];
    for (const fraction of EVAL_FRACTIONS.slice(0, Math.max(2, Math.ceil(REPS / 2)))) {
      training.push(await runRecipe(page, canonical(TRAIN_STEPS(fraction))));
      process.stdout.write(
        `  ${label} fine-tune after prune ${fraction}: ${training.at(-1)!.engineMs.toFixed(0)} ms\n`,
      );
    }
    return {
      build: label,
      isolated,
      status,
      evaluation,
      training,
      evaluationMedianMs: median(evaluation.map((r) => r.engineMs)),
      trainingMedianMs: median(training.map((r) => r.engineMs)),
    };
  } finally {
    await browser.close();
  }
}

async function serve(isolated: boolean, port: number) {
  // vite.config.ts reads the variable each time it is loaded, i.e. once per preview().
  if (isolated) delete process.env.COMPLAB_NO_ISOLATION;
  else process.env.COMPLAB_NO_ISOLATION = '1';
  const server = await preview({ root, preview: { port, strictPort: false, host: '127.0.0.1' } });
  return { server, url: server.resolvedUrls?.local[0] ?? `http://127.0.0.1:${port}/` };
}

async function main() {
  if (!process.env.BENCH_SKIP_BUILD) {
    console.log('Building the app…');
    await build({ root, logLevel: 'warn' });
  }
  const reports: BuildReport[] = [];
  for (const [isolated, label, port] of [
    [false, 'single-threaded', 4393],
    [true, 'threaded', 4394],
  ] as const) {
    const { server, url } = await serve(isolated, port);
    try {
      console.log(`\n${label} (${url}):`);
      reports.push(await benchBuild(url, label));
    } finally {
      await server.close();
    }
  }
  const [single, threaded] = reports;
  const same = (a: RunFigures[], b: RunFigures[]) =>
    a.every(
      (r, i) =>
        r.correct === b[i].correct && r.sizeBytes === b[i].sizeBytes && r.loss === b[i].loss,
    );
  console.log('\nlenet5 on WASM in headless Chromium, engine time per run (median)');
  console.log('build             isolated  evaluation   fine-tuning (60 batches)   status');
  for (const r of reports) {
    console.log(
      `${r.build.padEnd(17)} ${String(r.isolated).padEnd(9)} ${`${r.evaluationMedianMs.toFixed(0)} ms`.padStart(10)}   ${`${r.trainingMedianMs.toFixed(0)} ms`.padStart(12)}               ${r.status}`,
    );
  }
  const evalSpeedup = single.evaluationMedianMs / threaded.evaluationMedianMs;
  const trainSpeedup = single.trainingMedianMs / threaded.trainingMedianMs;
  const identical =
    same(single.evaluation, threaded.evaluation) && same(single.training, threaded.training);
  console.log(
    `\nspeedup of threads: evaluation ${evalSpeedup.toFixed(2)}x, fine-tuning ${trainSpeedup.toFixed(2)}x; ` +
      `same correct counts, bytes and losses: ${identical ? 'yes' : 'NO'}`,
  );
  const out = join(root, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, 'threads.json'),
    JSON.stringify(
      { date: new Date().toISOString(), evalSpeedup, trainSpeedup, identical, reports },
      null,
      2,
    ),
  );
  console.log('Wrote bench/results/threads.json');
  if (!identical) process.exitCode = 1;
}

await main();
