import type { RunResult } from '../engine/lab.ts';

/** The object `complab eval --json` prints for a run (and each `complab sweep` line holds). */
export function toJson(result: RunResult, link: string | null) {
  const { recipe: _recipe, recipeText, ...rest } = result;
  return { ...rest, recipe: recipeText, shareUrl: link };
}
