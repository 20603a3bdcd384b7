/**
 * Typed readers for the reports steps leave (StepResult.report is plain JSON): each returns
 * null when the report does not have that part, so a panel shows only what a step measured.
 */
import type { LayerStats, StepResult } from '../../engine/lab.ts';
import type { StepReport } from '../../engine/techniques/technique.ts';
import { formatCount, formatPercent } from '../format.ts';

export interface EpochRow {
  readonly epoch: number;
  readonly loss: number;
  readonly accuracy: number;
}

export interface RoundRow {
  readonly round: number;
  readonly density: Readonly<Record<string, number>>;
  readonly checkAccuracy: number;
  readonly loss?: number;
}

export interface GroupNormSample {
  readonly batch: number;
  readonly layers: Readonly<Record<string, readonly number[]>>;
}

export interface SensitivityReport {
  readonly baseAccuracy: number;
  readonly layers: readonly {
    readonly name: string;
    readonly points: readonly { readonly density: number; readonly accuracy: number }[];
  }[];
}

export interface ChannelReport {
  readonly before: Readonly<Record<string, number>>;
  readonly after: Readonly<Record<string, number>>;
  readonly removed: Readonly<Record<string, number>>;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumberRecord = (v: unknown): v is Record<string, number> =>
  isRecord(v) && Object.values(v).every((x) => typeof x === 'number');

export function trainingOf(report: StepReport | undefined): EpochRow[] | null {
  const t = report?.training;
  if (!Array.isArray(t) || t.length === 0) return null;
  return t.filter(isRecord).map((e) => ({
    epoch: Number(e.epoch),
    loss: Number(e.loss),
    accuracy: Number(e.accuracy),
  }));
}

export function roundsOf(report: StepReport | undefined): RoundRow[] | null {
  const r = report?.rounds;
  if (!Array.isArray(r)) return null;
  return r
    .filter(isRecord)
    .filter((x) => isNumberRecord(x.density))
    .map((x) => ({
      round: Number(x.round),
      density: x.density as Record<string, number>,
      checkAccuracy: Number(x.checkAccuracy),
      loss: typeof x.loss === 'number' ? x.loss : undefined,
    }));
}

export function groupNormsOf(report: StepReport | undefined): GroupNormSample[] | null {
  const g = report?.groupNorms;
  if (!Array.isArray(g) || g.length === 0) return null;
  return g.filter(isRecord).map((s) => ({
    batch: Number(s.batch),
    layers: (isRecord(s.layers) ? s.layers : {}) as Record<string, number[]>,
  }));
}

export function channelsOf(report: StepReport | undefined): ChannelReport | null {
  if (!report || !isNumberRecord(report.channelsBefore) || !isNumberRecord(report.channelsAfter))
    return null;
  return {
    before: report.channelsBefore,
    after: report.channelsAfter,
    removed: isNumberRecord(report.removed) ? report.removed : {},
  };
}

export function sensitivityOf(report: StepReport | undefined): SensitivityReport | null {
  const s = report?.sensitivity;
  if (!isRecord(s) || !Array.isArray(s.layers)) return null;
  return {
    baseAccuracy: Number(s.baseAccuracy),
    layers: s.layers.filter(isRecord).map((l) => ({
      name: String(l.name),
      points: (Array.isArray(l.points) ? l.points : []).filter(isRecord).map((p) => ({
        density: Number(p.density),
        accuracy: Number(p.accuracy),
      })),
    })),
  };
}

export function densityOf(report: StepReport | undefined): Record<string, number> | null {
  return report && isNumberRecord(report.density) ? report.density : null;
}

export function releasedOf(report: StepReport | undefined): number | null {
  return typeof report?.released === 'number' ? report.released : null;
}

const pct = (x: number) => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)} %`;
const densities = (d: Readonly<Record<string, number>>) =>
  Object.entries(d)
    .map(([layer, x]) => `${layer} ${pct(x)}`)
    .join(', ');

/** One line on what a step did, from its report. */
export function stepDetail(step: StepResult): string {
  const r = step.report;
  const parts: string[] = [];
  const training = trainingOf(r);
  if (training) {
    const first = training[0];
    const last = training.at(-1)!;
    parts.push(
      `${training.length} epoch${training.length > 1 ? 's' : ''}: loss ${first.loss.toFixed(3)}` +
        (training.length > 1 ? ` → ${last.loss.toFixed(3)}` : '') +
        `, training accuracy ${formatPercent(last.accuracy)}`,
    );
  }
  const channels = channelsOf(r);
  if (channels) {
    const removed = Object.entries(channels.removed).filter(([, n]) => n > 0);
    parts.push(
      removed.length
        ? `removed ${removed.map(([l, n]) => `${n} of ${channels.before[l]} in ${l}`).join(', ')}`
        : 'no group reached zero',
    );
  }
  const density = densityOf(r);
  if (density) parts.push(`weights kept: ${densities(density)}`);
  const released = releasedOf(r);
  if (released !== null) parts.push(`${formatCount(released)} pruned weights released at zero`);
  return parts.join(' · ');
}

/** At most this many lines per group-norm chart; wider layers show every k-th group. */
export const MAX_GROUP_LINES = 64;

/** The groups a chart draws for a layer of `n` groups: all, or every k-th up to the limit. */
export function groupsShown(n: number, limit = MAX_GROUP_LINES): number[] {
  const every = Math.ceil(n / limit);
  return Array.from({ length: Math.ceil(n / every) }, (_, i) => i * every);
}

type Histogram = NonNullable<LayerStats['histogram']>;

/** Bins as chart rows: the bin's centre and its counts before and after. */
export function histogramRows(h: Histogram) {
  const width = (h.max - h.min) / h.before.length;
  return h.before.map((before, i) => ({
    centre: Number((h.min + (i + 0.5) * width).toPrecision(3)),
    before,
    after: h.after[i],
  }));
}
