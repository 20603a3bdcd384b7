/**
 * A run's decompositions in one object, for `complab reproduce` and the benchmark: the ranks of
 * every decomposed layer, params and MACs of those layers before and after, the warnings, and
 * the accuracy right after the last decomposition (before fine-tuning). Plain data, no tfjs.
 */
import type { StepReport } from '../technique.ts';
import type { DecomposedLayerReport } from './common.ts';

export interface DecompositionSummary {
  /** Per layer: { rank } (SVD) or { in, out } (Tucker-2), with how each was chosen. */
  readonly ranks: Record<string, Record<string, number | string>>;
  readonly layers: Record<
    string,
    {
      readonly method: string;
      readonly paramsBefore: number;
      readonly paramsAfter: number;
      readonly macsBefore: number;
      readonly macsAfter: number;
      readonly relativeError: number;
    }
  >;
  readonly paramsBefore: number;
  readonly paramsAfter: number;
  readonly macsBefore: number;
  readonly macsAfter: number;
  /** macsBefore / macsAfter over the decomposed layers. */
  readonly macsReduction: number;
  readonly warnings: readonly string[];
  /** Test accuracy after the last decomposition step, before any fine-tuning that follows. */
  readonly accuracyBeforeFinetune?: number;
}

interface StepLike {
  readonly technique: string;
  readonly accuracy: number;
  readonly report?: StepReport;
}

export function decompositionSummary(steps: readonly StepLike[]): DecompositionSummary | undefined {
  const ranks: DecompositionSummary['ranks'] = {};
  const layers: Record<string, DecompositionSummary['layers'][string]> = {};
  const warnings: string[] = [];
  let accuracyBeforeFinetune: number | undefined;
  for (const step of steps) {
    const decomposed = step.report?.decomposition as readonly DecomposedLayerReport[] | undefined;
    if (!Array.isArray(decomposed)) continue;
    accuracyBeforeFinetune = step.accuracy;
    warnings.push(...((step.report?.warnings as string[] | undefined) ?? []));
    for (const layer of decomposed) {
      const entry: Record<string, number | string> = {};
      for (const spectrum of layer.spectra) {
        const key = spectrum.mode === 'matrix' ? 'rank' : spectrum.mode;
        entry[key] = spectrum.rank;
        entry[`${key}Source`] = spectrum.source;
      }
      ranks[layer.name] = entry;
      layers[layer.name] = {
        method: layer.method,
        paramsBefore: layer.paramsBefore,
        paramsAfter: layer.paramsAfter,
        macsBefore: layer.macsBefore,
        macsAfter: layer.macsAfter,
        relativeError: layer.relativeError,
      };
    }
  }
  const all = Object.values(layers);
  if (all.length === 0) return undefined;
  const sum = (key: 'paramsBefore' | 'paramsAfter' | 'macsBefore' | 'macsAfter') =>
    all.reduce((total, l) => total + l[key], 0);
  return {
    ranks,
    layers,
    paramsBefore: sum('paramsBefore'),
    paramsAfter: sum('paramsAfter'),
    macsBefore: sum('macsBefore'),
    macsAfter: sum('macsAfter'),
    macsReduction: sum('macsBefore') / sum('macsAfter'),
    warnings,
    accuracyBeforeFinetune,
  };
}
