import { RecipeError } from '../recipe/errors.ts';
import { globalMagnitudePrune } from './prune/magnitude.ts';
import type { Technique, TechniqueParams } from './technique.ts';

/** Every technique the lab offers, by recipe name. New families register here. */
export const TECHNIQUES: readonly Technique[] = [globalMagnitudePrune];

const byId = new Map(TECHNIQUES.map((t) => [t.id, t]));

export function findTechnique(id: string): Technique | undefined {
  return byId.get(id);
}

/** True when `step` is a technique's identity: applying it would change no weight. */
export function isIdentityStep(step: { technique: string; params: TechniqueParams }): boolean {
  const identity = findTechnique(step.technique)?.identity;
  return identity !== undefined && Object.entries(identity).every(([k, v]) => step.params[k] === v);
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
