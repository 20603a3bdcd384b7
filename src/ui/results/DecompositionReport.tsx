/**
 * Panels for the decomposition family's steps: for svd and tucker2, the singular-value spectrum
 * of a chosen layer (before decomposition) with the kept rank marked, the chosen ranks and the
 * layer's params and MACs before and after, and the step's warnings; for force, each layer's
 * spectrum before and after the force pulled its filters together.
 */
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
import type { StepReport } from '../../engine/techniques/technique.ts';
import { formatCount, formatPercent, validationImagesText } from '../format.ts';

interface Spectrum {
  readonly mode: string;
  readonly values: readonly number[];
  readonly rank: number;
  readonly source: string;
  readonly energyKept: number;
}

interface DecomposedLayer {
  readonly name: string;
  readonly method: string;
  readonly kernelShape: readonly number[];
  readonly spectra: readonly Spectrum[];
  readonly factors: readonly string[];
  readonly paramsBefore: number;
  readonly paramsAfter: number;
  readonly macsBefore: number;
  readonly macsAfter: number;
  readonly relativeError: number;
}

interface ForceLayer {
  readonly name: string;
  /** 'conv' or 'dense': how the accuracy curve cut the layer. */
  readonly kind?: string;
  readonly strength: number;
  readonly before: readonly number[];
  readonly after: readonly number[];
  readonly rankBefore: number;
  readonly rankAfter: number;
  /** Check-digit accuracy with this layer alone cut to each rank, without and with the force. */
  readonly accuracy?: readonly { rank: number; without: number; with: number }[];
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumbers = (v: unknown): v is number[] =>
  Array.isArray(v) && v.every((x) => typeof x === 'number');

/** The decomposition part of a step's report, or null (the report is plain JSON). */
export function decompositionOf(
  report: StepReport | undefined,
): { layers: DecomposedLayer[]; warnings: string[] } | null {
  const layers = report?.decomposition;
  if (!Array.isArray(layers)) return null;
  const valid = layers.filter(
    (l): l is DecomposedLayer =>
      isRecord(l) &&
      typeof l.name === 'string' &&
      Array.isArray(l.spectra) &&
      l.spectra.every((s) => isRecord(s) && isNumbers(s.values) && typeof s.rank === 'number'),
  );
  const warnings = Array.isArray(report?.warnings)
    ? report.warnings.filter((w): w is string => typeof w === 'string')
    : [];
  return { layers: valid, warnings };
}

export function forceOf(report: StepReport | undefined): ForceLayer[] | null {
  const force = report?.force;
  if (!isRecord(force) || !Array.isArray(force.layers)) return null;
  return force.layers.filter(
    (l): l is ForceLayer =>
      isRecord(l) && typeof l.name === 'string' && isNumbers(l.before) && isNumbers(l.after),
  );
}

const MODE_LABEL: Record<string, string> = {
  matrix: 'singular values',
  out: 'output-channel mode',
  in: 'input-channel mode',
};
const SOURCE_LABEL: Record<string, string> = {
  given: 'given',
  energy: 'by energy kept',
  vbmf: 'VBMF',
  'vbmf-fallback': 'VBMF found no signal: 90% energy',
  full: 'whole mode',
};
const COLORS = ['#1f5fa8', '#e07a1f', '#1f8a4c', '#a32020'];

const ratio = (before: number, after: number) =>
  after > 0 ? `${(before / after).toFixed(2)}x` : '—';

function LayerPicker(props: {
  id: string;
  layers: readonly string[];
  value: string;
  onChange: (layer: string) => void;
}) {
  return (
    <div className="inline-field">
      <label htmlFor={props.id}>Layer</label>
      <select
        id={props.id}
        data-testid="decomposition-layer"
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
      >
        {props.layers.map((l) => (
          <option key={l} value={l}>
            {l}
          </option>
        ))}
      </select>
    </div>
  );
}

/** svd / tucker2: spectrum of the chosen layer, ranks and costs of every decomposed layer. */
export function DecompositionReport({ step }: { step: StepResult }) {
  const found = decompositionOf(step.report)!;
  const names = found.layers.map((l) => l.name);
  const [chosen, setChosen] = useState<string | null>(null);
  const layer = found.layers.find((l) => l.name === chosen) ?? found.layers[0];
  if (!layer) return null;
  const length = Math.max(...layer.spectra.map((s) => s.values.length));
  const rows = Array.from({ length }, (_, i) => {
    const row: Record<string, number> = { index: i + 1 };
    for (const s of layer.spectra) if (i < s.values.length) row[s.mode] = s.values[i];
    return row;
  });
  return (
    <section
      className="step-report"
      aria-labelledby={`decomposition-title-${step.index}`}
      data-testid="decomposition-report"
    >
      <div className="section-head">
        <h2 id={`decomposition-title-${step.index}`}>
          Step {step.index + 1}: {step.technique === 'svd' ? 'SVD' : 'Tucker-2'} spectrum and ranks
        </h2>
        <LayerPicker
          id={`decomposition-layer-${step.index}`}
          layers={names}
          value={layer.name}
          onChange={setChosen}
        />
      </div>
      <p className="hint">
        Singular values of {layer.name}’s kernel
        {layer.method === 'tucker2'
          ? ' unfolded along its output and its input channels'
          : ` (${layer.kernelShape.join('×')})`}
        , before decomposition, largest first. The dashed line marks the rank kept; what lies to its
        right is dropped.
      </p>
      <div data-testid="spectrum-plot" data-layer={layer.name}>
        <ResponsiveContainer width="100%" height={240}>
          <LineChart data={rows} margin={{ top: 8, right: 16, bottom: 20, left: 4 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#d8dee6" />
            <XAxis
              dataKey="index"
              type="number"
              domain={[1, length]}
              tick={{ fontSize: 11 }}
              label={{ value: 'index', position: 'insideBottom', offset: -10 }}
            />
            <YAxis tick={{ fontSize: 11 }} width={52} />
            <Tooltip
              formatter={(v, name) => [
                Number(v).toPrecision(4),
                MODE_LABEL[String(name)] ?? String(name),
              ]}
            />
            {layer.spectra.length > 1 ? (
              <Legend
                verticalAlign="top"
                height={24}
                formatter={(v: string) => MODE_LABEL[v] ?? v}
              />
            ) : null}
            {layer.spectra.map((s, i) => (
              <Line
                key={s.mode}
                dataKey={s.mode}
                stroke={COLORS[i % COLORS.length]}
                strokeWidth={2}
                dot={length <= 60 ? { r: 2 } : false}
                isAnimationActive={false}
              />
            ))}
            {layer.spectra.map((s, i) => (
              <ReferenceLine
                key={`rank-${s.mode}`}
                x={s.rank}
                stroke={COLORS[i % COLORS.length]}
                strokeDasharray="5 4"
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </div>
      <div className="table-scroll" tabIndex={0} role="region" aria-label="Decomposition table">
        <table data-testid="decomposition-table">
          <thead>
            <tr>
              <th scope="col">Layer</th>
              <th scope="col">Rank</th>
              <th scope="col" className="num">
                Energy kept
              </th>
              <th scope="col" className="num">
                Weights
              </th>
              <th scope="col" className="num">
                MACs
              </th>
              <th scope="col">Now</th>
            </tr>
          </thead>
          <tbody>
            {found.layers.map((l) => (
              <tr key={l.name} data-layer={l.name}>
                <td className="mono">{l.name}</td>
                <td data-testid="decomposition-rank">
                  {l.spectra
                    .map(
                      (s) =>
                        `${s.mode === 'matrix' ? '' : `${s.mode} `}${s.rank} (${SOURCE_LABEL[s.source] ?? s.source})`,
                    )
                    .join(', ')}
                </td>
                <td className="num">
                  {l.spectra.map((s) => formatPercent(s.energyKept)).join(', ')}
                </td>
                <td className="num">
                  {formatCount(l.paramsBefore)} → {formatCount(l.paramsAfter)} (
                  {ratio(l.paramsBefore, l.paramsAfter)})
                </td>
                <td className="num">
                  {formatCount(l.macsBefore)} → {formatCount(l.macsAfter)} (
                  {ratio(l.macsBefore, l.macsAfter)})
                </td>
                <td className="mono">{l.factors.join(' → ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {found.warnings.map((w) => (
        <p key={w} className="summary-note warn" data-testid="decomposition-warning" role="status">
          ⚠ {w}
        </p>
      ))}
    </section>
  );
}

/** force: each layer's filter spectrum before and after the force, and its 95%-energy rank. */
export function ForceReport({ step, data }: { step: StepResult; data: DataSetId }) {
  const layers = forceOf(step.report)!;
  const [chosen, setChosen] = useState<string | null>(null);
  const layer = layers.find((l) => l.name === chosen) ?? layers[0];
  if (!layer) return null;
  const rows = layer.before.map((v, i) => ({ index: i + 1, before: v, after: layer.after[i] }));
  return (
    <section
      className="step-report"
      aria-labelledby={`force-title-${step.index}`}
      data-testid="force-report"
    >
      <div className="section-head">
        <h2 id={`force-title-${step.index}`}>Step {step.index + 1}: filters under the force</h2>
        <LayerPicker
          id={`force-layer-${step.index}`}
          layers={layers.map((l) => l.name)}
          value={layer.name}
          onChange={setChosen}
        />
      </div>
      <p className="hint">
        Singular values of {layer.name}’s filters before and after force regularization. Filters
        pulled together leave their energy in fewer directions: 95% of it now takes rank{' '}
        {layer.rankAfter} instead of {layer.rankBefore}.
      </p>
      <div data-testid="force-spectrum">
        <ResponsiveContainer width="100%" height={220}>
          <LineChart data={rows} margin={{ top: 8, right: 16, bottom: 20, left: 4 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#d8dee6" />
            <XAxis
              dataKey="index"
              type="number"
              tick={{ fontSize: 11 }}
              domain={[1, rows.length]}
            />
            <YAxis tick={{ fontSize: 11 }} width={52} />
            <Tooltip />
            <Legend verticalAlign="top" height={24} />
            <Line dataKey="before" stroke={COLORS[0]} dot={false} isAnimationActive={false} />
            <Line dataKey="after" stroke={COLORS[1]} dot={false} isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>
      </div>
      {layer.accuracy?.length ? (
        <>
          <p className="hint">
            Accuracy on {validationImagesText(data)} with {layer.name} alone cut to each rank (
            {layer.kind === 'conv' ? 'Tucker-2 of its output channels' : 'SVD'}), no fine-tuning:
            the network as this step received it (without force) and as it leaves it (with force).
          </p>
          <div data-testid="force-accuracy" data-layer={layer.name}>
            <ResponsiveContainer width="100%" height={220}>
              <LineChart
                data={layer.accuracy.map((p) => ({
                  rank: p.rank,
                  without: p.without * 100,
                  with: p.with * 100,
                }))}
                margin={{ top: 8, right: 16, bottom: 20, left: 4 }}
              >
                <CartesianGrid strokeDasharray="3 3" stroke="#d8dee6" />
                <XAxis
                  dataKey="rank"
                  type="number"
                  scale="log"
                  domain={['dataMin', 'dataMax']}
                  ticks={layer.accuracy.map((p) => p.rank)}
                  tick={{ fontSize: 11 }}
                  label={{ value: 'rank (log scale)', position: 'insideBottom', offset: -10 }}
                />
                <YAxis tick={{ fontSize: 11 }} width={52} tickFormatter={(v: number) => `${v} %`} />
                <Tooltip formatter={(v, name) => [`${Number(v).toFixed(2)} %`, String(name)]} />
                <Legend
                  verticalAlign="top"
                  height={24}
                  formatter={(v: string) => (v === 'with' ? 'with force' : 'without force')}
                />
                <Line
                  dataKey="without"
                  stroke={COLORS[0]}
                  strokeWidth={2}
                  dot={{ r: 2 }}
                  isAnimationActive={false}
                />
                <Line
                  dataKey="with"
                  stroke={COLORS[1]}
                  strokeWidth={2}
                  dot={{ r: 2 }}
                  isAnimationActive={false}
                />
              </LineChart>
            </ResponsiveContainer>
          </div>
        </>
      ) : null}
    </section>
  );
}
