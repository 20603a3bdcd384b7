import { dataSetInfo, type DataSetId } from '../../engine/data/datasets.ts';
import { parseRecipe } from '../../engine/recipe/share.ts';
import { dataSetOf } from '../../engine/recipe/recipe.ts';
import { useCallback, useDeferredValue, useMemo, type KeyboardEvent } from 'react';
import {
  CartesianGrid,
  ErrorBar,
  ReferenceArea,
  ResponsiveContainer,
  Scatter,
  ScatterChart,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { PlotAxis } from '../../engine/recipe/share.ts';
import { restoreRecipe, setPlotAxis } from '../../store/actions.ts';
import type { AccuracyEstimate } from '../../engine/lab.ts';
import type { LabState, RunRecord } from '../../store/state.ts';
import {
  backendLabel,
  formatBytes,
  formatBytesShort,
  formatCount,
  formatIntervalPercent,
  formatMs,
  formatPercent,
} from '../format.ts';
import { PLOT_COLORS } from '../palette.ts';
import { useDispatch, useLab, useSession } from '../store-context.tsx';
import {
  accuracyAxisMin,
  estimatePoint,
  plotData,
  type BaselinePoint,
  type RunPoint,
} from './plot-points.ts';
import { PointTooltip } from './PointTooltip.tsx';

function ticksWithin(min: number, max: number, multiples: readonly number[]): number[] {
  const ticks: number[] = [];
  for (let decade = 10 ** Math.floor(Math.log10(min)); decade <= max; decade *= 10) {
    for (const m of multiples) {
      const t = Number((m * decade).toPrecision(6));
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

const AXIS_TEXT: Record<PlotAxis, { name: string; label: string; other: string }> = {
  size: { name: 'Stored size', label: 'stored size (log scale)', other: 'latency' },
  latency: { name: 'Latency', label: 'latency (ms, log scale)', other: 'stored size' },
};

const formatX = (axis: PlotAxis, value: number) =>
  axis === 'size' ? formatBytesShort(value) : `${Number(value.toPrecision(2))} ms`;

const formatOther = (axis: PlotAxis, value: number) =>
  axis === 'size' ? formatMs(value) : formatBytes(value);

interface ShapeProps {
  readonly cx?: number;
  readonly cy?: number;
  readonly payload?: unknown;
}

/** A run's mark: its area from the other figure; focusable, and Enter or a click loads it. */
function RunMark({ cx, cy, payload, onLoad }: ShapeProps & { onLoad: (run: RunRecord) => void }) {
  const point = payload as RunPoint | undefined;
  if (cx === undefined || cy === undefined || !point) return <g />;
  const load = () => onLoad(point.record);
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      load();
    }
  };
  return (
    <g
      className="plot-point"
      role="button"
      tabIndex={0}
      aria-label={`Load run ${point.runId}: ${point.label.replace(/^Run \d+: /, '')}, ${point.detail}${point.onFront ? ', on the Pareto front' : ''}`}
      data-testid="plot-point"
      data-run-id={point.runId}
      data-front={point.onFront}
      data-latest={point.latest}
      onClick={load}
      onKeyDown={onKeyDown}
    >
      {point.latest ? (
        <circle
          cx={cx}
          cy={cy}
          r={point.radius + 3.5}
          fill="none"
          stroke={PLOT_COLORS.latest}
          strokeWidth={3}
        />
      ) : null}
      <circle
        cx={cx}
        cy={cy}
        r={point.radius}
        fill={point.onFront ? PLOT_COLORS.front : PLOT_COLORS.run}
        fillOpacity={point.onFront ? 0.9 : 0.75}
        stroke="#1c2733"
        strokeWidth={point.onFront ? 1.5 : 0.75}
      />
    </g>
  );
}

/** The baseline's star, sized like a run by its other figure. */
function BaselineMark({ cx, cy, payload }: ShapeProps) {
  const point = payload as BaselinePoint | undefined;
  if (cx === undefined || cy === undefined || !point) return <g />;
  const r = 8;
  const corners = Array.from({ length: 10 }, (_, k) => {
    const angle = -Math.PI / 2 + (k * Math.PI) / 5;
    const radius = k % 2 === 0 ? r : r * 0.45;
    return `${cx + radius * Math.cos(angle)},${cy + radius * Math.sin(angle)}`;
  });
  return (
    <polygon
      data-testid="plot-baseline"
      points={corners.join(' ')}
      pointerEvents="none"
      fill={PLOT_COLORS.baseline}
      stroke="#1c2733"
      strokeWidth={0.75}
    />
  );
}

/** The provisional point: a hollow diamond (its error bar is drawn by the ErrorBar). */
function EstimateMark({ cx, cy }: ShapeProps) {
  if (cx === undefined || cy === undefined) return <g />;
  const r = 7;
  return (
    <polygon
      data-testid="plot-estimate-point"
      points={`${cx},${cy - r} ${cx + r},${cy} ${cx},${cy + r} ${cx - r},${cy}`}
      fill="#ffffff"
      stroke={PLOT_COLORS.estimate}
      strokeWidth={2.5}
    />
  );
}

/** An empty mark, for the series that only draws the Pareto front's line. */
const NoMark = () => <g />;

/** The x axis chooser: two radio buttons, so it works from the keyboard. */
function AxisChooser({ axis }: { axis: PlotAxis }) {
  const dispatch = useDispatch();
  return (
    <fieldset className="plot-axis" data-testid="plot-axis">
      <legend>x axis</legend>
      {(['size', 'latency'] as const).map((value) => (
        <label key={value}>
          <input
            type="radio"
            name="plot-axis"
            value={value}
            checked={axis === value}
            onChange={() => dispatch(setPlotAxis, value)}
          />
          {value === 'size' ? 'Stored size' : 'Latency'}
        </label>
      ))}
    </fieldset>
  );
}

function Swatch({ kind }: { kind: 'run' | 'front' | 'latest' | 'baseline' | 'estimate' }) {
  return (
    <svg className="swatch-svg" width="26" height="16" viewBox="0 0 26 16" aria-hidden="true">
      {kind === 'run' ? (
        <circle cx="13" cy="8" r="5" fill={PLOT_COLORS.run} stroke="#1c2733" strokeWidth="0.75" />
      ) : null}
      {kind === 'front' ? (
        <>
          <line x1="1" y1="12" x2="25" y2="4" stroke={PLOT_COLORS.front} strokeWidth="2" />
          <circle cx="13" cy="8" r="5" fill={PLOT_COLORS.front} stroke="#1c2733" />
        </>
      ) : null}
      {kind === 'latest' ? (
        <circle cx="13" cy="8" r="6" fill="none" stroke={PLOT_COLORS.latest} strokeWidth="3" />
      ) : null}
      {kind === 'baseline' ? (
        <polygon
          points="13,1 14.8,5.6 19.7,5.8 15.9,8.9 17.1,13.7 13,11 8.9,13.7 10.1,8.9 6.3,5.8 11.2,5.6"
          fill={PLOT_COLORS.baseline}
          stroke="#1c2733"
          strokeWidth="0.75"
        />
      ) : null}
      {kind === 'estimate' ? (
        <>
          <line x1="13" y1="0" x2="13" y2="16" stroke={PLOT_COLORS.estimate} strokeWidth="1.5" />
          <polygon
            points="13,3 18,8 13,13 8,8"
            fill="#ffffff"
            stroke={PLOT_COLORS.estimate}
            strokeWidth="2"
          />
        </>
      ) : null}
    </svg>
  );
}

/**
 * The estimate of the run whose last step is being evaluated, or null: the one part of the run
 * status the plot draws. The selectors below return the store's own objects and strings, so a
 * progress report of a training batch does not redraw the plot.
 */
function evaluatedEstimate(s: LabState): AccuracyEstimate | null {
  const status = s.runStatus;
  if (status.phase !== 'running') return null;
  const p = status.progress;
  return p?.estimate && p.step !== undefined && p.step === (p.steps ?? 0) - 1 ? p.estimate : null;
}
// Null unless an estimate is drawn: a run that starts or ends in training redraws nothing here.
const evaluatedRunId = (s: LabState) =>
  s.runStatus.phase === 'running' && evaluatedEstimate(s) ? s.runStatus.runId : null;
const evaluatedRecipeText = (s: LabState) =>
  s.runStatus.phase === 'running' && evaluatedEstimate(s) ? s.runStatus.recipeText : null;

/**
 * Accuracy against stored size or measured latency for the current model, the other as the
 * points' area; the Pareto front joined by a line; a point's recipe and figures on hover, and
 * the run loaded into the editor on click. While a run's last step is evaluated, its first
 * estimate is drawn with its 95 % interval and refined chunk by chunk until the result lands.
 */
/** Whether the recipe being evaluated runs on `data` (its text is canonical, so it parses). */
function runsOn(recipeText: string, data: DataSetId): boolean {
  try {
    return dataSetOf(parseRecipe(recipeText)) === data;
  } catch {
    return false;
  }
}

export function AccuracySizePlot() {
  const model = useLab((s) => s.recipe.model);
  const dataSet = useLab((s) => dataSetOf(s.recipe));
  const allRuns = useLab((s) => s.runs);
  const axis = useLab((s) => s.ui.plot ?? 'size');
  // Redrawing 200 points takes a while: the estimate's redraws may wait for a click's.
  const estimate = useDeferredValue(useLab(evaluatedEstimate));
  const runId = useLab(evaluatedRunId);
  const evaluatedText = useLab(evaluatedRecipeText);
  const dispatch = useDispatch();
  const session = useSession();
  const data = useMemo(
    () => plotData(allRuns, model, axis, dataSet),
    [allRuns, model, axis, dataSet],
  );
  const text = AXIS_TEXT[axis];

  const estimating = useMemo(
    () =>
      estimate &&
      runId !== null &&
      evaluatedText !== null &&
      evaluatedText.includes(`model=${model}&`) &&
      runsOn(evaluatedText, dataSet)
        ? estimatePoint(estimate, axis, runId, evaluatedText)
        : null,
    [estimate, runId, evaluatedText, model, axis, dataSet],
  );

  const front = useMemo(() => data.runs.filter((p) => p.onFront).sort((a, b) => a.x - b.x), [data]);
  const drawnRuns = useMemo(
    () => [...data.runs].sort((a, b) => Number(a.latest) - Number(b.latest)),
    [data],
  );
  const xs = [
    ...data.runs.map((p) => p.x),
    ...(data.baseline ? [data.baseline.x] : []),
    ...(estimating?.x != null ? [estimating.x] : []),
  ].filter((x) => x > 0 && Number.isFinite(x));
  const minX = xs.length ? Math.min(...xs) / 1.3 : axis === 'size' ? 1000 : 0.1;
  const maxX = xs.length ? Math.max(...xs) * 1.3 : axis === 'size' ? 100_000 : 100;
  const yMin = accuracyAxisMin(
    [
      ...data.runs.map((p) => p.accuracyPercent),
      ...(data.baseline ? [data.baseline.accuracyPercent] : []),
    ],
    estimating ? estimating.accuracyPercent : null,
  );

  const load = useCallback(
    (run: RunRecord) => {
      dispatch(restoreRecipe, run.result.recipe);
      session?.runIfStopped();
    },
    [dispatch, session],
  );
  const backends = data.backends.map(backendLabel);

  const frame = useMemo(
    () => (
      <>
        <CartesianGrid strokeDasharray="3 3" stroke="#d8dee6" />
        <XAxis
          type="number"
          dataKey="x"
          name={text.name}
          scale="log"
          domain={[minX, maxX]}
          ticks={logTicks(minX, maxX)}
          tickFormatter={(v: number) => formatX(axis, v)}
          allowDataOverflow
          label={{ value: text.label, position: 'insideBottom', offset: -16 }}
        />
        <YAxis
          type="number"
          dataKey="accuracyPercent"
          name="Accuracy"
          domain={[yMin, 100]}
          ticks={accuracyTicks(yMin)}
          tickFormatter={(v: number) => `${v} %`}
          // An estimate's interval may reach below the axis: it is cut off, not followed.
          allowDataOverflow
          label={{ value: 'test accuracy', angle: -90, position: 'insideLeft', offset: 4 }}
          width={72}
        />
        <Tooltip
          content={(props) => <PointTooltip active={props.active} payload={props.payload} />}
          cursor={{ strokeDasharray: '3 3' }}
        />
      </>
    ),
    [axis, text, minX, maxX, yMin],
  );
  const runShape = useCallback((props: ShapeProps) => <RunMark {...props} onLoad={load} />, [load]);
  const runLayers = useMemo(
    () => (
      <>
        <Scatter
          name="Pareto front"
          data={front}
          line={{ stroke: PLOT_COLORS.front, strokeWidth: 2 }}
          shape={NoMark}
          isAnimationActive={false}
          legendType="none"
          tooltipType="none"
        />
        <Scatter name="runs" data={drawnRuns} shape={runShape} isAnimationActive={false} />
        <Scatter
          name="baseline"
          data={data.baseline ? [data.baseline] : []}
          shape={BaselineMark}
          isAnimationActive={false}
          tooltipType="none"
        />
      </>
    ),
    [front, drawnRuns, runShape, data.baseline],
  );

  return (
    <figure
      className="plot"
      data-testid="plot"
      data-points={data.runs.length}
      data-axis={axis}
      data-front={front.map((p) => p.runId).join(',')}
      data-estimate={estimating ? estimating.estimate.seen : ''}
      data-y-min={yMin}
    >
      <figcaption>
        <span className="plot-title">
          Accuracy vs {axis === 'size' ? 'stored size' : 'latency'} — {model} on{' '}
          {dataSetInfo(dataSet).name}
        </span>
        <AxisChooser axis={axis} />
      </figcaption>
      <div className="legend" data-testid="plot-legend">
        <span className="legend-item">
          <Swatch kind="run" /> run
        </span>
        <span className="legend-item">
          <Swatch kind="front" /> Pareto front (no run {axis === 'size' ? 'smaller' : 'faster'} and
          more accurate)
        </span>
        <span className="legend-item">
          <Swatch kind="latest" /> latest
        </span>
        <span className="legend-item">
          <Swatch kind="baseline" /> baseline
        </span>
        <span className="legend-item">
          <Swatch kind="estimate" /> estimate while evaluating (95 % interval)
        </span>
        {data.otherRange ? (
          <span className="legend-item" data-testid="plot-area-legend">
            <svg
              className="swatch-svg"
              width="40"
              height="28"
              viewBox="0 0 40 28"
              aria-hidden="true"
            >
              <circle cx="8" cy="14" r="4" fill="none" stroke="#1c2733" />
              <circle cx="27" cy="14" r="12" fill="none" stroke="#1c2733" />
            </svg>
            area: {text.other},{' '}
            {data.otherRange[0] === data.otherRange[1]
              ? formatOther(axis, data.otherRange[0])
              : `${formatOther(axis, data.otherRange[0])} to ${formatOther(axis, data.otherRange[1])}`}
          </span>
        ) : null}
      </div>
      {data.runs.length === 0 && !estimating ? (
        <p className="hint">Each finished run adds a point here.</p>
      ) : null}
      <ResponsiveContainer width="100%" height={320}>
        <ScatterChart margin={{ top: 12, right: 24, bottom: 28, left: 8 }}>
          {/* Memoized: an estimate's redraw leaves the runs' 200 marks and the axes alone. */}
          {frame}
          {estimating && estimating.x === null ? (
            <ReferenceArea
              y1={estimating.interval.low * 100}
              y2={estimating.interval.high * 100}
              fill={PLOT_COLORS.estimate}
              fillOpacity={0.15}
              stroke={PLOT_COLORS.estimate}
              strokeDasharray="4 3"
              label={{
                value: `estimate ${formatPercent(estimating.estimate.correct / estimating.estimate.seen)}, latency not measured yet`,
                position: 'insideTopLeft',
                fill: '#1c2733',
                fontSize: 12,
              }}
            />
          ) : null}
          {runLayers}
          {estimating && estimating.x !== null ? (
            <Scatter
              name="estimate"
              data={[estimating]}
              shape={EstimateMark}
              isAnimationActive={false}
            >
              <ErrorBar
                isAnimationActive={false}
                dataKey="error"
                direction="y"
                width={8}
                stroke={PLOT_COLORS.estimate}
                strokeWidth={2}
              />
            </Scatter>
          ) : null}
        </ScatterChart>
      </ResponsiveContainer>
      <p className="hint plot-notes" data-testid="plot-latency-note">
        Latency: median time to predict a batch of {data.latencyBatch ?? 64} test images with the
        fastest correct kernel per layer, measured on{' '}
        {backends.length === 0 ? 'the backend that runs each run' : backends.join(' and ')}
        {backends.length > 1
          ? ', the backend each run ran on: points measured on different backends do not compare'
          : ', the backend that ran these runs'}
        . Click a point, or focus it and press Enter, to load its recipe.
      </p>
      {estimating ? (
        <p className="hint plot-estimate" data-testid="plot-estimate" role="status">
          Run {runId}, being evaluated: estimate{' '}
          <strong>{formatPercent(estimating.estimate.correct / estimating.estimate.seen)}</strong>{' '}
          (95 % interval {formatIntervalPercent(estimating.interval)}) from{' '}
          {formatCount(estimating.estimate.seen)} of {formatCount(estimating.estimate.total)} test
          images
          {estimating.x !== null ? `, at ${formatBytes(estimating.estimate.sizeBytes)}` : ''}.
        </p>
      ) : null}
    </figure>
  );
}
