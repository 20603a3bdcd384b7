import { BACKENDS, type BackendChoice } from '../../engine/backend-names.ts';
import { describeLoss, threadsNote } from '../../engine/browser/select-backend.ts';
import { setBackendChoice } from '../../store/actions.ts';
import { backendLabel } from '../format.ts';
import { useDispatch, useLab } from '../store-context.tsx';

const CHOICES: readonly BackendChoice[] = ['auto', ...BACKENDS];

export function BackendPicker() {
  const choice = useLab((s) => s.ui.backend);
  const dispatch = useDispatch();
  return (
    <div className="field">
      <label htmlFor="backend-picker">Compute backend</label>
      <select
        id="backend-picker"
        data-testid="backend-picker"
        value={choice}
        onChange={(e) => dispatch(setBackendChoice, e.target.value as BackendChoice)}
      >
        {CHOICES.map((c) => (
          <option key={c} value={c}>
            {c === 'auto' ? 'Automatic (fastest available)' : backendLabel(c)}
          </option>
        ))}
      </select>
    </div>
  );
}

/** The compute worker died and was replaced: says so until the person picks a backend. */
function EngineNotice() {
  const notice = useLab((s) => s.engineNotice);
  if (!notice) return null;
  return (
    <p className="engine-notice error-text" data-testid="engine-notice" role="status">
      {notice}
    </p>
  );
}

/**
 * Which backend actually runs, and why the preferred ones were skipped; a GPU backend lost
 * during the session, and a worker that had to be restarted. Always visible.
 */
export function BackendStatusLine() {
  const status = useLab((s) => s.backendStatus);
  const error = useLab((s) => s.backendError);
  if (error || !status) {
    return (
      <div
        className={error ? 'backend-status error-text' : 'backend-status'}
        data-testid="backend-status"
        data-active=""
      >
        <EngineNotice />
        <p>{error ? `No backend is running: ${error}` : 'Choosing a compute backend…'}</p>
      </div>
    );
  }
  // A lost backend is explained once, by the line saying it was lost.
  const skipped = status.skipped.filter((s) => s.backend !== status.lost?.backend);
  const how =
    status.requested === 'auto'
      ? ' (chosen automatically)'
      : status.requested !== status.active
        ? ` instead of ${backendLabel(status.requested)}`
        : '';
  return (
    <div className="backend-status" data-testid="backend-status" data-active={status.active}>
      <EngineNotice />
      {status.lost ? (
        <p className="backend-lost error-text" data-testid="backend-lost" role="status">
          {describeLoss(status.lost, status.active)}.
        </p>
      ) : null}
      <p>
        Running on <strong>{backendLabel(status.active)}</strong>
        {threadsNote(status)}
        {how}.
      </p>
      {skipped.length > 0 ? (
        <ul>
          {skipped.map((s) => (
            <li key={s.backend}>
              Skipped {backendLabel(s.backend)}: {s.reason}.
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
