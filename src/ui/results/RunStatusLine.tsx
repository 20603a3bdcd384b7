import { asSentence, backendLabel, formatMs, stageLabel } from '../format.ts';
import { useLab, useSession } from '../store-context.tsx';

/** Loading, progress and errors of the current run, announced to screen readers. */
export function RunStatusLine() {
  const status = useLab((s) => s.runStatus);
  const last = useLab((s) => s.runs.at(-1));
  const session = useSession();

  if (status.phase === 'error') {
    return (
      <div className="run-status error" role="alert" data-testid="run-error" data-phase="error">
        <p>{asSentence(status.message)}</p>
        {session ? (
          <button type="button" onClick={() => session.rerun()}>
            Try again
          </button>
        ) : null}
      </div>
    );
  }
  let text: string;
  if (status.phase === 'loading') text = status.message;
  else if (status.phase === 'running') {
    const percent = Math.round(status.fraction * 100);
    text = `${stageLabel(status.stage)}${status.stage === 'evaluating' || status.stage === 'baseline' ? ` (${percent} %)` : ''}…`;
  } else {
    text = last
      ? `Done: evaluated in ${formatMs(last.result.elapsedMs)} on ${backendLabel(last.result.backend)}.`
      : 'Ready.';
  }
  return (
    <p className="run-status" role="status" data-testid="run-status" data-phase={status.phase}>
      {status.phase !== 'idle' ? <span className="spinner" aria-hidden="true" /> : null}
      {text}
    </p>
  );
}
