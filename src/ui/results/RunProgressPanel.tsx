import type { RunProgress } from '../../engine/lab.ts';
import { dataSetOf } from '../../engine/recipe/recipe.ts';
import { parseRecipe } from '../../engine/recipe/share.ts';
import { asSentence, backendLabel, formatDuration, formatMs, stageLabel } from '../format.ts';
import { useLab, useSession } from '../store-context.tsx';
import { downloadLine, trainingLine, whereInRun } from './progress-text.ts';

/** The data set of the run in flight (its recipe text is canonical, so it parses). */
function runningDataSet(recipeText: string) {
  try {
    return dataSetOf(parseRecipe(recipeText));
  } catch {
    return undefined;
  }
}

function Running({
  progress,
  cancelling,
  recipeText,
}: {
  progress: RunProgress | null;
  cancelling: boolean;
  recipeText: string;
}) {
  const session = useSession();
  const data = runningDataSet(recipeText);
  const sizes = useLab((s) => (data ? s.dataSizes[data] : undefined));
  const download = progress ? downloadLine(progress, sizes) : null;
  const p = progress;
  const inStep = p?.step !== undefined && p.steps !== undefined;
  const where = !p
    ? 'Starting…'
    : inStep
      ? `${p.stage === 'compressing' ? 'Computing' : stageLabel(p.stage)} ${whereInRun(p)}`
      : `${stageLabel(p.stage)}…`;
  const title = cancelling ? `Cancelling… (${where.replace(/…$/, '')})` : where;
  const training = p ? trainingLine(p) : null;
  const percent = p ? Math.round(p.fraction * 100) : 0;
  return (
    <div
      className="run-status running"
      data-testid="run-status"
      data-phase="running"
      data-cancelling={cancelling}
    >
      <div className="progress-head">
        <span className="spinner" aria-hidden="true" />
        <p role="status" data-testid="run-stage">
          {title}
        </p>
        <button
          type="button"
          className="secondary"
          data-testid="cancel-run"
          disabled={cancelling}
          onClick={() => session?.cancel()}
        >
          {cancelling ? 'Cancelling…' : 'Cancel'}
        </button>
      </div>
      <div className="progress-row">
        <progress
          data-testid="run-progress"
          max={1}
          value={p?.fraction ?? 0}
          aria-label={inStep ? `Progress of ${whereInRun(p)}` : 'Progress'}
        />
        <span className="progress-numbers">
          {percent} %
          {p?.etaMs !== undefined ? (
            <span data-testid="run-eta"> · about {formatDuration(p.etaMs)} left in this step</span>
          ) : null}
        </span>
      </div>
      {download ? (
        <p className="hint" data-testid="run-download">
          {download}
        </p>
      ) : null}
      {training ? (
        <p className="hint training-line" data-testid="run-training">
          {training}
        </p>
      ) : null}
    </div>
  );
}

/**
 * What the engine is doing: the stage, the step, epoch and batch with loss and running
 * accuracy, a bar with a time estimate and Cancel; after a cancel or a failure, what happened and
 * that the results below are the last good ones.
 */
export function RunProgressPanel() {
  const status = useLab((s) => s.runStatus);
  const last = useLab((s) => s.runs.at(-1));
  const session = useSession();
  const kept = last ? (
    <p className="hint">The results below are still those of run {last.runId}.</p>
  ) : null;

  switch (status.phase) {
    case 'running':
      return (
        <Running
          progress={status.progress}
          cancelling={status.cancelling === true}
          recipeText={status.recipeText}
        />
      );
    case 'cancelled': {
      const p = status.progress;
      const where = p ? whereInRun(p) : 'the start';
      const training = p ? trainingLine(p) : null;
      return (
        <div className="run-status stopped" data-testid="run-status" data-phase="cancelled">
          <div>
            <p role="status" data-testid="run-cancelled">
              Cancelled at {where}
              {training ? ` (${training})` : ''}.
            </p>
            {kept}
          </div>
          <button type="button" onClick={() => session?.rerun()}>
            Run again
          </button>
        </div>
      );
    }
    case 'error':
      return (
        <div className="run-status error" role="alert" data-testid="run-error" data-phase="error">
          <div>
            <p>{asSentence(status.message)}</p>
            {kept}
          </div>
          {session ? (
            <button type="button" onClick={() => session.rerun()}>
              Try again
            </button>
          ) : null}
        </div>
      );
    case 'loading':
      return (
        <p className="run-status" role="status" data-testid="run-status" data-phase="loading">
          <span className="spinner" aria-hidden="true" />
          {status.message}
        </p>
      );
    case 'idle':
      return (
        <p className="run-status" role="status" data-testid="run-status" data-phase="idle">
          {last
            ? `Done: run ${last.runId} took ${formatMs(last.result.elapsedMs)} on ${backendLabel(last.result.backend)}.`
            : 'Ready.'}
          {status.cancelTooLate ? (
            <span data-testid="cancel-too-late">
              {' '}
              The run had finished before Cancel reached the engine, so its result is kept.
            </span>
          ) : null}
        </p>
      );
  }
}
