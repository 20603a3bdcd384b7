/**
 * Keeps the history of runs in the page's IndexedDB as it changes: new runs are written, runs
 * that dropped off (the MAX_RUNS window) or were cleared are deleted. A write that fails (the
 * disk full: QuotaExceededError, or any other refusal) stops the saving for this tab and says
 * so in `storageNote`; the runs in the page are untouched, and those saved before stay saved.
 */
import { dispatch, type LabStore } from './lab-store.ts';
import { isQuotaError, storageReason, type PageDb } from './page-db.ts';
import { storageFailed } from './io-actions.ts';

export function storageFailureNote(what: string, err: unknown): string {
  const why = isQuotaError(err)
    ? `the browser's storage is full (${storageReason(err)})`
    : `the browser refused to store it (${storageReason(err)})`;
  return `${what} is no longer saved: ${why}. Everything on the page stays as it is, but what changes from now on lasts only until this tab is closed or reloaded.`;
}

/** Starts saving; returns a function that stops it. */
export function startHistoryPersistence(store: LabStore, db: PageDb): () => void {
  if (db.note !== null) return () => undefined;
  const saved = new Set(store.getState().runs.map((r) => r.runId));
  let failed = false;
  let queue: Promise<void> = Promise.resolve();

  const write = (task: () => Promise<void>) => {
    queue = queue.then(async () => {
      if (failed) return;
      try {
        await task();
      } catch (err) {
        failed = true;
        dispatch(store, storageFailed, storageFailureNote('The history', err));
      }
    });
  };

  const unsubscribe = store.subscribe((state, previous) => {
    if (state.runs === previous.runs) return;
    if (state.runs.length === 0 && previous.runs.length > 0) {
      // Clear reaches the disk even after a failed write, so a reload does not bring back
      // runs the user cleared.
      saved.clear();
      queue = queue.then(() => db.clearRuns()).catch(() => undefined);
      return;
    }
    if (failed) return;
    const present = new Set(state.runs.map((r) => r.runId));
    const added = state.runs.filter((r) => !saved.has(r.runId));
    const removed = [...saved].filter((id) => !present.has(id));
    for (const r of added) saved.add(r.runId);
    for (const id of removed) saved.delete(id);
    if (added.length) write(() => db.putRuns(added));
    if (removed.length) write(() => db.deleteRuns(removed));
  });

  return () => {
    unsubscribe();
  };
}
