/** `complab export`: writes the compact model file a recipe leaves. */
import { Option, type Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import { percent } from '../format/units.ts';
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
import { recipeOf, recipeOptionsOf } from '../recipe-options.ts';

interface ExportFlags extends SharedFlags {
  readonly out?: string;
}

const outOption = new Option(
  '--out <file>',
  'the compact model file to write (required); its length is the size complab eval reports',
).argParser(valueOf('--out'));

async function runExport(flags: ExportFlags): Promise<void> {
  const { out } = flags;
  if (!out) throw new UsageError('name the file to write with --out FILE');
  const options = await recipeOptionsOf(flags);
  const { openLab } = await import('../open-lab.ts');
  const lab = await openLab(options.backend, options.cache);
  try {
    const recipe = await recipeOf(lab, options);
    const progress = progressPrinter(process.stderr, options.quiet);
    const result = await lab.run(recipe, { onProgress: progress.onProgress });
    progress.done();
    // Decoded and evaluated again: a file that is not the model reported is never written.
    const encoded = await lab.exportCompact(recipe, { reported: result });
    writeFileSync(resolve(out), encoded.bytes);
    const summary = {
      out: resolve(out),
      sizeBytes: encoded.bytes.length,
      architectureBytes: encoded.archBytes,
      compressionRatio: result.compressionRatio,
      accuracy: result.accuracy,
      recipe: result.recipeText,
    };
    process.stdout.write(
      options.json
        ? `${JSON.stringify(summary)}\n`
        : `wrote ${summary.out}: ${summary.sizeBytes} bytes (${summary.architectureBytes} of them the architecture), ${summary.compressionRatio.toFixed(1)}x smaller than the baseline; test accuracy ${percent(summary.accuracy)}\n`,
    );
  } finally {
    await lab.dispose();
  }
}

export function addExportCommand(program: Command): Command {
  const command = program
    .command('export')
    .summary('write the compact model file a recipe leaves (its length is the reported size)')
    .description(
      'Runs the recipe (as complab eval does) and writes the compact model file it leaves: the ' +
        'architecture and every weight in its stored form (dense or sparse floats, codebook + ' +
        'indices, Huffman-coded streams, fixed point, ternary, binary). Its length is the size ' +
        'complab eval reports; complab eval --model FILE decodes it and gives the same accuracy.',
    )
    .addOption(outOption)
    .addOption(modelOption)
    .addOption(recipeOption)
    .addOption(pruneOption)
    .addOption(presetOption)
    .addOption(dataOption)
    .addOption(seedOption)
    .addOption(backendOption)
    .addOption(cacheOption)
    .addOption(quietOption)
    .addOption(jsonOption)
    .action(runExport);
  return addHelpExtras(command, {
    examples: [
      {
        line: "complab export --model lenet300 --recipe 'steps=prune(fraction=0.9);kmeans(bits=*:4);huffman()' --out lenet300.clw",
        does: 'prune, share weights and Huffman-code lenet300, then write the file',
      },
      {
        line: 'complab eval --model lenet300.clw',
        does: 'decode that file and evaluate it again',
      },
    ],
  });
}
