/**
 * The accuracy plot's data: one point per run of the current model, placed by accuracy and by
 * stored size or latency (the other drawn as the point's area), the runs on the Pareto front
 * marked, and the provisional point of a run still being evaluated. React-free.
 */
import { LEGACY_DATA_SET, type DataSetId } from '../../engine/data/datasets.ts';
import { dataSetOfRun } from '../../store/history-export.ts';
import type { BackendName } from '../../engine/backend-names.ts';
import type { AccuracyEstimate } from '../../engine/lab.ts';
import { finitePopulationInterval, type Interval } from '../../engine/measure/interval.ts';
import type { PlotAxis } from '../../engine/recipe/share.ts';
import type { RunRecord } from '../../store/state.ts';
import {
  backendLabel,
  formatBytes,
  formatCount,
  formatIntervalPercent,
  formatMs,
  formatPercent,
  stepsOf,
} from '../format.ts';
import { formatLatencySpread, latencyVersusBaseline } from './latency-text.ts';
import { paretoFlags } from './pareto.ts';

export interface RunPoint {
  readonly runId: number;
  /** Stored bytes or latency in ms, whichever the x axis shows. */
  readonly x: number;
  readonly accuracyPercent: number;
  /** The other of the two, drawn as the point's area. */
  readonly other: number;
  /** The marker's radius in pixels, from `other`. */
  readonly radius: number;
  readonly onFront: boolean;
  readonly latest: boolean;
  readonly label: string;
  readonly detail: string;
  readonly lines: readonly string[];
  readonly record: RunRecord;
}

export interface BaselinePoint {
  readonly x: number;
  readonly accuracyPercent: number;
  readonly radius: number;
  readonly label: string;
  readonly detail: string;
  readonly lines: readonly string[];
}

export interface EstimatePoint {
  /** Null on the latency axis: latency is measured after the accuracy. */
  readonly x: number | null;
  readonly accuracyPercent: number;
  /** Below and above the estimate, in percentage points (what an error bar takes). */
  readonly error: readonly [number, number];
  readonly interval: Interval;
  readonly estimate: AccuracyEstimate;
  readonly label: string;
  readonly detail: string;
  readonly lines: readonly string[];
}

/** Marker radii: the smallest and the largest `other` of the plot get these. */
export const MIN_RADIUS = 4;
export const MAX_RADIUS = 13;

const sizeOf = (record: RunRecord) => record.result.sizeBytes;
const latencyOf = (record: RunRecord) => record.result.latencyMs;

/** Marker radius with area proportional to the value's place between min and max. */
export function radiusFor(value: number, min: number, max: number): number {
  if (!(max > min)) return (MIN_RADIUS + MAX_RADIUS) / 2;
  const t = Math.min(1, Math.max(0, (value - min) / (max - min)));
  return Math.sqrt(MIN_RADIUS ** 2 + t * (MAX_RADIUS ** 2 - MIN_RADIUS ** 2));
}

export interface PlotData {
  readonly axis: PlotAxis;
  readonly runs: readonly RunPoint[];
  readonly baseline: BaselinePoint | null;
  /** The range of the values drawn as area, for the legend. */
  readonly otherRange: readonly [number, number] | null;
  /** The backends that measured the shown runs' latency, in order of first appearance. */
  readonly backends: readonly BackendName[];
  readonly latencyBatch: number | null;
}

function figures(record: RunRecord): string[] {
  const r = record.result;
  return [
    `accuracy ${formatPercent(r.accuracy)} (${formatCount(r.correct)} of ${formatCount(r.total)})`,
    `size ${formatBytes(r.sizeBytes)} (${formatCount(r.sizeBytes)} B)`,
    `latency ${formatMs(r.latencyMs)} per ${r.latencyBatch} images on ${backendLabel(r.backend)}`,
    [
      formatLatencySpread(r.latencySpread),
      `${latencyVersusBaseline(r)} (${formatMs(r.baselineLatencyMs)} in the same window)`,
    ]
      .filter(Boolean)
      .join('; '),
  ];
}

/**
 * The points of the runs of `model` on data set `data`, for an x axis of size or latency (runs
 * on another data set measure other images: they would make a false front).
 */
export function plotData(
  runs: readonly RunRecord[],
  model: string,
  axis: PlotAxis,
  data: DataSetId = LEGACY_DATA_SET,
): PlotData {
  const ofModel = runs.filter((r) => r.result.model === model && dataSetOfRun(r.result) === data);
  const latest = ofModel.at(-1);
  const xOf = axis === 'size' ? sizeOf : latencyOf;
  const otherOf = axis === 'size' ? latencyOf : sizeOf;
  const baselineX = latest
    ? axis === 'size'
      ? latest.result.baselineSizeBytes
      : latest.result.baselineLatencyMs
    : null;
  const baselineOther = latest
    ? axis === 'size'
      ? latest.result.baselineLatencyMs
      : latest.result.baselineSizeBytes
    : null;
  const others = [...ofModel.map(otherOf), ...(baselineOther !== null ? [baselineOther] : [])];
  const otherRange =
    others.length > 0 ? ([Math.min(...others), Math.max(...others)] as const) : null;
  const radius = (value: number) =>
    otherRange ? radiusFor(value, otherRange[0], otherRange[1]) : MIN_RADIUS;
  const flags = paretoFlags(ofModel.map((r) => ({ cost: xOf(r), accuracy: r.result.accuracy })));
  const points = ofModel.map((record, i): RunPoint => {
    const onFront = flags[i];
    return {
      runId: record.runId,
      x: xOf(record),
      accuracyPercent: record.result.accuracy * 100,
      other: otherOf(record),
      radius: radius(otherOf(record)),
      onFront,
      latest: record === latest,
      label: `Run ${record.runId}: ${stepsOf(record.recipeText)}`,
      detail: `${formatPercent(record.result.accuracy)} · ${formatBytes(record.result.sizeBytes)} · ${formatMs(record.result.latencyMs)} · ${backendLabel(record.result.backend)}`,
      lines: [
        ...figures(record),
        `seed ${record.result.recipe.seed}${onFront ? ' · on the Pareto front' : ''}`,
        'Click to load this recipe',
      ],
      record,
    };
  });
  const baseline: BaselinePoint | null =
    latest && baselineX !== null && baselineOther !== null
      ? {
          x: baselineX,
          accuracyPercent: latest.result.baselineAccuracy * 100,
          radius: radius(baselineOther),
          label: `Baseline ${model} (uncompressed)`,
          detail: `${formatPercent(latest.result.baselineAccuracy)} · ${formatBytes(latest.result.baselineSizeBytes)} · ${formatMs(latest.result.baselineLatencyMs)} · ${backendLabel(latest.result.backend)}`,
          lines: [
            `accuracy ${formatPercent(latest.result.baselineAccuracy)}`,
            `size ${formatBytes(latest.result.baselineSizeBytes)}`,
            `latency ${formatMs(latest.result.baselineLatencyMs)} per ${latest.result.latencyBatch} images on ${backendLabel(latest.result.backend)}`,
            ...(latest.result.baselineLatencySpread
              ? [
                  `${formatLatencySpread(latest.result.baselineLatencySpread)} (measured beside run ${latest.runId})`,
                ]
              : []),
          ],
        }
      : null;
  const backends: BackendName[] = [];
  for (const r of ofModel)
    if (!backends.includes(r.result.backend)) backends.push(r.result.backend);
  return {
    axis,
    runs: points,
    baseline,
    otherRange,
    backends,
    latencyBatch: latest?.result.latencyBatch ?? null,
  };
}

/** The provisional point of a run whose last step is being evaluated. */
export function estimatePoint(
  estimate: AccuracyEstimate,
  axis: PlotAxis,
  runId: number,
  recipeText: string,
): EstimatePoint {
  const interval = finitePopulationInterval(estimate.correct, estimate.seen, estimate.total);
  const value = estimate.correct / estimate.seen;
  const range = formatIntervalPercent(interval);
  return {
    x: axis === 'size' ? estimate.sizeBytes : null,
    accuracyPercent: value * 100,
    error: [(value - interval.low) * 100, (interval.high - value) * 100],
    interval,
    estimate,
    label: `Run ${runId} (being evaluated): ${stepsOf(recipeText)}`,
    detail: `${formatPercent(value)}, 95 % interval ${range}`,
    lines: [
      `estimate ${formatPercent(value)} from ${formatCount(estimate.seen)} of ${formatCount(estimate.total)} test images`,
      `95 % interval ${range}`,
      `size ${formatBytes(estimate.sizeBytes)}; latency not measured yet`,
    ],
  };
}

/** The accuracy axis's floor for a band of accuracies (percent): 1-point steps above 92 %. */
function floorFor(minPercent: number): number {
  return minPercent >= 92
    ? Math.max(0, Math.floor(minPercent - 1))
    : Math.max(0, Math.floor((minPercent - 2) / 5) * 5);
}

/**
 * Where the accuracy axis starts (it ends at 100 %): zoomed in on the finished runs and the
 * baseline, never hiding a collapsed model's point. A run being evaluated moves it only when its
 * estimate would fall below it, and its interval never does: the first chunks' wide intervals
 * would make the axis jump (97-100 % to 85-100 % and back) while the estimates come in.
 */
export function accuracyAxisMin(
  finishedPercents: readonly number[],
  estimatePercent: number | null,
): number {
  if (finishedPercents.length === 0) {
    // Nothing finished yet: a coarse band, so the moving estimate does not move it.
    return estimatePercent === null ? 0 : Math.max(0, Math.floor((estimatePercent - 2) / 5) * 5);
  }
  const floor = floorFor(Math.min(...finishedPercents));
  return estimatePercent !== null && estimatePercent < floor ? floorFor(estimatePercent) : floor;
}
