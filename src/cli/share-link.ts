import { isShippedModel } from '../engine/model/shipped.ts';
import type { Recipe } from '../engine/recipe/recipe.ts';
import { DEFAULT_UI, shareUrl } from '../engine/recipe/share.ts';

/** Where share links point; override with COMPLAB_URL when the lab is hosted elsewhere. */
export const DEFAULT_LAB_URL = 'http://localhost:5173/';

/** A link only reproduces a run when the page can load the model, i.e. a shipped one. */
export function linkFor(recipe: Recipe): string | null {
  return isShippedModel(recipe.model)
    ? shareUrl(process.env.COMPLAB_URL ?? DEFAULT_LAB_URL, { recipe, ui: DEFAULT_UI })
    : null;
}
