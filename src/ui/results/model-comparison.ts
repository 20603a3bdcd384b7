/**
 * The data of the model comparison view: every shipped model's baseline (from its card) and the
 * compressed runs of it in the history, with the Pareto-best ones marked. React-free.
 */
import type { DataSetId } from '../../engine/data/datasets.ts';
import { MODEL_GROUPS, cardsOn, type ModelCard } from '../../engine/model/catalog.ts';
import { dataSetOfRun } from '../../store/history-export.ts';
import type { RunRecord } from '../../store/state.ts';
import { paretoFlags as frontFlags } from './pareto.ts';

export interface ComparisonPoint {
  readonly sizeBytes: number;
  readonly accuracy: number;
  /** The recipe's steps, or null for the uncompressed baseline. */
  readonly recipeText: string | null;
  readonly runId: number | null;
  /** No other point of the same model is at least as small and at least as accurate. */
  readonly paretoBest: boolean;
}

export interface ModelSeries {
  readonly id: string;
  readonly name: string;
  readonly group: string;
  readonly baseline: ComparisonPoint;
  /** Compressed runs, one per recipe (the latest run of it), smallest first. */
  readonly runs: readonly ComparisonPoint[];
}

/** The points no other point dominates (smaller or equal size and higher or equal accuracy). */
export function paretoFlags(
  points: readonly { readonly sizeBytes: number; readonly accuracy: number }[],
): boolean[] {
  return frontFlags(points.map((p) => ({ cost: p.sizeBytes, accuracy: p.accuracy })));
}

/**
 * One series per card of data set `data` (figures on different test splits do not share a
 * plot), with that data set's runs: the baseline's size is the card's (the lab's count of the
 * float32 weights), else a run's measured baseline, else 4 bytes per parameter.
 */
export function comparisonSeries(
  cards: readonly ModelCard[],
  runs: readonly RunRecord[],
  data: DataSetId,
): ModelSeries[] {
  const groupOf = (id: string) => MODEL_GROUPS.find((g) => g.ids.some((m) => m === id))?.label;
  const runsOnData = runs.filter((r) => dataSetOfRun(r.result) === data);
  return cardsOn(cards, data).map((card) => {
    const ofModel = runsOnData.filter((r) => r.result.model === card.id);
    const latestByRecipe = new Map<string, RunRecord>();
    for (const run of ofModel) {
      if (run.result.steps.length > 0) latestByRecipe.set(run.result.recipeText, run);
    }
    const compressed = [...latestByRecipe.values()].sort(
      (a, b) => a.result.sizeBytes - b.result.sizeBytes,
    );
    const baselineSize =
      card.sizeBytes ?? ofModel.at(-1)?.result.baselineSizeBytes ?? card.params * 4;
    const all = [
      { sizeBytes: baselineSize, accuracy: card.testAccuracy },
      ...compressed.map((r) => ({ sizeBytes: r.result.sizeBytes, accuracy: r.result.accuracy })),
    ];
    const flags = paretoFlags(all);
    return {
      id: card.id,
      name: card.name,
      group: groupOf(card.id) ?? 'other',
      baseline: { ...all[0], recipeText: null, runId: null, paretoBest: flags[0] },
      runs: compressed.map((r, k) => ({
        ...all[k + 1],
        recipeText: r.result.recipeText,
        runId: r.runId,
        paretoBest: flags[k + 1],
      })),
    };
  });
}
