/** `complab sensitivity`: accuracy of each layer pruned alone to a range of densities. */
import { Option, type Command } from 'commander';
import { dataSetInfo } from '../../engine/data/datasets.ts';
import { SHIPPED_MODELS } from '../../engine/model/shipped.ts';
import { normalizeRecipe, withDataSet } from '../../engine/recipe/recipe.ts';
import { extractStateText, formatRecipe, parseShareState } from '../../engine/recipe/share.ts';
import { UsageError } from '../errors.ts';
import { formatSensitivityTable } from '../format/sensitivity-table.ts';
import { addHelpExtras } from '../help.ts';
import { checkModel } from '../model-arg.ts';
import {
  backendOption,
  cacheOption,
  dataOption,
  jsonOption,
  modelOption,
  quietOption,
  recipeOption,
  type SharedFlags,
} from '../options.ts';
import { progressPrinter } from '../progress.ts';
import { dataSetFor } from '../recipe-options.ts';

type Digits = 'test' | 'check';

interface SensitivityFlags extends SharedFlags {
  readonly digits: Digits;
  readonly densities?: number[];
}

function digitsOf(value: string): Digits {
  if (value !== 'test' && value !== 'check')
    throw new UsageError(`--digits must be test or check (got "${value}")`);
  return value;
}

function densitiesOf(text: string): number[] {
  const values = text.split(',').map((t) => Number(t.trim()));
  if (values.length === 0 || values.length > 50 || values.some((v) => !(v > 0 && v <= 1))) {
    throw new UsageError(
      `--densities must be fractions in (0, 1] separated by commas (got "${text.slice(0, 40)}")`,
    );
  }
  return values;
}

const digitsOption = new Option(
  '--digits <set>',
  "test: the data set's test images; check: its validation images (held out of training; for mnist-10k the last 2,000 training digits)",
)
  .choices(['test', 'check'])
  // The curves are for choosing per-layer densities: by default on validation images, never
  // the test split that reports the result (issue 18).
  .default('check')
  .argParser(digitsOf);

const densitiesOption = new Option(
  '--densities <list>',
  'the fractions of weights kept to try, separated by commas (default: 0.9 down to 0.01)',
).argParser(densitiesOf);

async function runSensitivity(flags: SensitivityFlags): Promise<void> {
  const text = flags.recipe ?? '';
  const parsed = parseShareState(text).recipe;
  const model =
    flags.model ?? (/(^|&)model=/.test(extractStateText(text)) ? parsed.model : undefined);
  if (model === undefined)
    throw new UsageError(`name a model with --model (${SHIPPED_MODELS.join(', ')})`);
  checkModel(model, flags.model === undefined);
  const data = dataSetFor(flags.data, flags.recipe, parsed);
  const recipe = normalizeRecipe(withDataSet({ ...parsed, model }, data));
  const { openLab } = await import('../open-lab.ts');
  const lab = await openLab(flags.backend, flags.cache);
  try {
    const progress = progressPrinter(process.stderr, flags.quiet === true);
    const result = await lab.sensitivity(recipe, {
      digits: flags.digits,
      densities: flags.densities,
      onProgress: progress.onProgress,
    });
    progress.done();
    const output = { model, data, recipe: formatRecipe(recipe), ...result };
    process.stdout.write(
      flags.json
        ? `${JSON.stringify(output)}\n`
        : `${formatSensitivityTable(result, flags.digits, dataSetInfo(data))}\n`,
    );
  } finally {
    await lab.dispose();
  }
}

export function addSensitivityCommand(program: Command): Command {
  const command = program
    .command('sensitivity')
    .summary('accuracy of each layer pruned alone to a range of densities')
    .description(
      'Prunes each conv and dense layer alone (one-shot, the others untouched) to each density ' +
        'and prints the accuracy: {model, data, recipe, digits, baseAccuracy, layers: [{name, points: [{density, ' +
        'accuracy}]}]}. With --recipe, of the network the recipe leaves (default: the model as ' +
        'shipped).',
    )
    .addOption(modelOption)
    .addOption(recipeOption)
    .addOption(dataOption)
    .addOption(digitsOption)
    .addOption(densitiesOption)
    .addOption(backendOption)
    .addOption(cacheOption)
    .addOption(quietOption)
    .addOption(jsonOption)
    .action(runSensitivity);
  return addHelpExtras(command, {
    examples: [
      {
        line: 'complab sensitivity --model lenet5 --densities 0.5,0.2,0.05',
        does: "each of lenet5's layers kept at 50%, 20% and 5%",
      },
      {
        line: "complab sensitivity --model lenet300 --recipe 'steps=prune(fraction=0.5)' --digits check --json",
        does: 'after a recipe, on held-apart training digits, as JSON',
      },
    ],
  });
}
