/** Number formats shared by the summary, plot and table, so the same value reads the same. */
import { BACKEND_LABELS } from '../engine/browser/select-backend.ts';
import type { BackendName } from '../engine/backend-names.ts';
import { dataSetInfo, type DataSetId } from '../engine/data/datasets.ts';

const counts = new Intl.NumberFormat('en-US');

export const formatCount = (n: number): string => counts.format(n);

/** Accuracy fractions as percentages with two decimals (1 digit in 2,000 is 0.05 %). */
export const formatPercent = (fraction: number): string => `${(fraction * 100).toFixed(2)} %`;

/**
 * A 95 % interval of an accuracy as "98.7–98.9 %": one decimal, the low bound rounded down and
 * the high bound up, so the printed interval always holds the estimate printed beside it (an
 * interval of 98.746–98.752 % rounded to nearest would read 98.7–98.8 around 98.75 %, or worse).
 */
export function formatIntervalPercent(interval: { low: number; high: number }): string {
  // Tenths of a percent; toFixed(6) first drops float noise (0.988 * 1000 = 987.9999999999999).
  const tenths = (fraction: number) => Number((fraction * 1000).toFixed(6));
  const low = Math.floor(tenths(interval.low)) / 10;
  const high = Math.ceil(tenths(interval.high)) / 10;
  return `${low.toFixed(1)}–${high.toFixed(1)} %`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} kB`;
  return `${(bytes / 1_000_000).toFixed(2)} MB`;
}

/** Axis labels: as few digits as the value needs ("200 kB", "1.5 MB"). */
export function formatBytesShort(bytes: number): string {
  const [value, unit] =
    bytes < 1000 ? [bytes, 'B'] : bytes < 1_000_000 ? [bytes / 1000, 'kB'] : [bytes / 1e6, 'MB'];
  return `${Number(value.toPrecision(3))} ${unit}`;
}

export const formatRatio = (ratio: number): string => `${ratio.toFixed(ratio < 10 ? 2 : 1)}×`;

export function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return `${ms < 10 ? ms.toFixed(2) : ms.toFixed(1)} ms`;
}

export const backendLabel = (name: BackendName): string => BACKEND_LABELS[name];

/** "prune(fraction=0.9)" from a recipe text; "none (baseline)" for an empty recipe. */
export function stepsOf(recipeText: string): string {
  const match = /(?:^|&)steps=([^&]*)/.exec(recipeText);
  let steps = match ? match[1] : '';
  try {
    steps = decodeURIComponent(steps);
  } catch {
    // shown as written
  }
  return steps === '' ? 'none (baseline)' : steps;
}

/** Engine messages start lower-case (they also appear mid-sentence); shown alone, capitalize. */
export const asSentence = (message: string): string =>
  message.charAt(0).toUpperCase() + message.slice(1);

const STAGE_LABELS: Record<string, string> = {
  starting: 'Starting',
  loading: 'Loading the model and test images',
  baseline: 'Measuring the uncompressed baseline',
  compressing: 'Compressing',
  evaluating: 'Evaluating on the test images',
  measuring: 'Measuring latency',
};

export const stageLabel = (stage: string): string => STAGE_LABELS[stage] ?? stage;

/** Decimal places a grid step implies (0.01 → 2). */
export const decimalsOf = (step: number): number =>
  Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));

/** A parameter value as its control shows it: "66.0 %" for percent params, else on its grid. */
export function formatParamValue(
  spec: { readonly step?: number; readonly percent?: boolean; readonly log?: boolean },
  value: number,
): string {
  const step = spec.step ?? 1;
  if (spec.percent) return `${(value * 100).toFixed(Math.max(0, decimalsOf(step) - 2))} %`;
  if (spec.log) return formatSmall(value);
  return value.toFixed(decimalsOf(step));
}

/** Small positive numbers without trailing noise: 0.0001 → "1e-4", 0.0003 → "3e-4", 0.02 → "0.02". */
export function formatSmall(value: number): string {
  if (value === 0) return '0';
  if (Math.abs(value) >= 0.01) return String(Number(value.toPrecision(3)));
  const [mantissa, exponent] = value.toExponential(2).split('e');
  return `${Number(mantissa)}e${Number(exponent)}`;
}

/** "1.2 s", "3 min 20 s": a time estimate, coarse on purpose. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

/** A shape without the batch dimension: "28×28×20". */
export const formatShape = (shape: readonly number[] | undefined): string =>
  shape && shape.length ? shape.join('×') : '—';

/**
 * The images a step chooses on, as a sentence fragment: a data set's validation split (held out
 * of training), or for mnist-10k the last 2,000 of its training digits, as it always was.
 */
export function validationImagesText(data: DataSetId): string {
  const info = dataSetInfo(data);
  const count = formatCount(info.splits.validation.count);
  return info.validationInTraining
    ? `${count} held-out training digits`
    : `the ${count} validation images of ${info.name} (held out of training)`;
}
