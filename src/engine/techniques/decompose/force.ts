/**
 * Force regularization as a recipe step (Wen et al., ICCV 2017): fine-tunes with the force term
 * of train/force.ts on the chosen layers, so their filters gather and a later svd or tucker2 step
 * loses less at the same rank. The report gives each layer's singular values (filters as rows)
 * before and after, and the rank that keeps 95% of their energy (the authors' --rankratio).
 *
 * `strength` per layer is lambda (force_decay x force_mult); 0 leaves a layer free. "*" covers
 * every conv and dense layer except the network's output layer.
 */
import { RecipeError } from '../../recipe/errors.ts';
import { forceRegularizer, type ForceTerm, type ForceType } from '../../train/force.ts';
import { techniqueSpec } from '../catalog.ts';
import { choiceParam, perLayerParam, type Technique } from '../technique.ts';
import { trainRequest } from '../train/training-params.ts';
import { checkNamedLayers, kernelOf, ownValue, spectrumValues } from './common.ts';
import { matrix, rankForEnergy, singularValues } from './linalg.ts';

/** Energy the report's "rank" keeps (the authors' decomposer default of 95%). */
export const FORCE_REPORT_ENERGY = 0.95;

/** Singular values of a kernel with its filters as rows ([out, rest]; same values as [rest, out]). */
export function filterSpectrum(values: Float32Array, shape: readonly number[]): Float64Array {
  const outC = shape[shape.length - 1];
  return singularValues(matrix(values.length / outC, outC, values));
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
    const spectra = (layer: string) => {
      const kernel = kernelOf(graph.node(layer))!;
      return filterSpectrum(kernel.values, kernel.shape);
    };
    const before = new Map(terms.map((t) => [t.layer, spectra(t.layer)]));
    const type = choiceParam<ForceType>(params, 'type');
    const training = await context.train(graph, {
      ...trainRequest(params),
      regularizers: [forceRegularizer(terms, type)],
    });
    const layers = terms.map((t) => {
      const after = spectra(t.layer);
      const was = before.get(t.layer)!;
      return {
        name: t.layer,
        strength: t.lambda,
        before: spectrumValues(was),
        after: spectrumValues(after),
        rankBefore: rankForEnergy(was, FORCE_REPORT_ENERGY),
        rankAfter: rankForEnergy(after, FORCE_REPORT_ENERGY),
      };
    });
    return { training: training.epochs, force: { type, energy: FORCE_REPORT_ENERGY, layers } };
  },
};
