/**
 * Whether two runs of the history can be compared image by image (McNemar's paired test): only
 * on the same test images, so the same data set, and only when both kept each image's
 * predicted class (runs recorded before it was kept, and runs imported from files, did not).
 */
import { dataSetInfo, type DataSetId } from '../engine/data/datasets.ts';
import { dataSetOfRun } from './history-export.ts';
import type { RunRecord } from './state.ts';

export type PairedPlan =
  | {
      readonly ok: true;
      readonly data: DataSetId;
      readonly a: Uint16Array;
      readonly b: Uint16Array;
      /** The shared test images. */
      readonly total: number;
    }
  | { readonly ok: false; readonly reason: string };

/** What comparing run `b` against run `a` needs, or why there is no paired comparison. */
export function planPairedComparison(a: RunRecord, b: RunRecord): PairedPlan {
  const [dataA, dataB] = [dataSetOfRun(a.result), dataSetOfRun(b.result)];
  if (dataA !== dataB) {
    return {
      ok: false,
      reason: `No paired comparison: run ${a.runId} measured on ${dataSetInfo(dataA).name} and run ${b.runId} on ${dataSetInfo(dataB).name}, different test images.`,
    };
  }
  const missing = [a, b].filter((run) => run.result.predicted === undefined);
  if (missing.length > 0) {
    const which = missing.map((run) => `run ${run.runId}`).join(' and ');
    return {
      ok: false,
      reason: `No paired comparison: ${which} kept no per-image answers (recorded before they were kept, or imported from a file).`,
    };
  }
  return {
    ok: true,
    data: dataA,
    a: a.result.predicted!,
    b: b.result.predicted!,
    total: a.result.total,
  };
}
