/**
 * The history as files a person keeps: JSON (every run's whole result, as the page holds it,
 * less each test image's predicted class and confidence) and CSV (one row per run, the numbers
 * the history table shows, RFC 4180 quoting so a recipe's commas and quotes survive a
 * spreadsheet). Both say which data set each run measured on.
 */
import { LEGACY_DATA_SET, type DataSetId } from '../engine/data/datasets.ts';
import type { RunResult } from '../engine/lab.ts';
import type { RunRecord } from './state.ts';

/** The data set a run measured on (runs recorded before data sets: mnist-10k). */
export const dataSetOfRun = (result: Pick<RunResult, 'data'>): DataSetId =>
  result.data ?? LEGACY_DATA_SET;

/**
 * A result as JSON keeps it: without `predicted` and `confidence` (a class and two probabilities
 * per test image, 10,000 of each that only the page's paired comparisons read; the paired
 * figures themselves stay).
 */
export function exportableResult(result: RunResult): Omit<RunResult, 'predicted' | 'confidence'> {
  const { predicted: _predicted, confidence: _confidence, ...kept } = result;
  return kept;
}

export const HISTORY_CSV_COLUMNS = [
  'run',
  'time',
  'model',
  'recipe',
  'accuracy',
  'correct',
  'total',
  'sizeBytes',
  'compressionRatio',
  'params',
  'nonzeroParams',
  'macs',
  'latencyMs',
  'backend',
  'trainedOn',
  // Last, so the columns before keep their places in files read by position.
  'data',
] as const;

/** A CSV field: quoted when it holds a comma, a quote or a line break (quotes doubled). */
function csvField(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function historyCsv(runs: readonly RunRecord[]): string {
  const rows = runs.map((run) => {
    const r = run.result;
    return [
      run.runId,
      new Date(run.timestamp).toISOString(),
      r.model,
      run.recipeText,
      r.accuracy,
      r.correct,
      r.total,
      r.sizeBytes,
      r.compressionRatio,
      r.params,
      r.nonzeroParams,
      r.macs,
      r.latencyMs,
      r.backend,
      r.trainedOn,
      dataSetOfRun(r),
    ].map(csvField);
  });
  return [HISTORY_CSV_COLUMNS.join(','), ...rows.map((r) => r.join(','))].join('\r\n') + '\r\n';
}

export function historyJson(runs: readonly RunRecord[], exportedAt = new Date()): string {
  return `${JSON.stringify(
    {
      exportedAt: exportedAt.toISOString(),
      runs: runs.map((run) => ({
        run: run.runId,
        time: new Date(run.timestamp).toISOString(),
        recipe: run.recipeText,
        data: dataSetOfRun(run.result),
        result: exportableResult(run.result),
      })),
    },
    null,
    1,
  )}\n`;
}
