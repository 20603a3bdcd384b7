/**
 * `complab reproduce`: a paper's preset on a shipped model, the paper's figures beside ours,
 * with one or more training seeds (their mean and sample standard deviation).
 */
import { Argument, Option, type Command } from 'commander';
import { DEFAULT_DATA_SET, type DataSetId } from '../../engine/data/datasets.ts';
import type { Lab } from '../../engine/lab.ts';
import { isShippedModel, SHIPPED_MODELS } from '../../engine/model/shipped.ts';
import {
  normalizeRecipe,
  normalizeStep,
  withDataSet,
  type RecipeStep,
} from '../../engine/recipe/recipe.ts';
import { formatRecipe } from '../../engine/recipe/share.ts';
import { PRESETS } from '../../engine/techniques/presets.ts';
import { UsageError } from '../errors.ts';
import { formatReproduceReport, formatSeedTable } from '../format/reproduce-report.ts';
import { addHelpExtras } from '../help.ts';
import { kernelDensity } from '../kernel-density.ts';
import {
  backendOption,
  cacheOption,
  dataOption,
  jsonOption,
  modelOption,
  presetOf,
  quietOption,
  type SharedFlags,
} from '../options.ts';
import { progressPrinter } from '../progress.ts';
import { meanFigures, stdFigures } from '../seed-spread.ts';
import { linkFor } from '../share-link.ts';

interface ReproduceFlags extends SharedFlags {
  readonly batches?: number;
  readonly seeds: number;
}

/** At most this many seeds: each is a whole reproduction (minutes of training). */
const MAX_SEEDS = 20;

function seedsOf(value: string): number {
  const seeds = Number(value);
  if (!(/^\d{1,2}$/.test(value) && seeds >= 1 && seeds <= MAX_SEEDS)) {
    throw new UsageError(`--seeds must be a whole number from 1 to ${MAX_SEEDS} (got "${value}")`);
  }
  return seeds;
}

function batchesOf(value: string): number {
  const batches = Number(value);
  if (!(Number.isInteger(batches) && batches >= 1 && batches <= 1000)) {
    throw new UsageError(`--batches must be a whole number from 1 to 1000 (got "${value}")`);
  }
  return batches;
}

const presetArgument = new Argument('<preset>', "the paper's preset to run")
  .choices(PRESETS.map((p) => p.id))
  .argParser(presetOf);

const seedsOption = new Option(
  '--seeds <n>',
  `training seeds: the recipe runs with seed 1, 2, ..., n (at most ${MAX_SEEDS}); with n > 1 "ours" holds each figure's mean over the seeds, "ours.std" its sample standard deviation (n - 1 in the denominator) and "ours.seeds" each seed's figures`,
)
  .default(1)
  .argParser(seedsOf);

const batchesOption = new Option(
  '--batches <n>',
  'a smoke run: every training epoch stops after n batches (not the reproduction)',
).argParser(batchesOf);

/** The engine modules a reproduction needs, loaded when it runs (help stays fast). */
async function engineModules() {
  const [
    { openLab },
    { paperFigures },
    { codingSummary },
    { decompositionSummary },
    { stageRatios },
  ] = await Promise.all([
    import('../open-lab.ts'),
    import('../../engine/papers.ts'),
    import('../../engine/techniques/quantize/binary-common.ts'),
    import('../../engine/techniques/decompose/summary.ts'),
    import('../../engine/techniques/quantize/stages.ts'),
  ]);
  return { openLab, paperFigures, codingSummary, decompositionSummary, stageRatios };
}

type Engine = Awaited<ReturnType<typeof engineModules>>;

/** One seed's run of the preset's steps: every figure `ours` reports, and the codings. */
async function reproduceWithSeed(
  engine: Engine,
  lab: Lab,
  run: {
    readonly model: string;
    readonly data: DataSetId;
    readonly seed: number;
    readonly steps: readonly RecipeStep[];
    readonly quiet: boolean;
  },
) {
  const { model, data, seed, steps, quiet } = run;
  const recipe = normalizeRecipe(withDataSet({ model, seed, steps }, data));
  const progress = progressPrinter(process.stderr, quiet);
  const result = await lab.run(recipe, { onProgress: progress.onProgress });
  progress.done();
  // Latency of both networks measured in alternation, so the speedup compares like with like.
  const latency = await lab.compareLatency(recipe);
  const { density, layers } = kernelDensity(result);
  // Bits per weight and the size the storage codings imply, counted apart from the encoder.
  const coding = engine.codingSummary(await lab.graphOf(recipe), await lab.baseGraph(model, data));
  for (const [name, l] of Object.entries(coding.layers)) {
    if (layers[name]) Object.assign(layers[name], { bits: l.bits, codedBytes: l.bytes });
  }
  const channels = result.steps.map((s) => s.report?.channelsAfter).find(Boolean);
  const decomposition = engine.decompositionSummary(result.steps);
  // The key order is the --json output's: keep it.
  const ours = {
    model,
    data,
    seed,
    testImages: result.total,
    backend: result.backend,
    trainedOn: result.trainedOn,
    accuracy: result.accuracy,
    baselineAccuracy: result.baselineAccuracy,
    accuracyDrop: result.baselineAccuracy - result.accuracy,
    paired: result.paired,
    density,
    compressionRatio: result.compressionRatio,
    sizeBytes: result.sizeBytes,
    baselineSizeBytes: result.baselineSizeBytes,
    codedSizeBytes: coding.bytes,
    codedCompressionRatio: coding.ratio,
    params: result.params,
    baselineParams: result.baselineParams,
    nonzeroParams: result.nonzeroParams,
    macs: result.macs,
    baselineMacs: result.baselineMacs,
    latencyMs: latency.latencyMs,
    baselineLatencyMs: latency.baselineLatencyMs,
    latencySpread: latency.latencySpread,
    baselineLatencySpread: latency.baselineLatencySpread,
    speedup: latency.speedup,
    elapsedMs: result.elapsedMs,
    recipe: result.recipeText,
    shareUrl: linkFor(result.recipe),
    layers,
    stages: engine.stageRatios(result.steps, result.baselineSizeBytes),
    channels: channels ?? undefined,
    ranks: decomposition?.ranks,
    decomposition,
    steps: result.steps.map((s) => ({
      technique: s.technique,
      accuracy: s.accuracy,
      elapsedMs: s.elapsedMs,
      cached: s.cached,
    })),
  };
  return { ours, coding, latencyBatch: result.latencyBatch };
}

async function runReproduce(preset: string, flags: ReproduceFlags): Promise<void> {
  const { model, batches } = flags;
  if (!model || !isShippedModel(model)) {
    throw new UsageError(`reproduce needs a shipped model: --model ${SHIPPED_MODELS.join(' | ')}`);
  }
  const data = flags.data ?? DEFAULT_DATA_SET;
  const engine = await engineModules();
  const lab = await engine.openLab(flags.backend, flags.cache);
  try {
    // --batches: a smoke run (every training epoch cut short), not the reproduction.
    // The preset as expanded for the data set (its training budget on a larger split).
    const steps = (await lab.expandPreset(model, preset, data)).map((s) =>
      batches !== undefined && 'batches' in s.params
        ? normalizeStep(s.technique, { ...s.params, batches })
        : s,
    );
    const quiet = flags.quiet === true;
    if (!quiet) {
      const recipe = normalizeRecipe(withDataSet({ model, seed: 1, steps }, data));
      const seeds = flags.seeds > 1 ? `, with seeds 1 to ${flags.seeds}` : '';
      process.stderr.write(`complab: preset ${preset} is ${formatRecipe(recipe)}${seeds}\n`);
    }
    const runs = [];
    for (let seed = 1; seed <= flags.seeds; seed++) {
      if (!quiet && flags.seeds > 1)
        process.stderr.write(`complab: seed ${seed} of ${flags.seeds}\n`);
      runs.push(await reproduceWithSeed(engine, lab, { model, data, seed, steps, quiet }));
    }
    const perSeed = runs.map((r) => r.ours);
    // One seed: its figures as they are. Several: the means, their spread, and each seed's.
    // `paired` is each seed's own test against the baseline (a mean of p-values means nothing),
    // and `seed` names a run: both stay in ours.seeds only.
    const ours =
      perSeed.length === 1
        ? perSeed[0]
        : (() => {
            const figures = perSeed.map(({ paired: _paired, seed: _seed, ...rest }) => rest);
            return { ...meanFigures(figures), std: stdFigures(figures), seeds: perSeed };
          })();
    const paper = engine.paperFigures(preset, model);
    const [first] = runs;
    process.stdout.write(
      flags.json
        ? `${JSON.stringify({ data, paper, ours })}\n`
        : `${[
            formatReproduceReport({
              preset,
              paper,
              ours,
              coding: first.coding,
              latencyBatch: first.latencyBatch,
            }),
            ...(perSeed.length > 1 ? [formatSeedTable(perSeed)] : []),
          ].join('\n')}\n`,
    );
  } finally {
    await lab.dispose();
  }
}

export function addReproduceCommand(program: Command): Command {
  const command = program
    .command('reproduce')
    .summary("run a paper's preset and print the paper's figures beside ours")
    .description(
      "Runs a paper's preset on a shipped model and prints {data, paper, ours}: what the paper " +
        'reports (on MNIST) and what the lab measures on the data set --data names (default ' +
        'mnist): accuracy, the paired comparison with the baseline on the same test images ' +
        "(lost, gained, McNemar's exact p), density, size, latency, per-layer figures, the recipe " +
        'and its share link. With --seeds n > 1, ours holds the means over seeds 1..n (text ' +
        "fields and coding bits are seed 1's), ours.std the sample standard deviations (n - 1) " +
        "of the same numbers, and ours.seeds each seed's figures, its paired comparison included.",
    )
    .addArgument(presetArgument)
    .addOption(modelOption)
    .addOption(dataOption)
    .addOption(seedsOption)
    .addOption(batchesOption)
    .addOption(backendOption)
    .addOption(cacheOption)
    .addOption(quietOption)
    .addOption(jsonOption)
    .action(runReproduce);
  return addHelpExtras(command, {
    examples: [
      {
        line: 'complab reproduce deep-compression-pruning --model lenet300 --cache .complab-cache',
        does: "Han et al.'s pruning on LeNet-300-100, beside the paper's figures",
      },
      {
        line: 'complab reproduce deep-compression --model lenet5 --data mnist --seeds 3',
        does: 'the full Deep Compression pipeline with seeds 1, 2 and 3: each, their mean and spread',
      },
      {
        line: 'complab reproduce dsd --model lenet5 --batches 2 --json --quiet',
        does: 'a smoke run of dense-sparse-dense training, as JSON',
      },
    ],
  });
}
