import { Fragment, useEffect, useState, type ReactNode } from 'react';
import { formatPaired } from '../../engine/stats/paired-text.ts';
import { BehaviourView } from '../compare/BehaviourView.tsx';
import { toggleCompare } from '../../store/actions.ts';
import { planPairedComparison } from '../../store/paired-runs.ts';
import type { RunRecord } from '../../store/state.ts';
import {
  backendLabel,
  formatBytes,
  formatCount,
  formatMs,
  formatPercent,
  stepsOf,
} from '../format.ts';
import { useDispatch, useLab, useSession } from '../store-context.tsx';
import { formatLatencyRange } from './latency-text.ts';
import {
  changeMark,
  compareLayers,
  LATENCY_TOLERANCE,
  latenciesDiffer,
  type LayerFigure,
  type LayerFigures,
} from './run-comparison.ts';

const FIGURE_HEADS: Record<LayerFigure, { label: string; title: string }> = {
  params: { label: 'Params', title: 'Weights and biases' },
  nonzero: { label: 'Nonzero', title: 'Parameters that are not zero' },
  bits: {
    label: 'Bits / weight',
    title: 'Stored bits per kept kernel weight: its value plus its position (sparse index)',
  },
  bytes: { label: 'Bytes', title: "The layer's bytes in the stored model file" },
  macs: { label: 'MACs', title: 'Multiply-accumulates per image' },
  kernel: { label: 'Kernel', title: 'The implementation the layer ran on when latency was timed' },
  latency: {
    label: 'Latency',
    title: `The kernel's autotuned time for one call at the latency batch, where it was timed; a change under ${LATENCY_TOLERANCE * 100} % is timing noise and not marked`,
  },
};

function formatFigure(figure: LayerFigure, value: number | string | null): string {
  if (value === null) return '—';
  if (typeof value === 'string') return value;
  switch (figure) {
    case 'bits':
      return value.toFixed(value % 1 === 0 ? 0 : 2);
    case 'bytes':
      return formatBytes(value);
    case 'latency':
      return formatMs(value);
    default:
      return formatCount(value);
  }
}

/** Accuracy moves in percentage points, not as a ratio of itself. */
const pointsMark = (a: number, b: number) =>
  `${b > a ? '▲' : '▼'} ${(Math.abs(b - a) * 100).toFixed(2)} pts`;

/** A cell of run B: marked (background, symbol and hidden text) where it differs from A. */
function Cell({
  differs,
  mark,
  children,
  testId,
}: {
  differs: boolean;
  mark: string;
  children: ReactNode;
  testId?: string;
}) {
  return (
    <td className={differs ? 'num differs' : 'num'} data-testid={testId} data-differs={differs}>
      {children}
      {differs ? (
        <span className="mark" title="differs from the other run">
          {mark}
          <span className="visually-hidden"> (differs)</span>
        </span>
      ) : null}
    </td>
  );
}

interface SummaryRow {
  readonly label: string;
  readonly value: (run: RunRecord) => number | string;
  readonly format: (value: number | string) => string;
  /** A second, smaller line under the value (latency: the spread of its samples). */
  readonly detail?: (run: RunRecord) => string;
}

const SUMMARY: readonly SummaryRow[] = [
  {
    label: 'Accuracy',
    value: (r) => r.result.accuracy,
    format: (v) => formatPercent(v as number),
  },
  {
    label: 'Stored size',
    value: (r) => r.result.sizeBytes,
    format: (v) => formatBytes(v as number),
  },
  { label: 'Params', value: (r) => r.result.params, format: (v) => formatCount(v as number) },
  {
    label: 'Nonzero params',
    value: (r) => r.result.nonzeroParams,
    format: (v) => formatCount(v as number),
  },
  { label: 'MACs / image', value: (r) => r.result.macs, format: (v) => formatCount(v as number) },
  {
    label: 'Latency',
    value: (r) => r.result.latencyMs,
    format: (v) => formatMs(v as number),
    detail: (r) => formatLatencyRange(r.result.latencySpread),
  },
  {
    label: 'Backend',
    value: (r) => backendLabel(r.result.backend),
    format: (v) => String(v),
  },
];

function SummaryDetail({ row, run }: { row: SummaryRow; run: RunRecord }) {
  const text = row.detail?.(run);
  return text ? <span className="figure-detail">{text}</span> : null;
}

/**
 * Run B against run A on the same test images: the images B loses and gains, and McNemar's
 * exact p-value (the engine holds the labels); or why there is none.
 */
function PairedLine({ a, b }: { a: RunRecord; b: RunRecord }) {
  const session = useSession();
  const plan = planPairedComparison(a, b);
  const [answer, setAnswer] = useState<{ key: string; text: string } | null>(null);
  const key = `${a.runId}/${b.runId}`;
  useEffect(() => {
    if (!plan.ok || !session) return;
    let current = true;
    void session.comparePredictions(plan.data, plan.a, plan.b).then((outcome) => {
      if (!current) return;
      const text = outcome.ok
        ? `Run ${b.runId} against run ${a.runId} on the same ${plan.total.toLocaleString('en-US')} test images: ${formatPaired(outcome.paired, plan.total)}.`
        : `No paired comparison: ${outcome.error.message}`;
      setAnswer({ key, text });
    });
    return () => {
      current = false;
    };
    // The plan is derived from the two runs, which the key names.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, session]);
  const text = !plan.ok
    ? plan.reason
    : answer?.key === key
      ? answer.text
      : 'Comparing image by image…';
  return (
    <p className="hint" data-testid="compare-paired">
      {text}
    </p>
  );
}

/** The two picked runs, whole-run figures first, then layer by layer, differences marked. */
function Comparison({ a, b }: { a: RunRecord; b: RunRecord }) {
  const rows = compareLayers(a.result, b.result);
  const figures = (f: LayerFigures | null, figure: LayerFigure) =>
    formatFigure(figure, f ? f[figure] : null);
  const differsInSummary = (row: SummaryRow) => {
    const [x, y] = [row.value(a), row.value(b)];
    if (row.label === 'Latency') return latenciesDiffer(a.result, b.result);
    return x !== y;
  };
  return (
    <>
      <p className="hint">
        Run {a.runId}: <span className="mono">{stepsOf(a.recipeText)}</span> — run {b.runId}:{' '}
        <span className="mono">{stepsOf(b.recipeText)}</span>. In each pair of rows the second
        run&apos;s figures that differ are shaded and marked ▲ (larger), ▼ (smaller) or ≠. Latency
        per layer is the kernel&apos;s own time for one call, from kernel autotuning (—: picked
        without timing); the whole run&apos;s latency is measured end to end: the median, and under
        it, in parentheses, the middle half of its samples; it is marked as differing only where
        those middle halves do not overlap.
      </p>
      <PairedLine a={a} b={b} />
      <div className="table-scroll">
        <table className="compare-table" data-testid="compare-summary">
          <thead>
            <tr>
              <th scope="col">Run</th>
              {SUMMARY.map((row) => (
                <th scope="col" key={row.label} className="num">
                  {row.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {[a, b].map((run, k) => (
              <tr key={run.runId} className={k === 1 ? 'run-b' : undefined}>
                <th scope="row">#{run.runId}</th>
                {SUMMARY.map((row) =>
                  k === 0 ? (
                    <td key={row.label} className="num">
                      {row.format(row.value(run))}
                      <SummaryDetail row={row} run={run} />
                    </td>
                  ) : (
                    <Cell
                      key={row.label}
                      differs={differsInSummary(row)}
                      mark={
                        row.label === 'Accuracy'
                          ? pointsMark(row.value(a) as number, row.value(b) as number)
                          : changeMark(row.value(a), row.value(b))
                      }
                      testId={`compare-summary-${row.label.toLowerCase().replace(/\W+/g, '-')}`}
                    >
                      {row.format(row.value(run))}
                      <SummaryDetail row={row} run={run} />
                    </Cell>
                  ),
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="table-scroll">
        <table className="compare-table" data-testid="compare-layers">
          <thead>
            <tr>
              <th scope="col">Layer</th>
              <th scope="col">Run</th>
              {Object.entries(FIGURE_HEADS).map(([key, head]) => (
                <th scope="col" key={key} className="num" title={head.title}>
                  {head.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <Fragment key={row.name}>
                <tr data-testid="compare-layer" data-layer={row.name}>
                  <th scope="rowgroup" rowSpan={2} className="mono">
                    {row.name}
                    <div className="hint">{row.className}</div>
                  </th>
                  <td>#{a.runId}</td>
                  {(Object.keys(FIGURE_HEADS) as LayerFigure[]).map((figure) => (
                    <td key={figure} className="num">
                      {row.a ? figures(row.a, figure) : 'absent'}
                    </td>
                  ))}
                </tr>
                <tr className="run-b" data-testid="compare-layer-b" data-layer={row.name}>
                  <td>#{b.runId}</td>
                  {(Object.keys(FIGURE_HEADS) as LayerFigure[]).map((figure) => (
                    <Cell
                      key={figure}
                      differs={row.differs[figure]}
                      mark={
                        row.a && row.b
                          ? changeMark(row.a[figure], row.b[figure])
                          : row.b
                            ? '≠ only here'
                            : '≠'
                      }
                      testId={`compare-${figure}`}
                    >
                      {row.b ? figures(row.b, figure) : 'absent'}
                    </Cell>
                  ))}
                </tr>
              </Fragment>
            ))}
          </tbody>
        </table>
      </div>
      <BehaviourView a={a} b={b} />
    </>
  );
}

/** Two runs picked in the history, side by side; with fewer picked, what to do. */
export function CompareRuns() {
  const picked = useLab((s) => s.compareRunIds);
  const runs = useLab((s) => s.runs);
  const dispatch = useDispatch();
  const chosen = picked
    .map((id) => runs.find((r) => r.runId === id))
    .filter((r): r is RunRecord => r !== undefined)
    .sort((x, y) => x.runId - y.runId);
  if (runs.length < 2 && chosen.length === 0) return null;
  return (
    <section className="compare" aria-labelledby="compare-title" data-testid="compare">
      <div className="section-head">
        <h2 id="compare-title">
          Compare runs
          {chosen.length === 2 ? ` ${chosen[0].runId} and ${chosen[1].runId}` : ''}
        </h2>
        {chosen.length > 0 ? (
          <button
            type="button"
            className="quiet"
            onClick={() => chosen.forEach((r) => dispatch(toggleCompare, r.runId))}
          >
            Clear picks
          </button>
        ) : null}
      </div>
      {chosen.length === 2 ? (
        <Comparison a={chosen[0]} b={chosen[1]} />
      ) : (
        <p className="hint" data-testid="compare-hint">
          {chosen.length === 0
            ? 'Tick "Compare" on two runs in the history to see them side by side, layer by layer.'
            : `Run ${chosen[0].runId} is picked; tick one more run in the history.`}
        </p>
      )}
    </section>
  );
}
