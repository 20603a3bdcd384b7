/**
 * Two runs side by side, layer by layer: the figures the compare view shows for each layer with
 * weights, and which of them differ. React-free.
 */
import type { LayerStats, RunResult } from '../../engine/lab.ts';
import { latencyDifference } from '../../engine/measure/latency-figure.ts';

export const LAYER_FIGURES = [
  'params',
  'nonzero',
  'bits',
  'bytes',
  'macs',
  'kernel',
  'latency',
] as const;
export type LayerFigure = (typeof LAYER_FIGURES)[number];

export interface LayerFigures {
  readonly params: number;
  readonly nonzero: number;
  /** Stored bits per kept kernel weight: its value plus its position (0 for no kernel). */
  readonly bits: number | null;
  readonly bytes: number;
  readonly macs: number;
  /** The kernel it ran on when latency was measured. */
  readonly kernel: string | null;
  /** The kernel's autotuned time for one call at the latency batch, when it was timed. */
  readonly latency: number | null;
}

export interface LayerComparison {
  readonly name: string;
  readonly className: string;
  /** Null where the layer is not in that run (a decomposition replaced it, say). */
  readonly a: LayerFigures | null;
  readonly b: LayerFigures | null;
  readonly differs: Readonly<Record<LayerFigure, boolean>>;
}

/**
 * Per-layer timings vary by a few percent from one measurement to the next, so only a change
 * larger than this share is marked as a difference.
 */
export const LATENCY_TOLERANCE = 0.1;

/**
 * Whether two runs' whole-network latencies differ measurably: their samples' middle halves do
 * not overlap (engine/measure/latency-figure.ts); runs recorded without a spread fall back to
 * the tolerance above.
 */
export function latenciesDiffer(a: RunResult, b: RunResult): boolean {
  if (a.latencySpread && b.latencySpread) {
    return (
      latencyDifference(
        { latencyMs: a.latencyMs, spread: a.latencySpread },
        { latencyMs: b.latencyMs, spread: b.latencySpread },
      ).kind !== 'none'
    );
  }
  return (
    Math.abs(a.latencyMs - b.latencyMs) > LATENCY_TOLERANCE * Math.max(a.latencyMs, b.latencyMs)
  );
}

function figuresOf(layer: LayerStats): LayerFigures {
  const storage = layer.storage;
  return {
    params: layer.params,
    nonzero: layer.nonzeroParams,
    bits: storage && storage.kept > 0 ? storage.valueBits + storage.indexBits : null,
    bytes: layer.sizeBytes,
    macs: layer.macs,
    kernel: layer.kernel?.kernel ?? null,
    latency: layer.kernel?.timeMs ?? null,
  };
}

function differ(figure: LayerFigure, a: LayerFigures | null, b: LayerFigures | null): boolean {
  if (!a || !b) return true;
  const x = a[figure];
  const y = b[figure];
  if (x === null || y === null) return x !== y;
  if (figure === 'bits') return Math.abs((x as number) - (y as number)) > 0.005;
  if (figure === 'latency') {
    const [p, q] = [x as number, y as number];
    return Math.abs(p - q) > LATENCY_TOLERANCE * Math.max(p, q);
  }
  return x !== y;
}

/** Layers with weights in either run, in the order the network runs them. */
export function compareLayers(a: RunResult, b: RunResult): LayerComparison[] {
  const weighted = (r: RunResult) => r.layers.filter((l) => l.params > 0);
  const inA = new Map(weighted(a).map((l) => [l.name, l]));
  const inB = new Map(weighted(b).map((l) => [l.name, l]));
  // A's order, with each layer only B has placed after the layer B runs before it.
  const names = [...inA.keys()];
  let previous: string | null = null;
  for (const name of inB.keys()) {
    if (!inA.has(name)) {
      const at = previous === null ? 0 : names.indexOf(previous) + 1;
      names.splice(at, 0, name);
    }
    previous = name;
  }
  return names.map((name) => {
    const la = inA.get(name);
    const lb = inB.get(name);
    const fa = la ? figuresOf(la) : null;
    const fb = lb ? figuresOf(lb) : null;
    return {
      name,
      className: (la ?? lb)!.className,
      a: fa,
      b: fb,
      differs: Object.fromEntries(LAYER_FIGURES.map((f) => [f, differ(f, fa, fb)])) as Record<
        LayerFigure,
        boolean
      >,
    };
  });
}

/** "▲ 12.5 %" or "▼ 90.0 %": B against A, for a marked difference; "≠" where it has no ratio. */
export function changeMark(a: number | string | null, b: number | string | null): string {
  if (typeof a === 'number' && typeof b === 'number' && a !== 0) {
    const change = (b - a) / Math.abs(a);
    return `${change > 0 ? '▲' : '▼'} ${Math.abs(change * 100).toFixed(1)} %`;
  }
  return '≠';
}
