/**
 * `npm run bench:latency`: is the latency the page reports the same from one page load to the
 * next? The app is built and served by `vite preview` (cross-origin isolated: the threaded WASM
 * build, one thread per logical core but one). Headless Chromium opens it LOADS times, each a
 * fresh page (a new worker, a new tfjs, a new autotuner) in one browser profile (so the kernel
 * choices kept in IndexedDB with each model are what a reload would find), and on each runs
 * every shipped model's empty recipe on WASM, reading the baseline latency (the median, the
 * middle half of its samples) and the kernel each layer ran on. Target: per model, the LOADS
 * medians within 15 % of each other ((max - min) / min). Not a test: it prints a table and
 * writes bench/results/latency.json.
 *
 *   npm run bench:latency      BENCH_SKIP_BUILD=1 BENCH_LOADS=5 BENCH_FRESH_PROFILE=1 npm run bench:latency
 *
 * BENCH_FRESH_PROFILE=1 gives every load its own empty profile: no kept kernel choices, every
 * layer autotuned again (what a first visit sees).
 */
import { chromium, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, preview } from 'vite';
import { SHIPPED_MODELS } from '../src/engine/model/catalog.ts';
import { formatRecipe, parseRecipe } from '../src/engine/recipe/share.ts';

const root = join(import.meta.dirname, '..');
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const LOADS = Number(process.env.BENCH_LOADS ?? 5);
const FRESH_PROFILE = process.env.BENCH_FRESH_PROFILE === '1';
const TARGET = 0.15;
const MODELS = (process.env.BENCH_MODELS?.split(',') ?? [...SHIPPED_MODELS]) as string[];

interface Figure {
  medianMs: number;
  lowMs: number;
  highMs: number;
  samples: number;
  kernels: Record<string, string>;
}

const emptyRecipe = (model: string) =>
  formatRecipe(parseRecipe(`v=1&model=${model}&seed=1&steps=`));

/** Opens `recipeText` by its hash and returns the baseline latency once the store has it. */
async function baselineLatency(page: Page, recipeText: string): Promise<Figure> {
  await page.evaluate(`window.location.hash = ${JSON.stringify(`${recipeText}&backend=wasm`)}`);
  const figure = await page.waitForFunction(
    `(() => {
      const state = window.__complab && window.__complab.getState();
      if (state && state.runStatus.phase === 'error') throw new Error(state.runStatus.message);
      const last = state && state.runs.at(-1);
      if (!last || last.recipeText !== ${JSON.stringify(recipeText)}) return null;
      const r = last.result;
      if (r.backend !== 'wasm') throw new Error('ran on ' + r.backend + ', not wasm');
      const spread = r.baselineLatencySpread || { lowMs: NaN, highMs: NaN, samples: 0 };
      return {
        medianMs: r.baselineLatencyMs,
        lowMs: spread.lowMs,
        highMs: spread.highMs,
        samples: spread.samples,
        kernels: Object.fromEntries(
          r.layers.filter((l) => l.kernel).map((l) => [l.name, l.kernel.kernel]),
        ),
      };
    })()`,
    undefined,
    { timeout: 5 * 60_000, polling: 50 },
  );
  return (await figure.jsonValue()) as Figure;
}

async function oneLoad(context: BrowserContext, url: string, load: number) {
  const page = await context.newPage();
  try {
    const first = emptyRecipe(MODELS[0]);
    await page.goto(`${url}?test#${first}&backend=wasm`);
    const figures: Record<string, Figure> = {};
    for (const model of MODELS) {
      figures[model] = await baselineLatency(page, emptyRecipe(model));
      const f = figures[model];
      process.stdout.write(
        `  load ${load}: ${model.padEnd(10)} ${f.medianMs.toFixed(3)} ms (middle half ${f.lowMs.toFixed(3)}-${f.highMs.toFixed(3)}, ${f.samples} runs)\n`,
      );
    }
    const status = ((await page.getByTestId('backend-status').textContent()) ?? '').trim();
    return { figures, status };
  } finally {
    await page.close();
  }
}

async function main() {
  if (!process.env.BENCH_SKIP_BUILD) {
    console.log('Building the app…');
    await build({ root, logLevel: 'warn' });
  }
  delete process.env.COMPLAB_NO_ISOLATION;
  const server = await preview({
    root,
    preview: { port: 4396, strictPort: false, host: '127.0.0.1' },
  });
  const url = server.resolvedUrls?.local[0] ?? 'http://127.0.0.1:4396/';
  let browser: Browser | undefined;
  const loads: { figures: Record<string, Figure>; status: string }[] = [];
  try {
    browser = await chromium.launch({ executablePath });
    // The probes are evaluated from strings, which the page's CSP forbids.
    let shared: BrowserContext | undefined;
    for (let load = 1; load <= LOADS; load++) {
      const context = FRESH_PROFILE
        ? await browser.newContext({ bypassCSP: true })
        : (shared ??= await browser.newContext({ bypassCSP: true }));
      loads.push(await oneLoad(context, url, load));
      if (FRESH_PROFILE) await context.close();
    }
  } finally {
    await browser?.close();
    await server.close();
  }
  console.log(
    `\nBaseline latency per batch of 64 on WASM, headless Chromium, ${LOADS} page loads (${FRESH_PROFILE ? 'a fresh profile each' : 'one profile'}); ${loads[0]?.status}`,
  );
  console.log(
    `${'model'.padEnd(11)}${loads.map((_, i) => `load ${i + 1}`.padStart(10)).join('')}   spread   same kernels   within ${TARGET * 100} %`,
  );
  const rows = MODELS.map((model) => {
    const medians = loads.map((l) => l.figures[model].medianMs);
    const spread = (Math.max(...medians) - Math.min(...medians)) / Math.min(...medians);
    const kernels = loads.map((l) => JSON.stringify(l.figures[model].kernels));
    const sameKernels = kernels.every((k) => k === kernels[0]);
    console.log(
      `${model.padEnd(11)}${medians.map((m) => `${m.toFixed(3)}`.padStart(10)).join('')}   ${`${(spread * 100).toFixed(1)} %`.padStart(6)}   ${(sameKernels ? 'yes' : 'NO').padEnd(12)}   ${spread <= TARGET ? 'yes' : 'NO'}`,
    );
    return { model, medians, spread, sameKernels, within: spread <= TARGET };
  });
  const out = join(root, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, 'latency.json'),
    JSON.stringify(
      { date: new Date().toISOString(), freshProfile: FRESH_PROFILE, rows, loads },
      null,
      2,
    ),
  );
  console.log('Wrote bench/results/latency.json');
  if (!rows.every((r) => r.within)) process.exitCode = 1;
}

await main();
