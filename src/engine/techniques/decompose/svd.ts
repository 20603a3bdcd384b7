/**
 * Low-rank SVD of dense layers: a Dense layer with kernel W [in, out] becomes two Dense layers,
 * in -> r (no bias, no activation) and r -> out (the original bias and activation), holding the
 * truncated SVD of W: r (in + out) weights instead of in x out, and as many fewer MACs. The rank
 * is given per layer or chosen as the smallest that keeps the given fraction of the sum of the
 * squared singular values ("energy").
 *
 * Parameters: `energy` per layer (1 = leave the layer as it is) and `rank` per layer (0 = chosen
 * by energy; a positive rank overrides energy). "*" covers every dense layer except the
 * network's output layer (the classifier), which is decomposed only when named.
 */
import { replaceNode } from '../../model/edit.ts';
import { makeWeight, type GraphNode, type LayerGraph } from '../../model/graph.ts';
import { RecipeError } from '../../recipe/errors.ts';
import { techniqueSpec } from '../catalog.ts';
import { perLayerParam, type Technique } from '../technique.ts';
import {
  biasOf,
  checkTargetLayers,
  checkRank,
  cost,
  energyOf,
  freshName,
  growthWarning,
  kernelOf,
  ownValue,
  spectrumValues,
  type DecomposedLayerReport,
  type DecompositionReport,
} from './common.ts';
import { makeCheckpoint } from '../../cancel.ts';
import { denseSvd, svdFactors } from './factorize.ts';
import { rankForEnergy, type Svd } from './linalg.ts';

const STEP = 'svd';

export const svdDecompose: Technique = {
  ...techniqueSpec('svd'),
  async apply(graph, params, context): Promise<DecompositionReport> {
    const energy = perLayerParam(params, 'energy');
    const rank = perLayerParam(params, 'rank');
    checkTargetLayers(
      graph,
      STEP,
      { energy, rank },
      'Dense',
      'SVD applies to Dense layers (use tucker2 for conv layers)',
    );
    const targets: { node: GraphNode; rank: number; energy: number }[] = [];
    for (const node of graph.weightedLayers()) {
      if (node.className !== 'Dense') continue;
      const named =
        ownValue(energy, node.name) !== undefined || ownValue(rank, node.name) !== undefined;
      if (!named && node.name === graph.output) continue;
      const e = ownValue(energy, node.name) ?? energy['*'] ?? 1;
      const r = ownValue(rank, node.name) ?? rank['*'] ?? 0;
      if (r === 0 && e >= 1) continue;
      targets.push({ node, rank: r, energy: e });
    }
    // Every rank is checked before any layer changes, so a refused step leaves the graph whole.
    for (const { node, rank: given } of targets) {
      const [inUnits, units] = kernelOf(node)!.shape;
      if (given > 0) checkRank(STEP, node.name, 'the rank', given, Math.min(inUnits, units));
    }
    const warnings: string[] = [];
    const layers: DecomposedLayerReport[] = [];
    const taken = new Set<string>();
    const checkpoint = makeCheckpoint(context.signal);
    for (const { node, rank: given, energy: e } of targets) {
      const kernel = kernelOf(node)!;
      const [inUnits, units] = kernel.shape;
      // The spectrum is needed first to choose a rank by energy; the factors reuse it.
      const decomposition = await denseSvd(kernel.values, inUnits, units, checkpoint);
      const s = decomposition.s;
      const r = given > 0 ? given : rankForEnergy(s, e);
      const before = cost(graph, [node.name]);
      const [a, b] = replaceBySvdFactors(graph, node, decomposition, r, taken);
      const after = cost(graph, [a, b]);
      const kept = energyOf(s, r);
      layers.push({
        name: node.name,
        method: 'svd',
        kernelShape: [...kernel.shape],
        spectra: [
          {
            mode: 'matrix',
            values: spectrumValues(s),
            rank: r,
            source: given > 0 ? 'given' : 'energy',
            energyKept: kept,
          },
        ],
        factors: [a, b],
        paramsBefore: before.params,
        paramsAfter: after.params,
        macsBefore: before.macs,
        macsAfter: after.macs,
        relativeError: Math.sqrt(Math.max(0, 1 - kept)),
      });
      const grown = growthWarning(STEP, node.name, before.params, after.params);
      if (grown) warnings.push(grown);
    }
    if (targets.length === 0) {
      throw new RecipeError(
        `${STEP}: no dense layer to decompose (name one, e.g. rank=fc1:32, or set energy below 100%)`,
      );
    }
    return { decomposition: layers, warnings };
  },
};

/**
 * Replaces a Dense layer by two holding its SVD truncated to `rank`: in -> rank (no bias, no
 * activation), then rank -> out with the layer's bias and activation. Returns their names.
 */
export function replaceBySvdFactors(
  graph: LayerGraph,
  node: GraphNode,
  decomposition: Svd,
  rank: number,
  taken: Set<string>,
): [string, string] {
  const [inUnits, units] = kernelOf(node)!.shape;
  const { first, second } = svdFactors(decomposition, rank);
  const bias = biasOf(node);
  const a = freshName(graph, `${node.name}_u`, taken);
  const b = freshName(graph, `${node.name}_v`, taken);
  const chain: GraphNode[] = [
    {
      name: a,
      className: 'Dense',
      config: { ...node.config, name: a, units: rank, activation: 'linear', useBias: false },
      inbound: [],
      weights: [makeWeight(a, 'kernel', [inUnits, rank], first)],
    },
    {
      name: b,
      className: 'Dense',
      config: { ...node.config, name: b, units },
      inbound: [],
      weights: [
        makeWeight(b, 'kernel', [rank, units], second),
        ...(bias ? [makeWeight(b, 'bias', bias.shape, bias.values.slice())] : []),
      ],
    },
  ];
  replaceNode(graph, node.name, chain);
  return [a, b];
}
