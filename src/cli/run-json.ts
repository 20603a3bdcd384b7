import type { RunResult } from '../engine/lab.ts';

/** The object `complab eval --json` prints for a run (and each `complab sweep` line holds). */
export function toJson(result: RunResult, link: string | null) {
  // Each image's class and confidence are for comparing runs in memory, not for a report.
  const {
    recipe: _recipe,
    recipeText,
    predicted: _predicted,
    confidence: _confidence,
    ...rest
  } = result;
  return { ...rest, recipe: recipeText, shareUrl: link };
}
