import { useState } from 'react';
import {
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { DataSetId } from '../../engine/data/datasets.ts';
import type { StepResult } from '../../engine/lab.ts';
import { dataSetOfRun } from '../../store/history-export.ts';
import { formatPercent, validationImagesText } from '../format.ts';
import { useLab } from '../store-context.tsx';
import { channelsOf, densityOf, groupNormsOf, groupsShown, sensitivityOf } from './reports.ts';
import {
  DecompositionReport,
  decompositionOf,
  ForceReport,
  forceOf,
} from './DecompositionReport.tsx';

/** Colours that stay apart on white, cycled for many lines. */
const PALETTE = [
  '#1f5fa8',
  '#e07a1f',
  '#1f8a4c',
  '#a32020',
  '#7b4ab8',
  '#8c6d1f',
  '#d04a94',
  '#4a8a9a',
  '#555f6b',
];

/** SSL: each filter's (or unit's) group norm over training, and channels before and after. */
function SslReport({ step }: { step: StepResult }) {
  const samples = groupNormsOf(step.report)!;
  const channels = channelsOf(step.report);
  const layers = Object.keys(samples[0].layers);
  const [chosen, setChosen] = useState<string | null>(null);
  const layer = layers.includes(chosen ?? '') ? chosen! : layers[0];
  const n = samples[0].layers[layer]?.length ?? 0;
  const shown = groupsShown(n);
  const rows = samples.map((s) => {
    const row: Record<string, number> = { batch: s.batch };
    for (const g of shown) row[`g${g}`] = s.layers[layer]?.[g] ?? 0;
    return row;
  });
  return (
    <section
      className="step-report"
      aria-labelledby={`ssl-title-${step.index}`}
      data-testid="ssl-report"
    >
      <div className="section-head">
        <h2 id={`ssl-title-${step.index}`}>Step {step.index + 1}: group norms while SSL trained</h2>
        <div className="inline-field">
          <label htmlFor={`ssl-layer-${step.index}`}>Layer</label>
          <select
            id={`ssl-layer-${step.index}`}
            data-testid="ssl-layer"
            value={layer}
            onChange={(e) => setChosen(e.target.value)}
          >
            {layers.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </div>
      </div>
      <p className="hint">
        One line for each of the {n} filters or units of {layer}: the L2 norm of its weights after
        each update. Group lasso pulls whole groups to zero; those below the removal threshold are
        cut from the network.
        {shown.length < n ? ` One in ${shown[1]} of the ${n} groups is drawn.` : ''}
      </p>
      <ResponsiveContainer width="100%" height={240}>
        <LineChart data={rows} margin={{ top: 8, right: 16, bottom: 20, left: 4 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#d8dee6" />
          <XAxis
            dataKey="batch"
            type="number"
            domain={['dataMin', 'dataMax']}
            tick={{ fontSize: 11 }}
            label={{ value: 'updates', position: 'insideBottom', offset: -10 }}
          />
          <YAxis tick={{ fontSize: 11 }} width={52} />
          {shown.map((g, i) => (
            <Line
              key={g}
              dataKey={`g${g}`}
              stroke={PALETTE[i % PALETTE.length]}
              strokeWidth={1}
              dot={false}
              isAnimationActive={false}
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
      {channels ? (
        <div className="table-scroll" tabIndex={0} role="region" aria-label="Step report table">
          <table data-testid="ssl-channels">
            <thead>
              <tr>
                <th scope="col">Layer</th>
                <th scope="col" className="num">
                  Filters / units before
                </th>
                <th scope="col" className="num">
                  After
                </th>
                <th scope="col" className="num">
                  Removed
                </th>
              </tr>
            </thead>
            <tbody>
              {Object.keys(channels.before).map((l) => (
                <tr key={l}>
                  <td className="mono">{l}</td>
                  <td className="num">{channels.before[l]}</td>
                  <td className="num">{channels.after[l] ?? '—'}</td>
                  <td className="num">{channels.removed[l] ?? 0}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

/** prune-auto: accuracy against density, one curve per layer pruned alone (log x axis). */
function SensitivityReport({
  step,
  drop,
  data,
}: {
  step: StepResult;
  drop?: number;
  data: DataSetId;
}) {
  const sensitivity = sensitivityOf(step.report)!;
  const chosen = densityOf(step.report);
  const densities = [
    ...new Set(sensitivity.layers.flatMap((l) => l.points.map((p) => p.density))),
  ].sort((a, b) => b - a);
  const rows = densities.map((density) => {
    const row: Record<string, number> = { density };
    for (const l of sensitivity.layers) {
      const point = l.points.find((p) => p.density === density);
      if (point) row[l.name] = point.accuracy * 100;
    }
    return row;
  });
  const base = sensitivity.baseAccuracy * 100;
  const all = rows.flatMap((r) => sensitivity.layers.map((l) => r[l.name] ?? 100));
  const low = Math.max(0, Math.floor(Math.min(...all) / 5) * 5);
  const tick = 100 - low > 40 ? 10 : 5;
  const yTicks = Array.from(
    { length: Math.floor((100 - low) / tick) + 1 },
    (_, i) => 100 - i * tick,
  );
  return (
    <section
      className="step-report"
      aria-labelledby={`sens-title-${step.index}`}
      data-testid="sensitivity-report"
    >
      <div className="section-head">
        <h2 id={`sens-title-${step.index}`}>Step {step.index + 1}: sensitivity of each layer</h2>
      </div>
      <p className="hint">
        Accuracy on {validationImagesText(data)} with one layer pruned to each density, the others
        as they were (no retraining). Flat curves are layers that can lose most weights.
        {drop !== undefined
          ? ` The dashed line is the accepted drop of ${drop} point${drop === 1 ? '' : 's'}.`
          : ''}
      </p>
      <ResponsiveContainer width="100%" height={280}>
        <LineChart data={rows} margin={{ top: 8, right: 16, bottom: 20, left: 4 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#d8dee6" />
          <XAxis
            dataKey="density"
            type="number"
            scale="log"
            domain={[Math.min(...densities), 1]}
            ticks={[0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1].filter((t) => t >= Math.min(...densities))}
            tickFormatter={(v: number) => `${Number((v * 100).toPrecision(2))} %`}
            tick={{ fontSize: 11 }}
            allowDataOverflow
            label={{ value: 'weights kept (log scale)', position: 'insideBottom', offset: -10 }}
          />
          <YAxis
            domain={[low, 100]}
            ticks={yTicks}
            tickFormatter={(v: number) => `${v} %`}
            tick={{ fontSize: 11 }}
            width={52}
          />
          <Tooltip
            formatter={(v, name) => [`${Number(v).toFixed(2)} %`, String(name)]}
            labelFormatter={(v) => `${(Number(v) * 100).toPrecision(2)} % kept`}
          />
          <Legend verticalAlign="top" height={24} />
          {drop !== undefined ? (
            <ReferenceLine y={base - drop} stroke="#a32020" strokeDasharray="5 4" />
          ) : null}
          {sensitivity.layers.map((l, i) => (
            <Line
              key={l.name}
              dataKey={l.name}
              stroke={PALETTE[i % PALETTE.length]}
              strokeWidth={2}
              dot={{ r: 2 }}
              isAnimationActive={false}
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
      {chosen ? (
        <p className="hint" data-testid="sensitivity-chosen">
          Chosen:{' '}
          {Object.entries(chosen)
            .map(([layer, d]) => `${layer} keeps ${(d * 100).toFixed(1)} %`)
            .join(', ')}{' '}
          (before the step: {formatPercent(sensitivity.baseAccuracy)} on those images).
        </p>
      ) : null}
    </section>
  );
}

/** Panels for what particular steps measured: SSL's group norms, prune-auto's curves. */
export function StepReports() {
  const last = useLab((s) => s.runs.at(-1));
  if (!last) return null;
  return (
    <>
      {last.result.steps.map((step) => {
        if (groupNormsOf(step.report)) return <SslReport key={step.index} step={step} />;
        if (decompositionOf(step.report)?.layers.length)
          return <DecompositionReport key={step.index} step={step} />;
        if (forceOf(step.report)?.length)
          return <ForceReport key={step.index} step={step} data={dataSetOfRun(last.result)} />;
        if (sensitivityOf(step.report)) {
          const drop = last.result.recipe.steps[step.index]?.params.drop;
          return (
            <SensitivityReport
              key={step.index}
              step={step}
              drop={typeof drop === 'number' ? drop : undefined}
              data={dataSetOfRun(last.result)}
            />
          );
        }
        return null;
      })}
    </>
  );
}
