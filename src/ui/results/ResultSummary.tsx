import { dataSetInfo, LEGACY_DATA_SET } from '../../engine/data/datasets.ts';
import { formatPaired, formatPointDifference } from '../../engine/stats/paired-text.ts';
import { recipeTextOf } from '../../store/state.ts';
import {
  backendLabel,
  formatBytes,
  formatCount,
  formatMs,
  formatPercent,
  formatRatio,
  stepsOf,
} from '../format.ts';
import { useLab } from '../store-context.tsx';
import { formatLatency, formatLatencySpread, latencyVersusBaseline } from './latency-text.ts';

/** The newest result, as big numbers. Dimmed while a newer recipe is being evaluated. */
export function ResultSummary() {
  const last = useLab((s) => s.runs.at(-1));
  const currentText = useLab((s) => recipeTextOf(s.recipe));
  if (!last) {
    return (
      <section className="summary empty" aria-label="Result">
        <p className="hint">The first evaluation appears here.</p>
      </section>
    );
  }
  const r = last.result;
  const stale = last.recipeText !== currentText;
  const accuracyDelta = (r.accuracy - r.baselineAccuracy) * 100;
  const dataName = dataSetInfo(r.data ?? LEGACY_DATA_SET).name;
  return (
    <section
      className={stale ? 'summary stale' : 'summary'}
      aria-label="Result"
      data-testid="result"
      data-recipe={last.recipeText}
      data-run-id={last.runId}
    >
      <p className="summary-caption">
        Run {last.runId} · {r.model} on <span data-testid="result-data">{dataName}</span> ·{' '}
        <span className="mono" title={last.recipeText}>
          {stepsOf(last.recipeText)}
        </span>
        {stale ? <span className="stale-note"> · not the recipe in the editor</span> : null}
      </p>
      {r.trainedOn ? (
        <p
          className={r.trainedOn !== r.backend ? 'summary-note warn' : 'summary-note'}
          data-testid="trained-on"
          data-trained-on={r.trainedOn}
        >
          Fine-tuned on {backendLabel(r.trainedOn)}
          {r.trainedOn !== r.backend ? (
            <>
              , evaluated on {backendLabel(r.backend)}. Trained or evaluated on another backend, its
              numbers may differ slightly; <code>complab eval</code> reproduces the{' '}
              {backendLabel(r.trainedOn)} numbers exactly.
            </>
          ) : (
            <>
              , the backend <code>complab eval</code> trains on: the same recipe gives the same
              numbers there.
            </>
          )}
        </p>
      ) : null}
      <div className="metric">
        <span className="metric-label">Accuracy</span>
        <span className="metric-value" data-testid="accuracy">
          {formatPercent(r.accuracy)}
        </span>
        <span className="metric-note">
          {formatCount(r.correct)} of {formatCount(r.total)} test images ·{' '}
          {/* Paired on the same images: what it loses and gains, and whether that is chance. */}
          <span
            data-testid="paired"
            title="against the baseline on the same test images; p: McNemar's exact test"
          >
            {r.paired ? formatPaired(r.paired, r.total) : formatPointDifference(accuracyDelta)}
          </span>{' '}
          vs baseline
        </span>
      </div>
      <div className="metric">
        <span className="metric-label">Stored size</span>
        <span className="metric-value" data-testid="size">
          {formatBytes(r.sizeBytes)}
        </span>
        <span className="metric-note" data-testid="size-bytes">
          {formatCount(r.sizeBytes)} bytes · {formatRatio(r.compressionRatio)} smaller than{' '}
          {formatBytes(r.baselineSizeBytes)}
        </span>
      </div>
      <div className="metric">
        <span className="metric-label">Nonzero weights</span>
        <span className="metric-value" data-testid="nonzero">
          {formatCount(r.nonzeroParams)}
        </span>
        <span className="metric-note">
          of {formatCount(r.params)} parameters · {formatCount(r.sparseMacs)} of{' '}
          {formatCount(r.macs)} MACs left
        </span>
      </div>
      <div className="metric">
        <span className="metric-label">Latency</span>
        <span className="metric-value" data-testid="latency">
          {formatMs(r.latencyMs)}
        </span>
        <span className="metric-note" data-testid="latency-note">
          per batch of {r.latencyBatch} images on {backendLabel(r.backend)}
          {r.latencySpread ? ` · ${formatLatencySpread(r.latencySpread)}` : ''} · baseline{' '}
          {formatLatency(r.baselineLatencyMs, r.baselineLatencySpread)}, measured in the same window
          · <span data-testid="latency-verdict">{latencyVersusBaseline(r)}</span>
        </span>
      </div>
    </section>
  );
}
