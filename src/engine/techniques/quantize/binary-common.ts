/**
 * What the ternary and binary techniques (TTQ, BinaryConnect, XNOR-Net) share: which layers a
 * step quantizes (per-layer switches, first and last layer kept float on request), the
 * parameters that say so, and the size their storage codings imply.
 */
import type { WeightCoding } from '../../model/coding.ts';
import type { GraphNode, LayerGraph, WeightTensor } from '../../model/graph.ts';
import { RecipeError } from '../../recipe/errors.ts';
import { booleanParam, perLayerParam, type ParamSpec, type TechniqueParams } from '../technique.ts';

export function layerChoiceParams(what: string, keepEnds: boolean): ParamSpec[] {
  return [
    {
      type: 'perLayer',
      name: 'targets',
      label: `Layers ${what}`,
      min: 0,
      max: 1,
      step: 1,
      default: { '*': 1 },
      description: `per layer: 1 ${what} it, 0 keeps it float (a layer named here overrides the two switches below)`,
    },
    {
      type: 'boolean',
      name: 'keepFirst',
      label: 'First layer float',
      default: keepEnds,
      description: 'keep the first conv or dense layer in full precision, as the papers do',
    },
    {
      type: 'boolean',
      name: 'keepLast',
      label: 'Last layer float',
      default: keepEnds,
      description: 'keep the classifier (the last layer) in full precision, as the papers do',
    },
  ];
}

/**
 * The layers a step quantizes, in graph order. `refuse` says why a layer cannot take the
 * technique (or undefined): a layer named explicitly that cannot is an error naming it; one
 * reached only through "*" is left float and listed in `skipped`.
 */
export function chooseLayers(
  graph: LayerGraph,
  params: TechniqueParams,
  refuse: (node: GraphNode) => string | undefined,
): { layers: GraphNode[]; skipped: Record<string, string> } {
  const choice = perLayerParam(params, 'targets');
  const weighted = graph.weightedLayers();
  const first = weighted[0]?.name;
  const last = weighted.at(-1)?.name;
  for (const name of Object.keys(choice)) {
    if (name !== '*' && choice[name] && !weighted.some((n) => n.name === name)) {
      throw new RecipeError(`layer "${name}" has no conv or dense kernel to quantize`);
    }
  }
  const layers: GraphNode[] = [];
  const skipped: Record<string, string> = {};
  for (const node of weighted) {
    const named = Object.hasOwn(choice, node.name);
    const value = named ? choice[node.name] : (choice['*'] ?? 1);
    if (!value) continue;
    if (!named && booleanParam(params, 'keepFirst') && node.name === first) continue;
    if (!named && booleanParam(params, 'keepLast') && node.name === last) continue;
    const why = refuse(node);
    if (why && named) throw new RecipeError(`layer "${node.name}" ${why}`);
    if (why) {
      skipped[node.name] = why;
      continue;
    }
    layers.push(node);
  }
  if (layers.length === 0) throw new RecipeError('no layer is left to quantize');
  return { layers, skipped };
}

export const kernelOf = (node: GraphNode): WeightTensor => node.weights.find((w) => w.prunable)!;

/** Bits a coding spends per weight (32 for float). */
export function bitsOf(coding: WeightCoding | undefined): number {
  if (!coding) return 32;
  if (coding.kind === 'ternary') return 2;
  if (coding.kind === 'binary') return 1;
  return coding.bits;
}

/**
 * Bytes a tensor takes in its coding, payload only (no names or shapes): packed codes plus
 * scales; floats 4 bytes each. Ternary: 2 bits a weight + two float32 scales; binary: 1 bit a
 * weight + one float32 scale per output channel (or one for the tensor).
 */
export function codedBytes(w: WeightTensor): number {
  const n = w.values.length;
  const c = w.coding;
  if (c?.kind === 'ternary') return Math.ceil((2 * n) / 8) + 8;
  if (c?.kind === 'binary') return Math.ceil(n / 8) + 4 * c.scales.length;
  return 4 * n;
}

export interface CodingSummary {
  /** Payload bytes of every weight of the graph in its coding (floats where it has none). */
  readonly bytes: number;
  /** The reference graph (the baseline when given, else this one) all in float32. */
  readonly floatBytes: number;
  readonly ratio: number;
  readonly layers: Record<
    string,
    { className: string; weights: number; bits: number; scales: number; bytes: number }
  >;
}

/** The size the graph's codings imply, computed on their own (independent of the encoder). */
export function codingSummary(graph: LayerGraph, baseline: LayerGraph = graph): CodingSummary {
  let bytes = 0;
  const layers: CodingSummary['layers'] = {};
  for (const node of graph.nodes) {
    let layerBytes = 0;
    for (const w of node.weights) {
      layerBytes += codedBytes(w);
    }
    bytes += layerBytes;
    const kernel = node.weights.find((w) => w.prunable);
    if (!kernel) continue;
    const c = kernel.coding;
    layers[node.name] = {
      className: node.className,
      weights: kernel.values.length,
      bits: bitsOf(c),
      scales: c?.kind === 'ternary' ? 2 : c?.kind === 'binary' ? c.scales.length : 0,
      bytes: layerBytes,
    };
  }
  const floatBytes = 4 * baseline.params;
  return { bytes, floatBytes, ratio: floatBytes / bytes, layers };
}
