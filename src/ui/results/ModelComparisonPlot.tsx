import {
  CartesianGrid,
  ResponsiveContainer,
  Scatter,
  ScatterChart,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { dataSetInfo } from '../../engine/data/datasets.ts';
import { dataSetOf } from '../../engine/recipe/recipe.ts';
import { formatBytes, formatBytesShort, formatPercent, stepsOf } from '../format.ts';
import { SERIES_COLORS } from '../palette.ts';
import { useLab } from '../store-context.tsx';
import { logTicks } from './AccuracySizePlot.tsx';
import { comparisonSeries, type ComparisonPoint, type ModelSeries } from './model-comparison.ts';
import { PointTooltip } from './PointTooltip.tsx';

const COLORS = SERIES_COLORS;

interface PlotPoint {
  readonly sizeBytes: number;
  readonly accuracyPercent: number;
  readonly label: string;
  readonly detail: string;
}

function plotPoint(series: ModelSeries, point: ComparisonPoint): PlotPoint {
  return {
    sizeBytes: point.sizeBytes,
    accuracyPercent: point.accuracy * 100,
    label:
      point.recipeText === null
        ? `${series.name}: baseline (${series.group})`
        : `${series.name}, run ${point.runId}: ${stepsOf(point.recipeText)}`,
    detail: `${formatPercent(point.accuracy)} · ${formatBytes(point.sizeBytes)}${point.paretoBest ? ' · Pareto-best for this model' : ''}`,
  };
}

/**
 * Both routes to a small network on one plot: every shipped model's baseline (a star) and its
 * compressed runs from the history (dots), the Pareto-best of each model joined by a line.
 */
export function ModelComparisonPlot() {
  const cards = useLab((s) => s.cards);
  const runs = useLab((s) => s.runs);
  const data = useLab((s) => dataSetOf(s.recipe));
  const series = comparisonSeries(cards, runs, data);
  if (series.length === 0) return null;
  const all = series.flatMap((s) => [s.baseline, ...s.runs]);
  const sizes = all.map((p) => p.sizeBytes);
  const minSize = Math.min(...sizes) / 1.4;
  const maxSize = Math.max(...sizes) * 1.4;
  const minAccuracy = Math.min(...all.map((p) => p.accuracy * 100));
  const yMin = Math.max(0, Math.floor(minAccuracy - 1));
  const paretoCount = series.reduce(
    (n, s) => n + s.runs.filter((p) => p.paretoBest).length + (s.baseline.paretoBest ? 1 : 0),
    0,
  );

  return (
    <figure
      className="plot comparison"
      data-testid="model-comparison"
      data-models={series.length}
      data-runs={series.reduce((n, s) => n + s.runs.length, 0)}
      data-pareto={paretoCount}
    >
      <figcaption>
        Compress a big model or design a small one — every model shipped trained on{' '}
        {dataSetInfo(data).name}
        <span className="legend">
          {series.map((s, k) => (
            <span className="legend-item" key={s.id}>
              <span
                className="swatch"
                style={{ background: COLORS[k % COLORS.length] }}
                aria-hidden="true"
              />
              {s.id}
            </span>
          ))}
        </span>
      </figcaption>
      <p className="hint">
        Stars: baselines as trained (model cards). Dots: compressed runs in this session&apos;s
        history; the ringed, joined ones are each model&apos;s Pareto-best (no run of the same model
        is smaller and more accurate).
      </p>
      <ResponsiveContainer width="100%" height={340}>
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
            tickFormatter={(v: number) => `${v} %`}
            label={{ value: 'test accuracy', angle: -90, position: 'insideLeft', offset: 4 }}
            width={72}
          />
          <Tooltip
            content={(props) => <PointTooltip active={props.active} payload={props.payload} />}
            cursor={{ strokeDasharray: '3 3' }}
          />
          {series.flatMap((s, k) => {
            const color = COLORS[k % COLORS.length];
            // The baseline is drawn once, as its star; the line joins the Pareto-best runs.
            const front = s.runs.filter((p) => p.paretoBest).map((p) => plotPoint(s, p));
            return [
              <Scatter
                key={`${s.id}-runs`}
                name={`${s.id} runs`}
                data={s.runs.filter((p) => !p.paretoBest).map((p) => plotPoint(s, p))}
                fill={color}
                fillOpacity={0.35}
                isAnimationActive={false}
              />,
              <Scatter
                key={`${s.id}-pareto`}
                name={`${s.id} Pareto-best`}
                data={front}
                fill={color}
                stroke="#1b1f24"
                line={{ stroke: color, strokeWidth: 1.5 }}
                isAnimationActive={false}
              />,
              <Scatter
                key={`${s.id}-baseline`}
                name={`${s.id} baseline`}
                data={[plotPoint(s, s.baseline)]}
                fill={color}
                shape="star"
                isAnimationActive={false}
              />,
            ];
          })}
        </ScatterChart>
      </ResponsiveContainer>
    </figure>
  );
}
