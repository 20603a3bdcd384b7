/**
 * The history as files a person keeps: JSON (every run's whole result, as the page holds it)
 * and CSV (one row per run, the numbers the history table shows, RFC 4180 quoting so a recipe's
 * commas and quotes survive a spreadsheet).
 */
import type { RunRecord } from './state.ts';

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
        result: run.result,
      })),
    },
    null,
    1,
  )}\n`;
}
