/** `complab export`: writes the model a recipe leaves, as the compact file or as ONNX. */
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

const EXPORT_FORMATS = ['compact', 'onnx'] as const;
type ExportFormat = (typeof EXPORT_FORMATS)[number];

interface ExportFlags extends SharedFlags {
  readonly out?: string;
  readonly format?: ExportFormat;
}

const outOption = new Option(
  '--out <file>',
  'the file to write (required); a compact file is as long as the size complab eval reports',
).argParser(valueOf('--out'));

const formatOption = new Option(
  '--format <format>',
  'compact: the compact model file (its length is the reported size); onnx: an ONNX model (opset 13) ' +
    'taking the input the model came with (an ONNX model: its own input and output names and shape; ' +
    'shipped conv nets: NCHW [N, 1, 28, 28]; shipped MLPs: [N, 784])',
)
  .choices(EXPORT_FORMATS)
  .default('compact');

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
    if (flags.format === 'onnx') {
      // Imported again and evaluated: a file that is not the model reported is never written.
      const onnx = await lab.exportOnnx(recipe, { reported: result });
      writeFileSync(resolve(out), onnx.bytes);
      const { inputs, outputs } = onnx.model.graph;
      const summary = {
        out: resolve(out),
        format: 'onnx',
        sizeBytes: onnx.bytes.length,
        input: { name: inputs[0].name, shape: inputs[0].shape },
        output: { name: outputs[0].name, shape: outputs[0].shape },
        correct: onnx.correct,
        total: result.total,
        accuracy: result.accuracy,
        recipe: result.recipeText,
      };
      const shape = (s: typeof summary.input) => `${s.name} [${s.shape?.join(', ')}]`;
      process.stdout.write(
        options.json
          ? `${JSON.stringify(summary)}\n`
          : `wrote ${summary.out}: ONNX, ${summary.sizeBytes} bytes, ${shape(summary.input)} -> ${shape(summary.output)}; imported again it classifies ${summary.correct} of ${summary.total} test images correctly (${percent(summary.accuracy)}), as the run did\n`,
      );
      return;
    }
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
    .summary(
      'write the model a recipe leaves: the compact file (its length is the reported size) or ONNX',
    )
    .description(
      'Runs the recipe (as complab eval does) and writes the model it leaves. --format compact ' +
        '(the default) writes the compact model file: the ' +
        'architecture and every weight in its stored form (dense or sparse floats, codebook + ' +
        'indices, Huffman-coded streams, fixed point, ternary, binary). Its length is the size ' +
        'complab eval reports; complab eval --model FILE decodes it and gives the same accuracy. ' +
        '--format onnx writes an ONNX model (opset 13) with masks and codings baked in and ' +
        'fixed-point weights as DequantizeLinear; it takes the input the model came with (an ' +
        'ONNX model: its input and output names and NCHW shape, logits out if it gave logits; ' +
        'shipped conv nets: NCHW [N, 1, 28, 28]; shipped MLPs: flat [N, 784]). Either file is ' +
        'decoded and evaluated again first and written only when it classifies as many test ' +
        'images correctly as the run; a layer ONNX cannot express faithfully (binary XNOR ' +
        'activations) is refused by name and nothing is written.',
    )
    .addOption(outOption)
    .addOption(formatOption)
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
      {
        line: "complab export --model model.onnx --data mnist --recipe 'steps=prune(fraction=0.8);quantize(bits=*:8)' --format onnx --out small.onnx",
        does: 'prune and quantize your own ONNX model and write it back as ONNX, same input and output',
      },
    ],
  });
}
