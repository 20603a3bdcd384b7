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
import { normalizeStep } from '../../recipe/recipe.ts';
import { forceRegularizer, type ForceTerm, type ForceType } from '../../train/force.ts';
import { techniqueSpec } from '../catalog.ts';
import { choiceParam, perLayerParam, type Technique, type TechniqueContext } from '../technique.ts';
import { trainRequest } from '../train/training-params.ts';
import { checkNamedLayers, kernelOf, ownValue, spectrumValues } from './common.ts';
import { makeCheckpoint, type Checkpoint } from '../../cancel.ts';
import { matrix, rankForEnergy, singularValues } from './linalg.ts';
import { svdDecompose } from './svd.ts';
import { tucker2 } from './tucker2.ts';

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

/** Check-digit accuracy of `graph` with `layer` alone cut to `rank`. */
async function accuracyAtRank(
  graph: LayerGraph,
  layer: string,
  rank: number,
  context: TechniqueContext,
): Promise<number> {
  const probe = graph.clone();
  if (probe.node(layer).className === 'Conv2D') {
    const step = normalizeStep('tucker2', { rankIn: { [layer]: -1 }, rankOut: { [layer]: rank } });
    await tucker2.apply(probe, step.params, context);
  } else {
    const step = normalizeStep('svd', { rank: { [layer]: rank }, energy: { '*': 1 } });
    await svdDecompose.apply(probe, step.params, context);
  }
  return context.validationAccuracy(probe);
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
      const after = await spectra(t.layer);
      const was = before.get(t.layer)!;
      const accuracy: { rank: number; without: number; with: number }[] = [];
      for (const rank of probeRanks(kernelOf(graph.node(t.layer))!.shape)) {
        const without = await accuracyAtRank(received, t.layer, rank, context);
        const withForce = await accuracyAtRank(graph, t.layer, rank, context);
        probed += 2;
        context.progress({ fraction: 0.85 + (0.15 * probed) / probes, phase: 'accuracy per rank' });
        accuracy.push({ rank, without, with: withForce });
      }
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
