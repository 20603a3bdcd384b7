/** `complab eval`: one recipe on a data set's test images, the numbers the page shows for it. */
import { Option, type Command } from 'commander';
import { resolve } from 'node:path';
import { formatRecipe } from '../../engine/recipe/share.ts';
import { TECHNIQUE_SPECS } from '../../engine/techniques/catalog.ts';
import { parseFlags } from '../command-setup.ts';
import { formatRunTable } from '../format/run-table.ts';
import { addHelpExtras } from '../help.ts';
import {
  backendOption,
  cacheOption,
  dataOption,
  jsonOption,
  modelOption,
  presetOption,
  pruneOption,
  quietOption,
  recipeOption,
  seedOption,
  valueOf,
  type SharedFlags,
} from '../options.ts';
import { progressPrinter } from '../progress.ts';
import { recipeOf, recipeOptionsOf, type RecipeOptions } from '../recipe-options.ts';
import { toJson } from '../run-json.ts';
import { linkFor } from '../share-link.ts';

interface EvalFlags extends SharedFlags {
  readonly exportModel?: string;
}

const exportModelOption = new Option(
  '--export-model <dir>',
  'a folder to write the compressed model to: model.json + weights.bin (a plain tfjs LayersModel, masks and quantization baked into float weights) and model.clw (the compact file); a layer plain tfjs cannot compute is refused by name',
).argParser(valueOf('--export-model'));

function defineEval(command: Command): Command {
  command
    .summary("evaluate a model and a compression recipe on a data set's test images")
    .description(
      "Evaluates a model and a compression recipe on a data set's test images (--data; MNIST's " +
        '10,000 by default) and prints accuracy, the paired comparison with the baseline on the ' +
        "same images (points, images lost and gained, McNemar's exact p), stored size, parameters, " +
        'MACs and latency, per step and per layer. The model may be left out when the recipe names it.',
    )
    .addOption(modelOption)
    .addOption(recipeOption)
    .addOption(pruneOption)
    .addOption(presetOption)
    .addOption(dataOption)
    .addOption(seedOption)
    .addOption(backendOption)
    .addOption(cacheOption)
    .addOption(exportModelOption)
    .addOption(quietOption)
    .addOption(jsonOption);
  return addHelpExtras(command, {
    examples: [
      {
        line: 'complab eval --model lenet5 --prune 0.9',
        does: "prune 90% of lenet5's weights, measured on MNIST's 10,000 test digits",
      },
      {
        line: 'complab eval --model lenet5 --prune 0.9 --data fashion-mnist',
        does: 'the same on Fashion-MNIST',
      },
      {
        line: "complab eval --recipe 'http://localhost:5173/#v=2&model=lenet300&seed=1&steps=prune(fraction=0.8)' --json",
        does: 'a share link copied from the page, printed as JSON',
      },
      {
        line: 'complab eval --model lenet5 --preset deep-compression --cache .complab-cache',
        does: "a paper's preset; its fine-tuning is kept for the next run",
      },
      {
        line: "complab eval --model path/to/model.json --recipe 'steps=prune(fraction=0.5);kmeans(bits=*:4)' --export-model out",
        does: 'your own LayersModel, compressed and written to out/',
      },
    ],
    notes: `Techniques (steps=name(param=value,...);...):\n${TECHNIQUE_SPECS.map((t) => `  ${t.id.padEnd(16)} ${t.params.map((p) => p.name).join(', ') || '(no parameters)'}`).join('\n')}`,
  });
}

/** eval's options from its arguments, checked (what `complab eval ARGS` would run). */
export async function parseEvalArgs(args: readonly string[]): Promise<RecipeOptions> {
  return recipeOptionsOf(parseFlags<EvalFlags>('eval', defineEval, args));
}

async function runEval(flags: EvalFlags): Promise<void> {
  const options = await recipeOptionsOf(flags);
  // The engine (tfjs) loads here, not with the program: help stays fast.
  const { openLab } = await import('../open-lab.ts');
  const lab = await openLab(options.backend, options.cache);
  try {
    const recipe = await recipeOf(lab, options);
    if (options.preset) {
      process.stderr.write(`complab: preset ${options.preset} is ${formatRecipe(recipe)}\n`);
    }
    const progress = progressPrinter(process.stderr, options.quiet);
    const result = await lab.run(recipe, { onProgress: progress.onProgress });
    progress.done();
    if (flags.exportModel !== undefined) {
      const { writeModelExport } = await import('../../engine/node/export-model.ts');
      const compact = await lab.exportCompact(recipe, { reported: result });
      const written = await writeModelExport(
        await lab.graphOf(recipe),
        compact.bytes,
        resolve(flags.exportModel),
      );
      if (!options.quiet) process.stderr.write(`complab: wrote ${written.join(', ')}\n`);
    }
    const link = linkFor(result.recipe);
    process.stdout.write(
      options.json
        ? `${JSON.stringify(toJson(result, link))}\n`
        : `${formatRunTable(result, link)}\n`,
    );
  } finally {
    await lab.dispose();
  }
}

export function addEvalCommand(program: Command): Command {
  return defineEval(program.command('eval')).action(runEval);
}
