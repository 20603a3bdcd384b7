/**
 * The recipe `eval` and `export` run, from --model, --recipe (or a share link), --prune,
 * --preset and --seed, checked before any engine is loaded.
 */
import type { Lab } from '../engine/lab.ts';
import { ModelLoadError } from '../engine/model/errors.ts';
import { SHIPPED_MODELS } from '../engine/model/shipped.ts';
import { isUserModelId } from '../engine/model/user-models.ts';
import type { NodeBackendName } from '../engine/node/backend-names.ts';
import { DEFAULT_DATA_SET, type DataSetId } from '../engine/data/datasets.ts';
import {
  asNewRecipe,
  dataSetOf,
  normalizeRecipe,
  withDataSet,
  type Recipe,
} from '../engine/recipe/recipe.ts';
import { extractStateText, parseShareState } from '../engine/recipe/share.ts';
import { UsageError } from './errors.ts';
import { checkModel } from './model-arg.ts';
import type { SharedFlags } from './options.ts';

export interface RecipeOptions {
  readonly recipe: Recipe;
  /** Expanded for the recipe's model when the lab is open (recipeOf). */
  readonly preset?: string;
  readonly backend: NodeBackendName;
  readonly json: boolean;
  readonly quiet: boolean;
  readonly cache?: string;
}

/** Whether --model names the files a link's imported model (user/NAME/HASH) was made from. */
async function checkImportedModel(model: string, linked: string): Promise<void> {
  // A link to a run on a model imported in a browser: the same files, given here, will do.
  const { importedIdOf } = await import('./imported-model-id.ts');
  let id: string;
  try {
    id = importedIdOf(model);
  } catch (err) {
    if (!(err instanceof ModelLoadError)) throw err;
    id = `not a readable model (${err.message})`;
  }
  if (id !== linked) {
    throw new UsageError(
      `--model ${model} is not the model the link needs: the link names ${linked} (a model imported in a browser; give the same files), these files are ${id}`,
    );
  }
}

/**
 * The data set a command runs on. A new experiment (no --recipe) defaults to mnist; a recipe or
 * link keeps its own (one that names none means mnist-10k, as its link always did). `--data`
 * sets it, except against a recipe that names another data set: that is refused, as --model is
 * against a recipe naming another model, since the link's numbers are of its own data set.
 */
export function dataSetFor(
  data: DataSetId | undefined,
  recipeText: string | undefined,
  parsed: Recipe,
): DataSetId {
  if (recipeText === undefined) return data ?? DEFAULT_DATA_SET;
  const named = /(^|&)data=/.test(extractStateText(recipeText));
  if (data !== undefined && named && dataSetOf(parsed) !== data) {
    throw new UsageError(
      `--data ${data} disagrees with the recipe's data set ${dataSetOf(parsed)} (leave out --data, or data= in the recipe)`,
    );
  }
  return data ?? dataSetOf(parsed);
}

export async function recipeOptionsOf(flags: SharedFlags): Promise<RecipeOptions> {
  const given = [flags.recipe, flags.prune, flags.preset].filter((v) => v !== undefined).length;
  if (given > 1) throw new UsageError('give one of --recipe, --prune and --preset');
  let text = flags.recipe ?? '';
  if (flags.prune !== undefined) text = `steps=prune(fraction=${flags.prune})`;
  const recipeNamesModel = /(^|&)model=/.test(extractStateText(text));
  const parsed = parseShareState(text).recipe;
  const { model } = flags;
  if (model !== undefined && recipeNamesModel && parsed.model !== model) {
    if (!isUserModelId(parsed.model)) {
      throw new UsageError(`--model ${model} disagrees with the recipe's model ${parsed.model}`);
    }
    await checkImportedModel(model, parsed.model);
  }
  if (model === undefined && !recipeNamesModel) {
    throw new UsageError(
      `name a model with --model (${SHIPPED_MODELS.join(', ')}) or in the recipe`,
    );
  }
  checkModel(model ?? parsed.model, model === undefined);
  const data = dataSetFor(flags.data, flags.recipe, parsed);
  // Another seed or data set than the link's is a new recipe, as one changed on the page is.
  const seedChanged = flags.seed !== undefined && flags.seed !== parsed.seed;
  const dataChanged = flags.recipe !== undefined && data !== dataSetOf(parsed);
  return {
    recipe: normalizeRecipe(
      withDataSet(
        {
          ...(seedChanged || dataChanged ? asNewRecipe(parsed) : parsed),
          model: model ?? parsed.model,
          seed: flags.seed ?? parsed.seed,
        },
        data,
      ),
    ),
    preset: flags.preset,
    backend: flags.backend,
    json: flags.json === true,
    quiet: flags.quiet === true,
    cache: flags.cache,
  };
}

/** The recipe to run: the given one, or the preset expanded for its model. */
export async function recipeOf(lab: Lab, options: RecipeOptions): Promise<Recipe> {
  if (!options.preset) return options.recipe;
  return normalizeRecipe({
    ...options.recipe,
    steps: await lab.expandPreset(options.recipe.model, options.preset, dataSetOf(options.recipe)),
  });
}
