import './io.css';
import { useLab } from '../store-context.tsx';

/** Says when history and imported models are not saved across reloads, and why. */
export function StorageNote() {
  const note = useLab((s) => s.storageNote);
  if (!note) return null;
  return (
    <div className="banner note" role="status" data-testid="storage-note">
      <p>{note}</p>
    </div>
  );
}
