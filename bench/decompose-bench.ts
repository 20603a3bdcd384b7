/**
 * `npm run bench:decompose`: the decomposition family measured on the shipped LeNets (wasm,
 * real digits, 2,000 test digits), printed as tables and written to
 * bench/results/decompose.json:
 *
 * 1. The presets `svd` (lenet300), `tucker2` and `force-tucker2` (lenet5), plus Tucker-2 with
 *    Kim et al.'s analytic VBMF ranks: accuracy before and after fine-tuning, MACs and weights
 *    of the decomposed layers before and after, and latency of the whole network against the
 *    original's, measured in alternation in the same process.
 * 2. Force regularization: accuracy right after decomposition at each rank, with and without
 *    force (the "without" network fine-tuned for as long, at the same rate, with lambda 0), for
 *    conv2's output-channel rank (Tucker-2 with the input mode whole) and fc1's SVD rank.
 *
 * `--quick` runs part 2 only.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab } from '../src/engine/lab.ts';
import { fileAssetReader } from '../src/engine/node/assets.ts';
import { useNodeBackend } from '../src/engine/node/backend.ts';
import { normalizeRecipe } from '../src/engine/recipe/recipe.ts';
import { formatRecipe, parseRecipe } from '../src/engine/recipe/share.ts';
import { decompositionSummary } from '../src/engine/techniques/decompose/summary.ts';

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), 'results', 'decompose.json');
const quick = process.argv.includes('--quick');

/** The force run and its control: the same training, with and without the force. */
export const FORCE_TRAINING = 'epochs=2,lr=0.0003';
export const FORCE_STRENGTH = 'conv2:0.001|fc1:0.00001|*:0';
const CONV2_RANKS = [2, 4, 6, 8, 10, 12, 16, 20, 30];
const FC1_RANKS = [4, 8, 12, 16, 24, 32, 48, 64];

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

async function main() {
  await useNodeBackend('wasm');
  const lab = new Lab({ read: fileAssetReader() });
  const out: Record<string, unknown> = { date: new Date().toISOString(), backend: 'wasm' };

  if (!quick) {
    const runs = [
      { name: 'svd preset', model: 'lenet300', preset: 'svd' },
      { name: 'tucker2 preset', model: 'lenet5', preset: 'tucker2' },
      { name: 'force-tucker2 preset', model: 'lenet5', preset: 'force-tucker2' },
      {
        // The force preset's ranks without the force (the same extra training, lambda 0).
        name: 'force ranks, no force',
        model: 'lenet5',
        recipe:
          'v=1&model=lenet5&seed=1&steps=finetune(epochs=2,lr=0.0003);tucker2(rankIn=conv2:10,rankOut=conv2:16);svd(energy=*:1,rank=fc1:32);finetune(epochs=8,lr=0.001,decay=0.75)',
      },
      {
        name: 'tucker2, VBMF ranks',
        model: 'lenet5',
        recipe:
          'v=1&model=lenet5&seed=1&steps=tucker2(rankIn=conv2:0,rankOut=conv2:0);svd(energy=*:1,rank=fc1:64);finetune(epochs=8,lr=0.001,decay=0.75)',
      },
    ];
    const rows = [];
    for (const run of runs) {
      const recipe = run.recipe
        ? parseRecipe(run.recipe)
        : normalizeRecipe({
            model: run.model,
            seed: 1,
            steps: await lab.expandPreset(run.model, run.preset!),
          });
      const started = performance.now();
      const result = await lab.run(recipe);
      const elapsedMs = performance.now() - started;
      const latency = await lab.compareLatency(recipe, { windowMs: 1000 });
      const summary = decompositionSummary(result.steps)!;
      const row = {
        name: run.name,
        model: run.model,
        recipe: formatRecipe(result.recipe),
        accuracy: result.accuracy,
        baselineAccuracy: result.baselineAccuracy,
        accuracyBeforeFinetune: summary.accuracyBeforeFinetune,
        ranks: summary.ranks,
        layers: summary.layers,
        decomposedMacs: [summary.macsBefore, summary.macsAfter],
        decomposedParams: [summary.paramsBefore, summary.paramsAfter],
        macs: [result.baselineMacs, result.macs],
        params: [result.baselineParams, result.params],
        latencyMs: latency.latencyMs,
        baselineLatencyMs: latency.baselineLatencyMs,
        elapsedMs,
      };
      rows.push(row);
      console.log(
        `${run.name.padEnd(22)} ${run.model.padEnd(8)} acc ${pct(row.accuracy)} (base ${pct(row.baselineAccuracy)}, ` +
          `one-shot ${pct(row.accuracyBeforeFinetune ?? NaN)}) | decomposed layers: MACs ${summary.macsBefore} -> ${summary.macsAfter} ` +
          `(${(summary.macsBefore / summary.macsAfter).toFixed(2)}x), weights ${summary.paramsBefore} -> ${summary.paramsAfter} ` +
          `(${(summary.paramsBefore / summary.paramsAfter).toFixed(2)}x) | latency ${latency.latencyMs.toFixed(2)} ms vs ` +
          `${latency.baselineLatencyMs.toFixed(2)} ms (${latency.speedup.toFixed(2)}x) | ${(elapsedMs / 1000).toFixed(0)} s | ranks ${JSON.stringify(summary.ranks)}`,
      );
      for (const [layer, l] of Object.entries(summary.layers)) {
        console.log(
          `    ${layer.padEnd(6)} ${l.method.padEnd(8)} weights ${l.paramsBefore} -> ${l.paramsAfter}  MACs ${l.macsBefore} -> ${l.macsAfter}  relative error ${l.relativeError.toFixed(3)}`,
        );
      }
    }
    out.presets = rows;
  }

  // Part 2: accuracy at each rank with and without force regularization, no fine-tuning after.
  const prefixes = {
    without: `finetune(${FORCE_TRAINING})`,
    with: `force(strength=${FORCE_STRENGTH},type=constant,${FORCE_TRAINING})`,
  };
  const curve = async (decompose: (rank: number) => string, ranks: number[]) => {
    const points = [];
    for (const rank of ranks) {
      const point: Record<string, number> = { rank };
      for (const [key, prefix] of Object.entries(prefixes)) {
        const result = await lab.run(
          parseRecipe(`v=1&model=lenet5&seed=1&steps=${prefix};${decompose(rank)}`),
        );
        point[key] = result.accuracy;
        // Accuracy of the trained network before decomposition, for reference.
        point[`${key}Trained`] = result.steps[0].accuracy;
      }
      points.push(point);
    }
    return points;
  };
  const conv2 = await curve((r) => `tucker2(rankIn=conv2:-1,rankOut=conv2:${r})`, CONV2_RANKS);
  const fc1 = await curve((r) => `svd(energy=*:1,rank=fc1:${r})`, FC1_RANKS);
  for (const [title, points] of [
    ['conv2 output rank (Tucker-2, input mode whole), lenet5', conv2],
    ['fc1 SVD rank, lenet5', fc1],
  ] as const) {
    console.log(`\n${title}: test accuracy right after decomposition`);
    console.log(
      `trained before decomposition: without force ${pct(points[0].withoutTrained)}, with force ${pct(points[0].withTrained)}`,
    );
    console.log('rank   without force   with force');
    for (const p of points) {
      console.log(
        `${String(p.rank).padStart(4)}   ${pct(p.without).padStart(13)}   ${pct(p.with).padStart(10)}`,
      );
    }
  }
  out.force = { training: FORCE_TRAINING, strength: FORCE_STRENGTH, conv2, fc1 };
  await lab.dispose();
  await mkdir(dirname(RESULTS), { recursive: true });
  await writeFile(RESULTS, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`\nwrote ${RESULTS}`);
}

await main();
