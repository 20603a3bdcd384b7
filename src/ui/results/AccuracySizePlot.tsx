import {
  CartesianGrid,
  ResponsiveContainer,
  Scatter,
  ScatterChart,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { RunRecord } from '../../store/state.ts';
import { formatBytes, formatBytesShort, formatPercent, stepsOf } from '../format.ts';
import { useLab } from '../store-context.tsx';
import { PointTooltip } from './PointTooltip.tsx';

interface PlotPoint {
  readonly sizeBytes: number;
  readonly accuracyPercent: number;
  readonly label: string;
  readonly detail: string;
}

function ticksWithin(min: number, max: number, multiples: readonly number[]): number[] {
  const ticks: number[] = [];
  for (let decade = 10 ** Math.floor(Math.log10(min)); decade <= max; decade *= 10) {
    for (const m of multiples) {
      const t = m * decade;
      if (t >= min && t <= max) ticks.push(t);
    }
  }
  return ticks;
}

/**
 * Log-axis ticks on the 1-2-5 sequence in [min, max]; every digit when the range is narrow, and
 * four evenly spaced (on the log scale) two-digit values when even that gives too few.
 */
export function logTicks(min: number, max: number): number[] {
  const coarse = ticksWithin(min, max, [1, 2, 5]);
  if (coarse.length >= 3) return coarse;
  const fine = ticksWithin(min, max, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  if (fine.length >= 3) return fine;
  const ratio = max / min;
  return [0.1, 0.37, 0.63, 0.9].map((t) => Number((min * ratio ** t).toPrecision(2)));
}

/** Accuracy ticks every 1, 5 or 10 points from `min` up to 100, about five of them. */
function accuracyTicks(min: number): number[] {
  const span = 100 - min;
  const step = span > 40 ? 10 : span > 10 ? 5 : 1;
  const ticks: number[] = [];
  for (let t = 100; t >= min; t -= step) ticks.unshift(t);
  return ticks;
}

function pointOf(record: RunRecord): PlotPoint {
  const r = record.result;
  return {
    sizeBytes: r.sizeBytes,
    accuracyPercent: r.accuracy * 100,
    label: `Run ${record.runId}: ${stepsOf(record.recipeText)}`,
    detail: `${formatPercent(r.accuracy)} · ${formatBytes(r.sizeBytes)} · seed ${r.recipe.seed} · ${r.backend}`,
  };
}

/** Accuracy against stored size for the current model: the trade-off every technique moves. */
export function AccuracySizePlot() {
  const model = useLab((s) => s.recipe.model);
  const allRuns = useLab((s) => s.runs);
  const runs = allRuns.filter((r) => r.result.model === model);
  const latest = runs.at(-1);

  const points = runs.map(pointOf);
  const baseline: PlotPoint[] = latest
    ? [
        {
          sizeBytes: latest.result.baselineSizeBytes,
          accuracyPercent: latest.result.baselineAccuracy * 100,
          label: `Baseline ${model} (uncompressed)`,
          detail: `${formatPercent(latest.result.baselineAccuracy)} · ${formatBytes(latest.result.baselineSizeBytes)}`,
        },
      ]
    : [];
  const current = latest ? [pointOf(latest)] : [];

  const sizes = [...points, ...baseline].map((p) => p.sizeBytes);
  const minSize = sizes.length ? Math.min(...sizes) / 1.3 : 1000;
  const maxSize = sizes.length ? Math.max(...sizes) * 1.3 : 100_000;
  const accuracies = [...points, ...baseline].map((p) => p.accuracyPercent);
  const minAccuracy = accuracies.length ? Math.min(...accuracies) : 0;
  // Zoom in on the interesting band, but never hide a collapsed model's point.
  const yMin =
    minAccuracy >= 92
      ? Math.max(0, Math.floor(minAccuracy - 1))
      : Math.max(0, Math.floor((minAccuracy - 2) / 5) * 5);

  return (
    <figure className="plot" data-testid="plot" data-points={points.length}>
      <figcaption>
        Accuracy vs stored size — {model}
        <span className="legend">
          <span className="legend-item">
            <span className="swatch run" aria-hidden="true" /> run
          </span>
          <span className="legend-item">
            <span className="swatch latest" aria-hidden="true" /> latest
          </span>
          <span className="legend-item">
            <span className="swatch baseline" aria-hidden="true" /> baseline
          </span>
        </span>
      </figcaption>
      {points.length === 0 ? <p className="hint">Each finished run adds a point here.</p> : null}
      <ResponsiveContainer width="100%" height={320}>
        <ScatterChart margin={{ top: 12, right: 24, bottom: 28, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#d8dee6" />
          <XAxis
            type="number"
            dataKey="sizeBytes"
            name="Stored size"
            scale="log"
            domain={[minSize, maxSize]}
            ticks={logTicks(minSize, maxSize)}
            tickFormatter={(v: number) => formatBytesShort(v)}
            allowDataOverflow
            label={{ value: 'stored size (log scale)', position: 'insideBottom', offset: -16 }}
          />
          <YAxis
            type="number"
            dataKey="accuracyPercent"
            name="Accuracy"
            domain={[yMin, 100]}
            ticks={accuracyTicks(yMin)}
            tickFormatter={(v: number) => `${v} %`}
            label={{ value: 'test accuracy', angle: -90, position: 'insideLeft', offset: 4 }}
            width={72}
          />
          <Tooltip
            content={(props) => <PointTooltip active={props.active} payload={props.payload} />}
            cursor={{ strokeDasharray: '3 3' }}
          />
          <Scatter name="runs" data={points} fill="#3b6ea8" isAnimationActive={false} />
          <Scatter
            name="latest"
            data={current}
            fill="#e07a1f"
            shape="circle"
            isAnimationActive={false}
          />
          <Scatter
            name="baseline"
            data={baseline}
            fill="#1f8a4c"
            shape="star"
            isAnimationActive={false}
          />
        </ScatterChart>
      </ResponsiveContainer>
    </figure>
  );
}
