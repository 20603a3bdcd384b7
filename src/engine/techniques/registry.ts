import { RecipeError } from '../recipe/errors.ts';
import { indexBits } from './encode/index-bits.ts';
import { redense } from './prune/dsd.ts';
import { iterativePrune } from './prune/iterative.ts';
import { pruneDensity, pruneStd } from './prune/layerwise.ts';
import { globalMagnitudePrune } from './prune/magnitude.ts';
import { pruneAuto } from './prune/sensitivity.ts';
import { ssl } from './prune/ssl.ts';
import type { Technique } from './technique.ts';
import { fineTune } from './train/finetune.ts';

/** Every technique the lab offers, by recipe name. New families register here. */
export const TECHNIQUES: readonly Technique[] = [
  globalMagnitudePrune,
  pruneStd,
  pruneDensity,
  pruneAuto,
  iterativePrune,
  ssl,
  redense,
  fineTune,
  indexBits,
];

const byId = new Map(TECHNIQUES.map((t) => [t.id, t]));

export function findTechnique(id: string): Technique | undefined {
  return byId.get(id);
}

export function getTechnique(id: string): Technique {
  const technique = byId.get(id);
  if (!technique) {
    throw new RecipeError(
      `unknown technique "${id.slice(0, 30)}" (known: ${TECHNIQUES.map((t) => t.id).join(', ')})`,
    );
  }
  return technique;
}
