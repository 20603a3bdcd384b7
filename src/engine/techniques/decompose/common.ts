/**
 * What the decomposition steps share: reading per-layer rank settings (with the layer names
 * checked), the per-layer report the page draws (spectrum, chosen ranks, params and MACs before
 * and after) and the warnings shown beside the result.
 */
import type { GraphNode, LayerGraph } from '../../model/graph.ts';
import { RecipeError } from '../../recipe/errors.ts';
import type { PerLayerValue } from '../technique.ts';

/** One mode's spectrum: the singular values of a kernel's matrix or unfolding, largest first. */
export interface SpectrumReport {
  /** 'matrix' for a dense kernel [in, out]; 'in' / 'out' for a conv kernel's channel unfoldings. */
  readonly mode: 'matrix' | 'in' | 'out';
  readonly values: readonly number[];
  readonly rank: number;
  /** How the rank was chosen. */
  readonly source: 'given' | 'energy' | 'vbmf' | 'vbmf-fallback' | 'full';
  /** Fraction of the sum of squared singular values the kept ones hold. */
  readonly energyKept: number;
}

export interface DecomposedLayerReport {
  readonly name: string;
  readonly method: 'svd' | 'tucker2';
  readonly kernelShape: readonly number[];
  readonly spectra: readonly SpectrumReport[];
  /** The layers that replaced it, in order. */
  readonly factors: readonly string[];
  readonly paramsBefore: number;
  readonly paramsAfter: number;
  readonly macsBefore: number;
  readonly macsAfter: number;
  /** ||K - approximation||_F / ||K||_F at the chosen ranks, before any fine-tuning. */
  readonly relativeError: number;
}

export interface DecompositionReport {
  readonly decomposition: readonly DecomposedLayerReport[];
  readonly warnings: readonly string[];
  readonly [key: string]: unknown;
}

/** Checks that every layer a per-layer value names is a conv or dense layer of the graph. */
export function checkNamedLayers(graph: LayerGraph, value: PerLayerValue, what: string): void {
  const names = graph.weightedLayers().map((n) => n.name);
  for (const layer of Object.keys(value)) {
    if (layer !== '*' && !names.includes(layer)) {
      throw new RecipeError(
        `${what}: the model has no conv or dense layer "${layer}" (its layers: ${names.join(', ')})`,
      );
    }
  }
}

/**
 * Checks the layers a step's per-layer values name: each must exist and be of `className`
 * (naming another kind of layer is a mistake the user should hear about, with `hint`).
 */
export function checkTargetLayers(
  graph: LayerGraph,
  step: string,
  values: Readonly<Record<string, PerLayerValue>>,
  className: string,
  hint: string,
): void {
  for (const [name, value] of Object.entries(values))
    checkNamedLayers(graph, value, `${step} ${name}`);
  for (const layer of new Set(Object.values(values).flatMap((v) => Object.keys(v)))) {
    if (layer === '*') continue;
    const node = graph.node(layer);
    if (node.className !== className) {
      throw new RecipeError(`${step}: ${layer} is a ${node.className} layer; ${hint}`);
    }
  }
}

/** A layer's own entry in a per-layer value, if it has one (own keys only). */
export function ownValue(value: PerLayerValue, layer: string): number | undefined {
  return Object.hasOwn(value, layer) ? value[layer] : undefined;
}

/** Params and MACs a set of nodes has in the graph. */
export function cost(
  graph: LayerGraph,
  names: readonly string[],
): { params: number; macs: number } {
  const info = graph.info();
  let params = 0;
  let macs = 0;
  for (const name of names) {
    const i = info.get(name)!;
    params += i.params;
    macs += i.macs;
  }
  return { params, macs };
}

/** A name for a factor layer that the graph does not use yet. */
export function freshName(graph: LayerGraph, base: string, taken: Set<string>): string {
  let name = base;
  for (let k = 2; graph.hasNode(name) || taken.has(name); k++) name = `${base}${k}`;
  taken.add(name);
  return name;
}

export function energyOf(values: ArrayLike<number>, rank: number): number {
  let total = 0;
  let kept = 0;
  for (let i = 0; i < values.length; i++) {
    total += values[i] * values[i];
    if (i < rank) kept += values[i] * values[i];
  }
  return total > 0 ? kept / total : 1;
}

/** Rounds a spectrum for the report (plain JSON, a few significant digits). */
export const spectrumValues = (s: ArrayLike<number>) =>
  Array.from(s, (x) => Number(x.toPrecision(5)));

export const kernelOf = (node: GraphNode) => node.weights.find((w) => w.role === 'kernel');
export const biasOf = (node: GraphNode) => node.weights.find((w) => w.role === 'bias');

/** Checks an explicit rank against the mode's size, naming the step and the layer. */
export function checkRank(step: string, layer: string, what: string, rank: number, max: number) {
  if (!Number.isInteger(rank) || rank < 1 || rank > max) {
    throw new RecipeError(
      `${step}: ${what} of ${layer} must be between 1 and ${max} (got ${rank})`,
    );
  }
}

/** The warning for a decomposition that makes a layer bigger than it was. */
export function growthWarning(
  step: string,
  layer: string,
  before: number,
  after: number,
): string | null {
  return after > before
    ? `${step}: ${layer} has ${after} weights after decomposition, more than its ${before} before (the ranks are too high to save anything)`
    : null;
}
