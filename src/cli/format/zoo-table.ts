import { kib, percent } from './units.ts';

/** One row of `complab zoo`: a shipped model as trained, measured now. */
export interface ZooRow {
  readonly id: string;
  /** The data set it was trained on and is measured on now. */
  readonly data: string;
  readonly paper: string;
  readonly params: number;
  readonly macs: number;
  readonly sizeBytes: number;
  readonly accuracy: number;
  readonly latencyMs: number;
}

export function formatZooTable(rows: readonly ZooRow[]): string {
  const header = `${'model'.padEnd(11)} ${'params'.padStart(8)} ${'MACs'.padStart(10)} ${'stored'.padStart(10)} ${'accuracy'.padStart(8)} ${'latency'.padStart(10)}  paper`;
  return [
    header,
    ...rows.map(
      (r) =>
        `${r.id.padEnd(11)} ${String(r.params).padStart(8)} ${String(r.macs).padStart(10)} ${kib(r.sizeBytes).padStart(10)} ${percent(r.accuracy).padStart(8)} ${`${r.latencyMs.toFixed(2)} ms`.padStart(10)}  ${r.paper}`,
    ),
  ].join('\n');
}
