import { normalizeStep, type RecipeStep } from '../recipe/recipe.ts';
import { TECHNIQUE_SPECS } from '../techniques/catalog.ts';

/**
 * A step with its training cut to a small budget (ranges from its catalog entry): at most 1
 * epoch of 2 batches, 2 rounds, and bn-recalibrate on 250 digits. For tests of files and code
 * paths, where a step's length does not matter.
 */
export function smallBudget(step: RecipeStep): RecipeStep {
  const spec = TECHNIQUE_SPECS.find((t) => t.id === step.technique)!;
  const params: Record<string, unknown> = { ...step.params };
  for (const p of spec.params) {
    const min = 'min' in p && typeof p.min === 'number' ? p.min : 0;
    const value = (params[p.name] ?? p.default) as unknown;
    if (p.name === 'epochs' && typeof value === 'number')
      params.epochs = Math.max(min, Math.min(value, 1));
    if (p.name === 'batches') params.batches = 2;
    if (p.name === 'rounds' && typeof value === 'number') params.rounds = Math.min(value, 2);
    if (p.name === 'digits' && step.technique === 'bn-recalibrate') params.digits = 250;
  }
  return normalizeStep(step.technique, params);
}
