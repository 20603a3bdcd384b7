/**
 * `complab compare`: two runs on the same test images, image by image: per-class accuracy and
 * its change, confusion matrices, the images whose prediction changed, McNemar's paired test.
 */
import { Option, type Command } from 'commander';
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { normalizeRecipe, dataSetOf, type Recipe } from '../../engine/recipe/recipe.ts';
import { formatRecipe } from '../../engine/recipe/share.ts';
import { UsageError } from '../errors.ts';
import { addHelpExtras } from '../help.ts';
import {
  backendOption,
  cacheOption,
  dataOption,
  jsonOption,
  modelOption,
  quietOption,
  valueOf,
  type SharedFlags,
} from '../options.ts';
import { progressPrinter } from '../progress.ts';
import { recipeOptionsOf, type RecipeOptions } from '../recipe-options.ts';

interface CompareFlags extends Omit<SharedFlags, 'recipe' | 'prune' | 'preset' | 'seed'> {
  readonly csvPerClass?: string;
  readonly csvFlips?: string;
}

const csvPerClassOption = new Option(
  '--csv-per-class <file>',
  'also write the per-class figures as CSV (class, name, images, correctA, correctB, accuracyA, accuracyB, change; one row per class)',
).argParser(valueOf('--csv-per-class'));

const csvFlipsOption = new Option(
  '--csv-flips <file>',
  "also write every flip as CSV (index, label, both predictions with their names, lost/gained/other, the true class's probability in a and b)",
).argParser(valueOf('--csv-flips'));

/** In place of a recipe: the baseline of the other one (its model on its data set, no steps). */
export const BASELINE = 'baseline';

/** What `complab compare` runs: recipe a, recipe b (same data set), and how. */
export interface CompareOptions extends Omit<RecipeOptions, 'recipe' | 'preset'> {
  readonly a: Recipe;
  readonly b: Recipe;
  /** Absolute paths of the CSV files to write, checked writable before anything runs. */
  readonly csvPerClass?: string;
  readonly csvFlips?: string;
}

/** A file to write at the end, checked now: a run is not lost to a folder that is not there. */
function csvTarget(flag: string, file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  const path = resolve(file);
  const folder = dirname(path);
  let isFolder = false;
  try {
    isFolder = statSync(folder).isDirectory();
    accessSync(folder, constants.W_OK);
  } catch {
    throw new UsageError(`${flag} ${file}: the folder ${folder} does not exist or is not writable`);
  }
  if (!isFolder) throw new UsageError(`${flag} ${file}: ${folder} is not a folder`);
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) {
    throw new UsageError(`${flag} ${file} is a folder`);
  }
  return path;
}

function defineCompare(command: Command): Command {
  command
    .summary('compare two runs image by image: per class, confusion, the images that changed')
    .description(
      'Runs two recipes (or share links) on the same test images and compares them image by ' +
        "image: each class's accuracy in both and its change (the largest loss first), the " +
        'confusion matrix of each (row = true class, column = prediction), the images whose ' +
        'prediction changed ("flips": lost = a right, b wrong; gained = the reverse), and ' +
        "McNemar's exact paired test. B may be left out (or be the word baseline) to compare A " +
        'with its own baseline: `compare R` is `compare baseline R`. Runs on different data sets ' +
        'are refused.',
    )
    .argument('<a>', 'recipe text or share link of run a (or: baseline, of b)')
    .argument(
      '[b]',
      'recipe text or share link of run b (or: baseline, of a; default: a against its baseline)',
    )
    .addOption(modelOption)
    .addOption(dataOption)
    .addOption(backendOption)
    .addOption(cacheOption)
    .addOption(csvPerClassOption)
    .addOption(csvFlipsOption)
    .addOption(quietOption)
    .addOption(jsonOption);
  return addHelpExtras(command, {
    examples: [
      {
        line: "complab compare 'v=2&model=lenet300&data=mnist&seed=1&steps=prune(fraction=0.9)'",
        does: 'what pruning 90% of lenet300 lost and gained against its baseline, class by class',
      },
      {
        line: "complab compare 'steps=prune(fraction=0.8)' 'steps=prune(fraction=0.9)' --model lenet5 --data mnist-10k --json",
        does: 'two recipes against each other, as JSON (every flip listed)',
      },
      {
        line: "complab compare 'steps=prune(fraction=0.8)' --model lenet5 --data fashion-mnist --csv-per-class classes.csv --csv-flips flips.csv",
        does: 'the table, and the per-class figures and the flips as CSV files',
      },
    ],
  });
}

/** Recipe options of one argument (--model and --data apply to it as to eval's --recipe). */
const optionsOf = (text: string, flags: CompareFlags) =>
  recipeOptionsOf({ ...flags, recipe: text });

const baselineOf = (recipe: Recipe): Recipe => normalizeRecipe({ ...recipe, steps: [] });

/** compare's options from its arguments, checked before any engine is loaded. */
export async function compareOptionsOf(
  a: string,
  b: string | undefined,
  flags: CompareFlags,
): Promise<CompareOptions> {
  if (a === BASELINE && (b === undefined || b === BASELINE)) {
    throw new UsageError(
      `give a recipe or link to compare: "${BASELINE}" stands for the baseline of the other one`,
    );
  }
  let recipes: [Recipe, Recipe];
  let shared: RecipeOptions;
  if (a === BASELINE) {
    shared = await optionsOf(b!, flags);
    recipes = [baselineOf(shared.recipe), shared.recipe];
  } else if (b === undefined) {
    // A run against its baseline, in the direction eval reads it: what the run lost and gained.
    shared = await optionsOf(a, flags);
    recipes = [baselineOf(shared.recipe), shared.recipe];
  } else if (b === BASELINE) {
    shared = await optionsOf(a, flags);
    recipes = [shared.recipe, baselineOf(shared.recipe)];
  } else {
    shared = await optionsOf(a, flags);
    recipes = [shared.recipe, (await optionsOf(b, flags)).recipe];
  }
  const [dataA, dataB] = recipes.map(dataSetOf);
  if (dataA !== dataB) {
    throw new UsageError(
      `runs on different data sets cannot be compared image by image: a runs on ${dataA}, b on ${dataB} (a recipe or link without data= means mnist-10k; --data runs both on one)`,
    );
  }
  const csvPerClass = csvTarget('--csv-per-class', flags.csvPerClass);
  const csvFlips = csvTarget('--csv-flips', flags.csvFlips);
  if (csvPerClass !== undefined && csvPerClass === csvFlips) {
    throw new UsageError(`--csv-per-class and --csv-flips name the same file, ${csvFlips}`);
  }
  const { recipe: _recipe, preset: _preset, ...how } = shared;
  return { ...how, a: recipes[0], b: recipes[1], csvPerClass, csvFlips };
}

async function runCompare(a: string, b: string | undefined, flags: CompareFlags): Promise<void> {
  const options = await compareOptionsOf(a, b, flags);
  // The engine (tfjs) loads here, not with the program: help stays fast.
  const { openLab } = await import('../open-lab.ts');
  const { compareRuns } = await import('../../engine/compare/compare-runs.ts');
  const { dataSetInfo } = await import('../../engine/data/datasets.ts');
  const lab = await openLab(options.backend, options.cache);
  try {
    const data = dataSetOf(options.a);
    const results = [];
    for (const [name, recipe] of [
      ['a', options.a],
      ['b', options.b],
    ] as const) {
      if (!options.quiet)
        process.stderr.write(`complab: running ${name}: ${formatRecipe(recipe)}\n`);
      const progress = progressPrinter(process.stderr, options.quiet);
      results.push(await lab.run(recipe, { onProgress: progress.onProgress }));
      progress.done();
    }
    const [resultA, resultB] = results;
    const info = dataSetInfo(data);
    const test = await lab.test(data);
    const comparison = compareRuns(
      { data, labels: test.labels, classCount: info.classNames.length },
      { name: 'a', data, predicted: resultA.predicted, confidence: resultA.confidence },
      { name: 'b', data, predicted: resultB.predicted, confidence: resultB.confidence },
    );
    const recipes = { a: resultA.recipeText, b: resultB.recipeText };
    if (options.csvPerClass !== undefined || options.csvFlips !== undefined) {
      const { writeFile } = await import('node:fs/promises');
      const { flipsCsv, perClassCsv } = await import('../../engine/compare/csv.ts');
      const written = [];
      if (options.csvPerClass !== undefined) {
        await writeFile(options.csvPerClass, perClassCsv(comparison, info.classNames));
        written.push(options.csvPerClass);
      }
      if (options.csvFlips !== undefined) {
        await writeFile(options.csvFlips, flipsCsv(comparison, info.classNames));
        written.push(options.csvFlips);
      }
      if (!options.quiet) process.stderr.write(`complab: wrote ${written.join(', ')}\n`);
    }
    if (options.json) {
      const { comparisonJson } = await import('../compare-json.ts');
      process.stdout.write(`${JSON.stringify(comparisonJson(data, recipes, comparison))}\n`);
    } else {
      const { formatComparison } = await import('../format/compare-text.ts');
      process.stdout.write(`${formatComparison(info, recipes, comparison)}\n`);
    }
  } finally {
    await lab.dispose();
  }
}

export function addCompareCommand(program: Command): Command {
  return defineCompare(program.command('compare')).action(
    (a: string, b: string | undefined, flags: CompareFlags) => runCompare(a, b, flags),
  );
}
