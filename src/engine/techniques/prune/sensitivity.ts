/**
 * Sensitivity analysis (Han et al., NIPS 2015, Figure 5): prune one layer at a time to a range
 * of densities, leave the others dense, and measure accuracy. The curves show which layers can
 * lose most of their weights (fc1 of a LeNet) and which cannot (conv1). `prune-auto` uses them
 * to give every layer the lowest density whose accuracy drop stays within a target, then prunes.
 */
import type { LayerGraph } from '../../model/graph.ts';
import { techniqueSpec } from '../catalog.ts';
import { makeCheckpoint, throwIfCancelled, yieldToEventLoop } from '../../cancel.ts';
import { numberParam, type Technique, type TechniqueContext } from '../technique.ts';
import { density, layerKernels, pruneToDensity } from './masks.ts';

/** Densities each layer is tried at, densest first. */
export const SENSITIVITY_DENSITIES = [
  0.9, 0.7, 0.5, 0.4, 0.3, 0.2, 0.15, 0.1, 0.07, 0.05, 0.03, 0.02, 0.01,
] as const;

export interface SensitivityCurve {
  readonly name: string;
  readonly points: readonly { readonly density: number; readonly accuracy: number }[];
}

export interface SensitivityResult {
  readonly baseAccuracy: number;
  readonly layers: readonly SensitivityCurve[];
}

/**
 * One curve per conv and dense layer: accuracy (from `evaluate`) with only that layer pruned to
 * each density (one-shot, no retraining), the rest as they are.
 */
export async function sensitivityCurves(
  graph: LayerGraph,
  evaluate: (g: LayerGraph) => Promise<number>,
  options: {
    densities?: readonly number[];
    signal?: AbortSignal;
    onProgress?: (fraction: number) => void;
  } = {},
): Promise<SensitivityResult> {
  const densities = options.densities ?? SENSITIVITY_DENSITIES;
  const checkpoint = makeCheckpoint(options.signal);
  const baseAccuracy = await evaluate(graph);
  const layers: SensitivityCurve[] = [];
  const names = [...layerKernels(graph).keys()];
  let done = 0;
  for (const name of names) {
    const points = [{ density: density(layerKernels(graph).get(name)!), accuracy: baseAccuracy }];
    for (const d of densities) {
      await checkpoint();
      const trial = graph.clone();
      pruneToDensity(layerKernels(trial).get(name)!, d);
      // The evaluation's own checkpoints first yield after a slice of its work: a yield here
      // keeps the pruning and the evaluation's first slice apart, so one trial never holds an
      // abort for longer than one of them (a yield costs a millisecond, a trial 100 or more).
      await yieldToEventLoop();
      throwIfCancelled(options.signal);
      points.push({ density: d, accuracy: await evaluate(trial) });
      options.onProgress?.(++done / (names.length * densities.length));
    }
    layers.push({ name, points });
  }
  return { baseAccuracy, layers };
}

/** The lowest tried density of each layer whose accuracy stays within `maxDrop` of the base. */
export function densitiesForDrop(
  result: SensitivityResult,
  maxDrop: number,
): Record<string, number> {
  const chosen: Record<string, number> = {};
  for (const curve of result.layers) {
    let best = curve.points[0].density;
    for (const p of curve.points) {
      if (result.baseAccuracy - p.accuracy <= maxDrop + 1e-12 && p.density < best) best = p.density;
    }
    chosen[curve.name] = best;
  }
  return chosen;
}

export const pruneAuto: Technique = {
  ...techniqueSpec('prune-auto'),
  apply: async (graph, params, context: TechniqueContext) => {
    const result = await sensitivityCurves(graph, (g) => context.validationAccuracy(g), {
      signal: context.signal,
      onProgress: (fraction) => context.progress({ fraction, phase: 'sensitivity' }),
    });
    const chosen = densitiesForDrop(result, numberParam(params, 'drop') / 100);
    const kernels = layerKernels(graph);
    const checkpoint = makeCheckpoint(context.signal);
    for (const [name, d] of Object.entries(chosen)) {
      await checkpoint();
      pruneToDensity(kernels.get(name)!, d);
    }
    return { sensitivity: result, density: chosen };
  },
};
