/**
 * Keeps the history of runs in the page's IndexedDB as it changes: new runs are written, runs
 * that dropped off (the MAX_RUNS window) or were cleared are deleted. A write that fails (the
 * disk full: QuotaExceededError, or any other refusal) stops the saving for this tab and says
 * so in `storageNote`; the runs in the page are untouched, and those saved before stay saved.
 *
 * Tabs of the same browser share the database and tell each other what they changed, on a
 * BroadcastChannel: a run saved in one tab appears in the others (with a number free there),
 * a run deleted in one is removed from the others, and Clear in one clears the runs every tab
 * had saved until then. Runs a tab saves after another tab's Clear stay.
 */
import { dispatch, type LabStore } from './lab-store.ts';
import { isQuotaError, storageReason, type PageDb, type SavedRun } from './page-db.ts';
import {
  runsFromOtherTab,
  runsRemovedElsewhere,
  storageFailed,
  withFreeRunIds,
} from './io-actions.ts';
import type { RunRecord } from './state.ts';

/** The channel the page's tabs share (one origin: one database, one channel). */
export const HISTORY_CHANNEL = 'complab-history';

/** What a tab tells the others after its write landed. */
export type HistoryMessage =
  | { readonly type: 'added'; readonly runs: readonly SavedRun[] }
  | { readonly type: 'removed'; readonly keys: readonly number[] }
  /** Every run with a key up to `upTo` was deleted. */
  | { readonly type: 'cleared'; readonly upTo: number };

export function storageFailureNote(what: string, err: unknown): string {
  const why = isQuotaError(err)
    ? `the browser's storage is full (${storageReason(err)})`
    : `the browser refused to store it (${storageReason(err)})`;
  return `${what} is no longer saved: ${why}. Everything on the page stays as it is, but what changes from now on lasts only until this tab is closed or reloaded.`;
}

/**
 * Starts saving; returns a function that stops it. `saved` is what the page was restored from
 * (db.loadRuns() through withFreeRunIds): its keys, and saved runs the page no longer holds
 * (beyond MAX_RUNS), which are deleted.
 */
export function startHistoryPersistence(
  store: LabStore,
  db: PageDb,
  saved: readonly SavedRun[] = [],
  channelName = HISTORY_CHANNEL,
): () => void {
  if (db.note !== null) return () => undefined;
  /** Run numbers this tab shows that are saved or being saved. */
  const tracked = new Set(store.getState().runs.map((r) => r.runId));
  /** The database key of each saved run this tab shows, by run number. */
  const keyOf = new Map<number, number>();
  for (const s of saved) if (tracked.has(s.run.runId)) keyOf.set(s.run.runId, s.key);
  const stale = saved.filter((s) => keyOf.get(s.run.runId) !== s.key).map((s) => s.key);
  /** The highest key another tab's Clear deleted: a write of ours below it was cleared too. */
  let clearedUpTo = 0;
  /** Counts this tab's Clears: a write that started before one does not map its keys. */
  let clears = 0;
  let failed = false;
  let stopped = false;
  /** Set while the store takes another tab's change: nothing of it is written again. */
  let applyingRemote = false;
  let queue: Promise<void> = Promise.resolve();
  const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(channelName) : null;
  const tell = (message: HistoryMessage) => {
    if (!stopped) channel?.postMessage(message);
  };

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

  const applyRemote = (change: () => void) => {
    applyingRemote = true;
    try {
      change();
    } finally {
      applyingRemote = false;
    }
  };

  /** Drops runs from the page that are no longer in the database (no write). */
  const removeLocally = (runIds: readonly number[]) => {
    if (runIds.length === 0) return;
    for (const id of runIds) {
      tracked.delete(id);
      keyOf.delete(id);
    }
    applyRemote(() => dispatch(store, runsRemovedElsewhere, runIds));
  };

  const saveAdded = (added: readonly RunRecord[]) => {
    for (const r of added) tracked.add(r.runId);
    const clearsBefore = clears;
    write(async () => {
      const keys = await db.addRuns(added);
      if (clears !== clearsBefore) return; // cleared here meanwhile: the Clear deletes them
      const landed = added.map((run, i) => ({ key: keys[i], run }));
      for (const s of landed) keyOf.set(s.run.runId, s.key);
      tell({ type: 'added', runs: landed });
      removeLocally(landed.filter((s) => s.key <= clearedUpTo).map((s) => s.run.runId));
    });
  };

  const deleteRemoved = (runs: readonly RunRecord[]) => {
    if (failed) return;
    const present = new Set(runs.map((r) => r.runId));
    const removed = [...tracked].filter((id) => !present.has(id));
    if (removed.length === 0) return;
    for (const id of removed) tracked.delete(id);
    write(async () => {
      // Read now: the write that saved them came first in the queue.
      const keys = removed.flatMap((id) => {
        const key = keyOf.get(id);
        keyOf.delete(id);
        return key === undefined ? [] : [key];
      });
      if (keys.length === 0) return;
      await db.deleteRuns(keys);
      tell({ type: 'removed', keys });
    });
  };

  if (stale.length > 0) write(() => db.deleteRuns(stale));

  const unsubscribe = store.subscribe((state, previous) => {
    if (state.runs === previous.runs || applyingRemote) return;
    if (state.runs.length === 0 && previous.runs.length > 0) {
      // Clear reaches the disk even after a failed write, so a reload does not bring back
      // runs the user cleared.
      tracked.clear();
      keyOf.clear();
      clears++;
      queue = queue
        .then(async () => tell({ type: 'cleared', upTo: await db.clearRuns() }))
        .catch(() => undefined);
      return;
    }
    if (failed) return;
    const added = state.runs.filter((r) => !tracked.has(r.runId));
    if (added.length) saveAdded(added);
    deleteRemoved(state.runs);
  });

  const runIdOfKey = (key: number) => [...keyOf].find(([, k]) => k === key)?.[0];

  const onMessage = (event: MessageEvent<HistoryMessage>) => {
    if (stopped) return;
    const message = event.data;
    if (message.type === 'added') {
      const known = new Set(keyOf.values());
      const fresh = message.runs.filter((s) => !known.has(s.key) && s.key > clearedUpTo);
      if (fresh.length === 0) return;
      const state = store.getState();
      const status = state.runStatus;
      const taken = [
        ...state.runs.map((r) => r.runId),
        ...(status.phase === 'running' ? [status.runId] : []),
      ];
      const numbered = withFreeRunIds(fresh, taken);
      for (const s of numbered) {
        tracked.add(s.run.runId);
        keyOf.set(s.run.runId, s.key);
      }
      applyRemote(() =>
        dispatch(
          store,
          runsFromOtherTab,
          numbered.map((s) => s.run),
        ),
      );
      // Runs that dropped off this tab's window to make room: deleted like any others.
      deleteRemoved(store.getState().runs);
    } else if (message.type === 'removed') {
      removeLocally(message.keys.map(runIdOfKey).filter((id): id is number => id !== undefined));
    } else if (message.type === 'cleared') {
      clearedUpTo = Math.max(clearedUpTo, message.upTo);
      removeLocally([...keyOf].filter(([, key]) => key <= message.upTo).map(([id]) => id));
    }
  };
  channel?.addEventListener('message', onMessage);

  return () => {
    stopped = true;
    unsubscribe();
    channel?.removeEventListener('message', onMessage);
    channel?.close();
  };
}
