/**
 * The engine's side of the catalog: each declared technique with the code that applies it.
 * Imports tfjs through the implementations, so only the engine (worker, Node) loads it; the page
 * reads catalog.ts.
 */
import { RecipeError } from '../recipe/errors.ts';
import { TECHNIQUE_SPECS } from './catalog.ts';
import { force } from './decompose/force.ts';
import { svdDecompose } from './decompose/svd.ts';
import { tucker2 } from './decompose/tucker2.ts';
import { indexBits } from './encode/index-bits.ts';
import { redense } from './prune/dsd.ts';
import { iterativePrune } from './prune/iterative.ts';
import { pruneDensity, pruneStd } from './prune/layerwise.ts';
import { globalMagnitudePrune } from './prune/magnitude.ts';
import { pruneAuto } from './prune/sensitivity.ts';
import { ssl } from './prune/ssl.ts';
import { binaryConnect } from './quantize/binary.ts';
import { ttq } from './quantize/ttq.ts';
import { xnor } from './quantize/xnor.ts';
import type { Technique } from './technique.ts';
import { fineTune } from './train/finetune.ts';
import { bnRecalibrate } from './train/recalibrate.ts';
import { kmeansQuantize } from './quantize/kmeans.ts';
import { huffmanCoding, linearQuantize, weightedEntropy } from './quantize/quantize.ts';

/** Every technique the lab runs, by recipe name, in catalog order. */
export const TECHNIQUES: readonly Technique[] = [
  globalMagnitudePrune,
  pruneStd,
  pruneDensity,
  pruneAuto,
  iterativePrune,
  ssl,
  redense,
  fineTune,
  bnRecalibrate,
  svdDecompose,
  tucker2,
  force,
  indexBits,
  linearQuantize,
  kmeansQuantize,
  weightedEntropy,
  huffmanCoding,
  ttq,
  binaryConnect,
  xnor,
];

const byId = new Map(TECHNIQUES.map((t) => [t.id, t]));
if (TECHNIQUES.length !== TECHNIQUE_SPECS.length || TECHNIQUE_SPECS.some((s) => !byId.has(s.id))) {
  throw new Error('the technique registry and catalog disagree');
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
