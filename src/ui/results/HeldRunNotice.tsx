import { LINK_TRAINING_LIMIT_MS } from '../../engine/training-estimate.ts';
import { linkCleared } from '../../store/link-gate.ts';
import { formatCount, formatDuration } from '../format.ts';
import { useDispatch, useLab, useSession } from '../store-context.tsx';

/** A long estimate in the largest units that read well ("about 29 h 21 min"). */
function roughDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return formatDuration(ms);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/**
 * A link whose training is estimated over two minutes (store/link-gate.ts): what it would
 * train and for how long, and a Run button; nothing trains until it is pressed.
 */
export function HeldRunNotice() {
  const held = useLab((s) => s.heldRun);
  const session = useSession();
  const dispatch = useDispatch();
  if (!held) return null;
  const { estimate } = held;
  return (
    <div className="run-status stopped" data-testid="held-run" data-phase="held">
      <div>
        <p role="status" data-testid="held-run-estimate">
          This link trains {formatCount(estimate.batches)} batches ({formatCount(estimate.digits)}{' '}
          digits): about {roughDuration(estimate.ms)} on this machine (
          {estimate.measured
            ? 'from the time per digit measured here'
            : 'a cautious guess from the model’s multiply-adds until a run measures it'}
          ). A link that would train longer than {formatDuration(LINK_TRAINING_LIMIT_MS)} waits for
          you.
        </p>
        <p className="hint">Nothing has run yet; edit the steps, or press Run to train.</p>
      </div>
      <button
        type="button"
        data-testid="run-held"
        onClick={() => {
          dispatch(linkCleared);
          session?.rerun();
        }}
      >
        Run
      </button>
    </div>
  );
}
