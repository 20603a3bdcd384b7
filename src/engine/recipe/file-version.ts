/**
 * Which compact file a recipe writes, by the recipe's version: the one place that decides it.
 * The file is what a run reports as its size (its length) and what `complab export` and the
 * page's Export hand out, so it follows the recipe: a link keeps the numbers it was shared with.
 *
 * - Version 1 writes file version 3 (4 when a tensor needs layout 6): sparse floats with the
 *   padding filler, which advances 2^k positions and stores a zero (encode/gaps.ts). Every
 *   link shared before version 2, and every tour step, measures its size this way.
 * - Version 2 writes file version 5: one sparse convention for every layout, the skip filler
 *   (2^k - 1 positions, nothing stored), so a pruned model's sparse floats take fewer bytes.
 */
import type { EncodeOptions } from '../encode/model-file.ts';
import { recipeVersionOf, type Recipe, type RecipeVersion } from './recipe.ts';

export type WrittenFileVersion = NonNullable<EncodeOptions['version']>;

export const FILE_VERSION_OF_RECIPE: Readonly<Record<RecipeVersion, WrittenFileVersion>> = {
  1: 3,
  2: 5,
};

/** The file version a recipe's run writes and sizes (pass it to encodeModel). */
export const fileVersionOf = (recipe: Recipe): WrittenFileVersion =>
  FILE_VERSION_OF_RECIPE[recipeVersionOf(recipe)];
