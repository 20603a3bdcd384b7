/** `complab reproduce`: a paper's preset on a shipped model, the paper's figures beside ours. */
import { Argument, Option, type Command } from 'commander';
import { isShippedModel, SHIPPED_MODELS } from '../../engine/model/shipped.ts';
import { normalizeRecipe, normalizeStep } from '../../engine/recipe/recipe.ts';
import { formatRecipe } from '../../engine/recipe/share.ts';
import { PRESETS } from '../../engine/techniques/presets.ts';
import { UsageError } from '../errors.ts';
import { formatReproduceReport } from '../format/reproduce-report.ts';
import { addHelpExtras } from '../help.ts';
import { kernelDensity } from '../kernel-density.ts';
import {
  backendOption,
  cacheOption,
  jsonOption,
  modelOption,
  presetOf,
  quietOption,
  type SharedFlags,
} from '../options.ts';
import { progressPrinter } from '../progress.ts';
import { linkFor } from '../share-link.ts';

interface ReproduceFlags extends SharedFlags {
  readonly batches?: number;
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

const batchesOption = new Option(
  '--batches <n>',
  'a smoke run: every training epoch stops after n batches (not the reproduction)',
).argParser(batchesOf);

async function runReproduce(preset: string, flags: ReproduceFlags): Promise<void> {
  const { model, batches } = flags;
  if (!model || !isShippedModel(model)) {
    throw new UsageError(`reproduce needs a shipped model: --model ${SHIPPED_MODELS.join(' | ')}`);
  }
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
  const lab = await openLab(flags.backend, flags.cache);
  try {
    // --batches: a smoke run (every training epoch cut short), not the reproduction.
    const steps = (await lab.expandPreset(model, preset)).map((s) =>
      batches !== undefined && 'batches' in s.params
        ? normalizeStep(s.technique, { ...s.params, batches })
        : s,
    );
    const recipe = normalizeRecipe({ model, seed: 1, steps });
    const quiet = flags.quiet === true;
    if (!quiet) process.stderr.write(`complab: preset ${preset} is ${formatRecipe(recipe)}\n`);
    const progress = progressPrinter(process.stderr, quiet);
    const result = await lab.run(recipe, { onProgress: progress.onProgress });
    progress.done();
    // Latency of both networks measured in alternation, so the speedup compares like with like.
    const latency = await lab.compareLatency(recipe);
    const { density, layers } = kernelDensity(result);
    // Bits per weight and the size the storage codings imply, counted apart from the encoder.
    const coding = codingSummary(await lab.graphOf(recipe), await lab.baseGraph(model));
    for (const [name, l] of Object.entries(coding.layers)) {
      if (layers[name]) Object.assign(layers[name], { bits: l.bits, codedBytes: l.bytes });
    }
    const channels = result.steps.map((s) => s.report?.channelsAfter).find(Boolean);
    const decomposition = decompositionSummary(result.steps);
    // The key order is the --json output's: keep it.
    const ours = {
      model,
      backend: result.backend,
      trainedOn: result.trainedOn,
      accuracy: result.accuracy,
      baselineAccuracy: result.baselineAccuracy,
      accuracyDrop: result.baselineAccuracy - result.accuracy,
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
      stages: stageRatios(result.steps, result.baselineSizeBytes),
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
    const paper = paperFigures(preset, model);
    process.stdout.write(
      flags.json
        ? `${JSON.stringify({ paper, ours })}\n`
        : `${formatReproduceReport({ preset, paper, ours, coding, latencyBatch: result.latencyBatch })}\n`,
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
      "Runs a paper's preset on a shipped model and prints {paper, ours}: what the paper reports " +
        'and what the lab measures (accuracy, density, size, latency, per-layer figures, the ' +
        'recipe and its share link).',
    )
    .addArgument(presetArgument)
    .addOption(modelOption)
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
        line: 'complab reproduce dsd --model lenet5 --batches 2 --json --quiet',
        does: 'a smoke run of dense-sparse-dense training, as JSON',
      },
    ],
  });
}
