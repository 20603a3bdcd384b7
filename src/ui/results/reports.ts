/**
 * Typed readers for the reports steps leave (StepResult.report is plain JSON): each returns
 * null when the report does not have that part, so a panel shows only what a step measured.
 */
import type { StepReport } from '../../engine/techniques/technique.ts';

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
