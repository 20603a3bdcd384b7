import { formatRecipe } from '../../engine/recipe/share.ts';
import {
  backendLabel,
  formatBytes,
  formatCount,
  formatMs,
  formatPercent,
  formatRatio,
} from '../format.ts';
import { useLab } from '../store-context.tsx';

/** The newest result, as big numbers. Dimmed while a newer recipe is being evaluated. */
export function ResultSummary() {
  const last = useLab((s) => s.runs.at(-1));
  const currentText = useLab((s) => formatRecipe(s.recipe));
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
  return (
    <section
      className={stale ? 'summary stale' : 'summary'}
      aria-label="Result"
      data-testid="result"
      data-recipe={last.recipeText}
      data-run-id={last.runId}
    >
      <div className="metric">
        <span className="metric-label">Accuracy</span>
        <span className="metric-value" data-testid="accuracy">
          {formatPercent(r.accuracy)}
        </span>
        <span className="metric-note">
          {formatCount(r.correct)} of {formatCount(r.total)} digits ·{' '}
          {accuracyDelta >= 0 ? '+' : '−'}
          {Math.abs(accuracyDelta).toFixed(2)} points vs baseline
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
        <span className="metric-note">
          per batch of {r.latencyBatch} digits on {backendLabel(r.backend)} · baseline{' '}
          {formatMs(r.baselineLatencyMs)}
        </span>
      </div>
    </section>
  );
}
