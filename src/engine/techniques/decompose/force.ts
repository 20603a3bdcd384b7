/**
 * Force regularization as a recipe step (Wen et al., ICCV 2017): fine-tunes with the force term
 * of train/force.ts on the chosen layers, so their filters gather and a later svd or tucker2 step
 * loses less at the same rank. The report gives each layer's singular values (filters as rows)
 * before and after, and the rank that keeps 95% of their energy (the authors' --rankratio).
 *
 * `strength` per layer is lambda (force_decay x force_mult); 0 leaves a layer free. "*" covers
 * every conv and dense layer except the network's output layer.
 *
 * The report also holds, per layer, the accuracy on the check digits (held-out training digits)
 * of the network with that layer alone cut to each of a few ranks, as the step received it
 * (without force) and as it leaves it (with force): conv layers by Tucker-2 of the output mode
 * (the input mode whole; the filter matrix's rank, which the force lowers), dense layers by SVD.
 */
import type { LayerGraph } from '../../model/graph.ts';
import { RecipeError } from '../../recipe/errors.ts';
import { forceRegularizer, type ForceTerm, type ForceType } from '../../train/force.ts';
import { techniqueSpec } from '../catalog.ts';
import { choiceParam, perLayerParam, type Technique } from '../technique.ts';
import { trainRequest } from '../train/training-params.ts';
import { checkNamedLayers, kernelOf, ownValue, spectrumValues } from './common.ts';
import { makeCheckpoint, type Checkpoint } from '../../cancel.ts';
import { denseSvd, hosvdBasis, tucker2Factors, type ConvShape } from './factorize.ts';
import { matrix, rankForEnergy, singularValues } from './linalg.ts';
import { replaceBySvdFactors } from './svd.ts';
import { replaceByTuckerFactors } from './tucker2.ts';

/** Energy the report's "rank" keeps (the authors' decomposer default of 95%). */
export const FORCE_REPORT_ENERGY = 0.95;

/** Singular values of a kernel with its filters as rows ([out, rest]; same values as [rest, out]). */
export function filterSpectrum(
  values: Float32Array,
  shape: readonly number[],
  checkpoint?: Checkpoint,
): Promise<Float64Array> {
  const outC = shape[shape.length - 1];
  return singularValues(matrix(values.length / outC, outC, values), checkpoint);
}

/** Ranks the accuracy curves probe: powers of two below half the layer's largest rank, up to 64. */
export function probeRanks(kernelShape: readonly number[]): number[] {
  const outC = kernelShape[kernelShape.length - 1];
  const size = kernelShape.reduce((a, b) => a * b, 1);
  const largest = Math.min(outC, size / outC);
  return [2, 4, 8, 16, 32, 64].filter((r) => r <= largest / 2);
}

/** `graph` with `layer` alone cut to a rank, as tucker2 (conv) or svd (dense) would cut it. */
type RankCut = (rank: number) => Promise<LayerGraph>;

/**
 * The cuts of one layer at every probed rank, sharing the rank-independent work: a dense
 * layer's full SVD (svd truncates that same decomposition at any rank), a conv layer's HOSVD
 * basis (Tucker-2 starts from its leading columns; the HOOI sweeps after it depend on the rank).
 * Each cut equals what the svd or tucker2 step alone on that layer at that rank gives, to the bit.
 * Also returns the layer's filter spectrum when the decomposition already holds it.
 */
export async function rankCuts(
  graph: LayerGraph,
  layer: string,
  checkpoint: Checkpoint,
): Promise<{ cut: RankCut; spectrum?: Float64Array }> {
  const kernel = kernelOf(graph.node(layer))!;
  if (graph.node(layer).className === 'Conv2D') {
    const [kh, kw, inC, outC] = kernel.shape;
    const shape: ConvShape = { kh, kw, inC, outC };
    const basis = await hosvdBasis(kernel.values, shape, checkpoint);
    const cut = async (rank: number) => {
      // The input mode whole (tucker2's rankIn -1), the output mode at `rank`.
      const factors = await tucker2Factors(
        kernel.values,
        shape,
        inC,
        rank,
        undefined,
        checkpoint,
        basis,
      );
      const probe = graph.clone();
      replaceByTuckerFactors(probe, probe.node(layer), factors, new Set());
      return probe;
    };
    return { cut };
  }
  const [inUnits, units] = kernel.shape;
  const decomposition = await denseSvd(kernel.values, inUnits, units, checkpoint);
  const cut = async (rank: number) => {
    await checkpoint();
    const probe = graph.clone();
    replaceBySvdFactors(probe, probe.node(layer), decomposition, rank, new Set());
    return probe;
  };
  // The same matrix [in, out] as filterSpectrum's, through the same Gram matrix and eigensolver.
  return { cut, spectrum: decomposition.s };
}

export const force: Technique = {
  ...techniqueSpec('force'),
  async apply(graph, params, context) {
    const strength = perLayerParam(params, 'strength');
    checkNamedLayers(graph, strength, 'force strength');
    const terms: (ForceTerm & { layer: string })[] = [];
    for (const node of graph.weightedLayers()) {
      const kernel = kernelOf(node);
      if (!kernel || (node.className !== 'Conv2D' && node.className !== 'Dense')) {
        if (ownValue(strength, node.name)) {
          throw new RecipeError(
            `force: ${node.name} is a ${node.className} layer; force regularization applies to Conv2D and Dense filters`,
          );
        }
        continue;
      }
      const own = ownValue(strength, node.name);
      if (own === undefined && node.name === graph.output) continue;
      const lambda = own ?? strength['*'] ?? 0;
      if (lambda > 0) terms.push({ weight: kernel.name, lambda, layer: node.name });
    }
    if (terms.length === 0) {
      throw new RecipeError(
        'force: every strength is 0, so nothing would pull the filters together',
      );
    }
    const checkpoint = makeCheckpoint(context.signal);
    const spectra = (layer: string) => {
      const kernel = kernelOf(graph.node(layer))!;
      return filterSpectrum(kernel.values, kernel.shape, checkpoint);
    };
    const before = new Map<string, Float64Array>();
    for (const t of terms) before.set(t.layer, await spectra(t.layer));
    const received = graph.clone();
    const type = choiceParam<ForceType>(params, 'type');
    const training = await context.train(graph, {
      ...trainRequest(params),
      regularizers: [forceRegularizer(terms, type)],
      progressSpan: [0, 0.85],
    });
    const probes = terms.reduce(
      (n, t) => n + 2 * probeRanks(kernelOf(graph.node(t.layer))!.shape).length,
      0,
    );
    let probed = 0;
    const layers = [];
    for (const t of terms) {
      const ranks = probeRanks(kernelOf(graph.node(t.layer))!.shape);
      const accuracy: { rank: number; without: number; with: number }[] = [];
      let after: Float64Array | undefined;
      if (ranks.length > 0) {
        const without = await rankCuts(received, t.layer, checkpoint);
        const withForce = await rankCuts(graph, t.layer, checkpoint);
        after = withForce.spectrum;
        for (const rank of ranks) {
          const accuracyWithout = await context.validationAccuracy(await without.cut(rank));
          const accuracyWith = await context.validationAccuracy(await withForce.cut(rank));
          probed += 2;
          context.progress({
            fraction: 0.85 + (0.15 * probed) / probes,
            phase: 'accuracy per rank',
          });
          accuracy.push({ rank, without: accuracyWithout, with: accuracyWith });
        }
      }
      after ??= await spectra(t.layer);
      const was = before.get(t.layer)!;
      layers.push({
        name: t.layer,
        kind: graph.node(t.layer).className === 'Conv2D' ? 'conv' : 'dense',
        strength: t.lambda,
        before: spectrumValues(was),
        after: spectrumValues(after),
        rankBefore: rankForEnergy(was, FORCE_REPORT_ENERGY),
        rankAfter: rankForEnergy(after, FORCE_REPORT_ENERGY),
        accuracy,
      });
    }
    return { training: training.epochs, force: { type, energy: FORCE_REPORT_ENERGY, layers } };
  },
};
