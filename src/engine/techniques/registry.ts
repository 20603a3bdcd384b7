import { RecipeError } from '../recipe/errors.ts';
import { globalMagnitudePrune } from './prune/magnitude.ts';
import type { Technique } from './technique.ts';

/** Every technique the lab offers, by recipe name. New families register here. */
export const TECHNIQUES: readonly Technique[] = [globalMagnitudePrune];

const byId = new Map(TECHNIQUES.map((t) => [t.id, t]));

export function findTechnique(id: string): Technique | undefined {
  return byId.get(id);
}

export function getTechnique(id: string): Technique {
  const technique = byId.get(id);
  if (!technique) {
    throw new RecipeError(
      `unknown technique "${id}" (known: ${TECHNIQUES.map((t) => t.id).join(', ')})`,
    );
  }
  return technique;
}
