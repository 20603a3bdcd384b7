import { BACKENDS, type BackendChoice } from '../../engine/backend-names.ts';
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

/** Which backend actually runs, and why the preferred ones were skipped. Always visible. */
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
        <p>{error ? `No backend is running: ${error}` : 'Choosing a compute backend…'}</p>
      </div>
    );
  }
  const how =
    status.requested === 'auto'
      ? ' (chosen automatically)'
      : status.requested !== status.active
        ? ` instead of ${backendLabel(status.requested)}`
        : '';
  return (
    <div className="backend-status" data-testid="backend-status" data-active={status.active}>
      <p>
        Running on <strong>{backendLabel(status.active)}</strong>
        {how}.
      </p>
      {status.skipped.length > 0 ? (
        <ul>
          {status.skipped.map((s) => (
            <li key={s.backend}>
              Skipped {backendLabel(s.backend)}: {s.reason}.
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
