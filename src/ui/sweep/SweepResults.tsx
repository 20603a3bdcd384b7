import { useState, type DragEvent } from 'react';
import {
  CartesianGrid,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { MAX_BROKEN_NAMED, MAX_IMPORT_BYTES, parseRunFiles } from '../../store/run-import.ts';
import { dismissImportReport, runsImported } from '../../store/sweep.ts';
import { formatBytes, formatPercent } from '../format.ts';
import { useDispatch, useLab } from '../store-context.tsx';

/** Accuracy against the swept value, for the sweep running now or the one last imported. */
function SweepCurve() {
  const sweep = useLab((s) => s.sweep);
  if (!sweep) return null;
  const scale = sweep.percent ? 100 : 1;
  const data = sweep.points.map((p) => ({
    value: p.value * scale,
    accuracyPercent: p.accuracy * 100,
    sizeBytes: p.sizeBytes,
  }));
  const xs = sweep.values.map((v) => v * scale);
  const accuracies = data.map((d) => d.accuracyPercent);
  const low = accuracies.length ? Math.min(...accuracies) : 90;
  const yMin = Math.max(0, Math.floor((low - 1) / 5) * 5);
  const tickStep = 100 - yMin > 50 ? 10 : 100 - yMin > 10 ? 5 : 1;
  const yTicks = Array.from(
    { length: Math.floor((100 - yMin) / tickStep) + 1 },
    (_, i) => yMin + i * tickStep,
  );
  return (
    <figure
      className="plot sweep-curve"
      data-testid="sweep-curve"
      data-points={data.length}
      data-phase={sweep.phase}
    >
      <figcaption>
        Sweep: accuracy vs {sweep.label}
        {sweep.percent ? ' (%)' : ''} — {sweep.model}
        {sweep.phase === 'imported' ? ' (imported)' : ''}
      </figcaption>
      <ResponsiveContainer width="100%" height={260}>
        <LineChart data={data} margin={{ top: 12, right: 24, bottom: 28, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#d8dee6" />
          <XAxis
            type="number"
            dataKey="value"
            domain={[Math.min(...xs), Math.max(...xs)]}
            label={{ value: sweep.label, position: 'insideBottom', offset: -16 }}
          />
          <YAxis
            type="number"
            dataKey="accuracyPercent"
            domain={[yMin, 100]}
            ticks={yTicks}
            tickFormatter={(v: number) => `${v} %`}
            width={64}
          />
          <Tooltip
            formatter={(v) => `${Number(v).toFixed(2)} %`}
            labelFormatter={(v) => `${sweep.label} = ${String(v)}${sweep.percent ? ' %' : ''}`}
          />
          <Line
            type="linear"
            dataKey="accuracyPercent"
            name="accuracy"
            stroke="#3b6ea8"
            dot={{ r: 3 }}
            isAnimationActive={false}
          />
        </LineChart>
      </ResponsiveContainer>
      {data.length > 0 ? (
        <table className="sweep-table" data-testid="sweep-table">
          <thead>
            <tr>
              <th scope="col">{sweep.label}</th>
              <th scope="col" className="num">
                Accuracy
              </th>
              <th scope="col" className="num">
                Size
              </th>
            </tr>
          </thead>
          <tbody>
            {sweep.points.map((p, i) => (
              <tr key={i}>
                <td>{sweep.percent ? `${Number((p.value * 100).toFixed(6))} %` : p.value}</td>
                <td className="num">{formatPercent(p.accuracy)}</td>
                <td className="num">{formatBytes(p.sizeBytes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </figure>
  );
}

/** What the last import loaded, and each broken line with its number and reason. */
function ImportReportView() {
  const report = useLab((s) => s.importReport);
  const dispatch = useDispatch();
  if (!report) return null;
  const bad = report.broken.length;
  return (
    <div
      className={`banner ${bad ? 'error' : ''}`}
      role={bad ? 'alert' : 'status'}
      data-testid="import-report"
      data-loaded={report.loaded}
      data-broken={bad}
    >
      <div>
        <p>
          Loaded {report.loaded} run{report.loaded === 1 ? '' : 's'} from {report.files.join(', ')}
          {bad ? `; ${bad} line${bad === 1 ? ' was' : 's were'} broken and left out` : ''}
          {report.skipped ? `; ${report.skipped} left out because the history is full` : ''}.
        </p>
        {bad ? (
          <ul data-testid="import-broken">
            {report.broken.slice(0, MAX_BROKEN_NAMED).map((b) => (
              <li key={`${b.file}:${b.line}`}>
                {b.file} line {b.line}: {b.reason}
              </li>
            ))}
            {bad > MAX_BROKEN_NAMED ? <li>… and {bad - MAX_BROKEN_NAMED} more</li> : null}
          </ul>
        ) : null}
      </div>
      <button type="button" className="quiet" onClick={() => dispatch(dismissImportReport)}>
        Dismiss
      </button>
    </div>
  );
}

/** Import JSONL files from `complab sweep` (file picker or drop): their runs join the history. */
function ImportRuns() {
  const dispatch = useDispatch();
  const [dragging, setDragging] = useState(false);
  const [refused, setRefused] = useState<string | null>(null);

  const load = async (files: readonly File[]) => {
    if (files.length === 0) return;
    const tooBig = files.find((f) => f.size > MAX_IMPORT_BYTES);
    if (tooBig) {
      setRefused(
        `${tooBig.name} is ${formatBytes(tooBig.size)}, more than the ${formatBytes(MAX_IMPORT_BYTES)} an import may read`,
      );
      return;
    }
    setRefused(null);
    const texts = await Promise.all(
      files.map(async (f) => ({ name: f.name, text: await f.text() })),
    );
    dispatch(runsImported, parseRunFiles(texts));
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    void load([...e.dataTransfer.files]);
  };

  return (
    <div
      className={`import-runs${dragging ? ' dragging' : ''}`}
      data-testid="import-drop"
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
    >
      <label htmlFor="import-runs-file">Import runs (JSONL from complab sweep)</label>
      <input
        id="import-runs-file"
        data-testid="import-file"
        type="file"
        accept=".jsonl,.json,.ndjson,application/x-ndjson,text/plain"
        multiple
        onChange={(e) => {
          void load([...(e.target.files ?? [])]);
          e.target.value = '';
        }}
      />
      <p className="hint">
        Or drop the files here. Each line becomes a run in the history and the plot; one sweep over
        one parameter (its shards too) is drawn as a curve.
      </p>
      {refused ? (
        <p className="error-text" role="alert">
          {refused}
        </p>
      ) : null}
    </div>
  );
}

/** The sweep curve, and importing the JSONL files of `complab sweep`. */
export function SweepResults() {
  return (
    <section className="sweep-results" aria-label="Sweeps" data-testid="sweep-results">
      <SweepCurve />
      <ImportReportView />
      <ImportRuns />
    </section>
  );
}
