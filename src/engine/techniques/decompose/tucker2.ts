/**
 * Tucker-2 decomposition of conv kernels over their input- and output-channel modes (Kim et al.,
 * ICLR 2016): a Conv2D with kernel [k, k, S, T] becomes three Conv2D layers with no activation
 * between them: 1x1 S -> R_in, k x k R_in -> R_out with the original stride, padding and
 * dilation (the core), and 1x1 R_out -> T with the original bias and activation.
 *
 * Ranks per layer and mode (`rankIn`, `rankOut`): a positive value is that rank; 0 = automatic,
 * by analytic VBMF on that mode's unfolding as Kim et al. choose them; -1 = the whole mode (no
 * reduction along it). A layer with both modes at -1 is left as it is. When VBMF finds no
 * singular value above the noise, the mode keeps the smallest rank holding 90% of the squared
 * singular values, and the report says so. "*" covers every conv layer with more than 3 input
 * channels (Kim et al. leave the first layer, on the image's few channels, to SVD).
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
  type SpectrumReport,
} from './common.ts';
import { makeCheckpoint } from '../../cancel.ts';
import { tucker2Factors, unfold, type ConvShape, type TuckerFactors } from './factorize.ts';
import { rankForEnergy, singularValues } from './linalg.ts';
import { vbmfFromSingularValues } from './vbmf.ts';

const STEP = 'tucker2';
/** Energy kept when VBMF finds nothing above the noise. */
export const VBMF_FALLBACK_ENERGY = 0.9;

export const tucker2: Technique = {
  ...techniqueSpec('tucker2'),
  async apply(graph, params, context): Promise<DecompositionReport> {
    const rankIn = perLayerParam(params, 'rankIn');
    const rankOut = perLayerParam(params, 'rankOut');
    checkTargetLayers(
      graph,
      STEP,
      { rankIn, rankOut },
      'Conv2D',
      'Tucker-2 applies to Conv2D layers (use svd for dense layers)',
    );
    const targets: { node: GraphNode; rankIn: number; rankOut: number }[] = [];
    for (const node of graph.weightedLayers()) {
      if (node.className !== 'Conv2D') continue;
      const inC = kernelOf(node)!.shape[2];
      const named =
        ownValue(rankIn, node.name) !== undefined || ownValue(rankOut, node.name) !== undefined;
      if (!named && inC <= 3) continue;
      const rIn = ownValue(rankIn, node.name) ?? rankIn['*'] ?? -1;
      const rOut = ownValue(rankOut, node.name) ?? rankOut['*'] ?? -1;
      if (rIn === -1 && rOut === -1) continue;
      targets.push({ node, rankIn: rIn, rankOut: rOut });
    }
    if (targets.length === 0) {
      throw new RecipeError(
        `${STEP}: no conv layer to decompose (name one, e.g. rankIn=conv2:8, or set a rank above -1)`,
      );
    }
    // Every given rank is checked before any layer changes, so a refused step leaves the graph whole.
    for (const { node, rankIn: rIn, rankOut: rOut } of targets) {
      const [, , inC, outC] = kernelOf(node)!.shape;
      if (rIn > 0) checkRank(STEP, node.name, 'rankIn', rIn, inC);
      if (rOut > 0) checkRank(STEP, node.name, 'rankOut', rOut, outC);
    }
    const warnings: string[] = [];
    const layers: DecomposedLayerReport[] = [];
    const taken = new Set<string>();
    const checkpoint = makeCheckpoint(context.signal);
    for (const target of targets) {
      const { node } = target;
      const kernel = kernelOf(node)!;
      const [kh, kw, inC, outC] = kernel.shape;
      const shape: ConvShape = { kh, kw, inC, outC };
      const chooseRank = async (mode: 'in' | 'out', setting: number): Promise<SpectrumReport> => {
        const unfolding = unfold(kernel.values, shape, mode);
        const s = await singularValues(unfolding, checkpoint);
        const spectrum = (rank: number, source: SpectrumReport['source']): SpectrumReport => ({
          mode,
          values: spectrumValues(s),
          rank,
          source,
          energyKept: energyOf(s, rank),
        });
        if (setting === -1) return spectrum(mode === 'in' ? inC : outC, 'full');
        if (setting > 0) return spectrum(setting, 'given');
        const found = vbmfFromSingularValues(s, unfolding.rows, unfolding.cols);
        if (found.rank > 0) return spectrum(found.rank, 'vbmf');
        const fallback = rankForEnergy(s, VBMF_FALLBACK_ENERGY);
        warnings.push(
          `${STEP}: VBMF found no signal above the noise in the ${mode === 'in' ? 'input' : 'output'}-channel mode of ${node.name}; kept rank ${fallback}, the smallest holding ${VBMF_FALLBACK_ENERGY * 100}% of the squared singular values`,
        );
        return spectrum(fallback, 'vbmf-fallback');
      };
      const spectrumIn = await chooseRank('in', target.rankIn);
      const spectrumOut = await chooseRank('out', target.rankOut);
      const factors = await tucker2Factors(
        kernel.values,
        shape,
        spectrumIn.rank,
        spectrumOut.rank,
        undefined,
        checkpoint,
      );
      const before = cost(graph, [node.name]);
      const names = replaceByTuckerFactors(graph, node, factors, taken);
      const after = cost(graph, names);
      layers.push({
        name: node.name,
        method: 'tucker2',
        kernelShape: [...kernel.shape],
        spectra: [spectrumOut, spectrumIn],
        factors: names,
        paramsBefore: before.params,
        paramsAfter: after.params,
        macsBefore: before.macs,
        macsAfter: after.macs,
        relativeError: factors.relativeError,
      });
      const grown = growthWarning(STEP, node.name, before.params, after.params);
      if (grown) warnings.push(grown);
    }
    return { decomposition: layers, warnings };
  },
};

/**
 * Replaces a Conv2D layer by the three holding its Tucker-2 factors: 1x1 S -> R_in, the k x k
 * core R_in -> R_out with the layer's stride, padding and dilation, and 1x1 R_out -> T with its
 * bias and activation. Returns their names.
 */
export function replaceByTuckerFactors(
  graph: LayerGraph,
  node: GraphNode,
  factors: TuckerFactors,
  taken: Set<string>,
): string[] {
  const [kh, kw, inC, outC] = kernelOf(node)!.shape;
  const rankIn = factors.first.length / inC;
  const rankOut = factors.last.length / outC;
  const bias = biasOf(node);
  const names = ['in', 'core', 'out'].map((part) =>
    freshName(graph, `${node.name}_${part}`, taken),
  );
  const pointwise = {
    kernelSize: [1, 1],
    strides: [1, 1],
    padding: 'valid',
    dilationRate: [1, 1],
  };
  const chain: GraphNode[] = [
    {
      name: names[0],
      className: 'Conv2D',
      config: {
        ...node.config,
        ...pointwise,
        name: names[0],
        filters: rankIn,
        activation: 'linear',
        useBias: false,
      },
      inbound: [],
      weights: [makeWeight(names[0], 'kernel', [1, 1, inC, rankIn], factors.first)],
    },
    {
      name: names[1],
      className: 'Conv2D',
      config: {
        ...node.config,
        name: names[1],
        filters: rankOut,
        activation: 'linear',
        useBias: false,
      },
      inbound: [],
      weights: [makeWeight(names[1], 'kernel', [kh, kw, rankIn, rankOut], factors.core)],
    },
    {
      name: names[2],
      className: 'Conv2D',
      config: { ...node.config, ...pointwise, name: names[2], filters: outC },
      inbound: [],
      weights: [
        makeWeight(names[2], 'kernel', [1, 1, rankOut, outC], factors.last),
        ...(bias ? [makeWeight(names[2], 'bias', bias.shape, bias.values.slice())] : []),
      ],
    },
  ];
  replaceNode(graph, node.name, chain);
  return names;
}
