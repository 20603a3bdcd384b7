/**
 * The page's own IndexedDB ("complab-page"): the history of runs and the models the user
 * imported, so both survive a reload. Nothing leaves the tab. Where IndexedDB is missing or
 * refuses to open (a private window, storage turned off), the page keeps both in memory and
 * says so (`note`); a write that fails later (the disk full: QuotaExceededError) is reported to
 * the caller, which keeps what it has in memory.
 *
 * Several tabs share this database. Each run is stored under a key IndexedDB assigns
 * (autoIncrement), so two tabs that both write their "run 7" keep both; the run number is only
 * what a tab shows (history-persistence.ts renumbers a run that arrives with a number in use).
 * Version 1 stored runs under their run number; opening it upgrades to version 2 and keeps them.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { RunRecord } from './state.ts';
import type { StoredUserModel } from './page-io-state.ts';

export const PAGE_DB_NAME = 'complab-page';
const DB_VERSION = 2;
/** How long opening may take before the page goes on in memory (a blocked upgrade). */
const OPEN_TIMEOUT_MS = 3000;

interface PageSchema extends DBSchema {
  /** Version 2: runs under keys IndexedDB assigns, which no two tabs can share. */
  history: { key: number; value: RunRecord };
  /** Version 1 (migrated into history, then deleted): runs under their run number. */
  runs: { key: number; value: RunRecord };
  models: { key: string; value: StoredUserModel };
}

/** A run as stored: its key in the database and the record (with the number it was saved with). */
export interface SavedRun {
  readonly key: number;
  readonly run: RunRecord;
}

export interface PageDb {
  /** Why nothing is saved across reloads, or null when IndexedDB works. */
  readonly note: string | null;
  /** Every saved run, by run number, then key (the order they were written in). */
  loadRuns(): Promise<SavedRun[]>;
  /** Saves new runs; returns their keys, in the same order. */
  addRuns(runs: readonly RunRecord[]): Promise<number[]>;
  deleteRuns(keys: readonly number[]): Promise<void>;
  /** Deletes every run saved so far (by any tab); returns the highest key deleted (0: none). */
  clearRuns(): Promise<number>;
  loadModels(): Promise<StoredUserModel[]>;
  putModel(model: StoredUserModel): Promise<void>;
  deleteModel(id: string): Promise<void>;
  close(): void;
}

/** A short reason from whatever IndexedDB threw. */
export function storageReason(err: unknown): string {
  if (err instanceof Error || (typeof DOMException !== 'undefined' && err instanceof DOMException))
    return `${err.name}: ${err.message}`;
  return String(err);
}

export function isQuotaError(err: unknown): boolean {
  return (err as { name?: string } | null)?.name === 'QuotaExceededError';
}

/** Keeps nothing: the page's state is the only copy. */
export function memoryPageDb(note: string): PageDb {
  return {
    note,
    loadRuns: async () => [],
    addRuns: async () => [],
    deleteRuns: async () => undefined,
    clearRuns: async () => 0,
    loadModels: async () => [],
    putModel: async () => undefined,
    deleteModel: async () => undefined,
    close: () => undefined,
  };
}

function idbPageDb(db: IDBPDatabase<PageSchema>): PageDb {
  return {
    note: null,
    async loadRuns() {
      const tx = db.transaction('history', 'readonly');
      const [keys, runs] = await Promise.all([tx.store.getAllKeys(), tx.store.getAll(), tx.done]);
      return runs
        .map((run, i) => ({ key: keys[i], run }))
        .sort((a, b) => a.run.runId - b.run.runId || a.key - b.key);
    },
    async addRuns(runs) {
      if (runs.length === 0) return [];
      const tx = db.transaction('history', 'readwrite');
      // put without a key: IndexedDB assigns the next one, atomically across tabs.
      const [keys] = await Promise.all([Promise.all(runs.map((r) => tx.store.put(r))), tx.done]);
      return keys;
    },
    async deleteRuns(keys) {
      if (keys.length === 0) return;
      const tx = db.transaction('history', 'readwrite');
      await Promise.all([...keys.map((key) => tx.store.delete(key)), tx.done]);
    },
    async clearRuns() {
      // One transaction: the bound is exactly what was deleted, so another tab can tell its
      // runs saved before the clear (gone) from those saved after (kept).
      const tx = db.transaction('history', 'readwrite');
      const last = await tx.store.openCursor(null, 'prev');
      const bound = last?.key ?? 0;
      await Promise.all([tx.store.clear(), tx.done]);
      return bound;
    },
    loadModels: async () => (await db.getAll('models')).sort((a, b) => a.importedAt - b.importedAt),
    putModel: async (model) => void (await db.put('models', model)),
    deleteModel: (id) => db.delete('models', id),
    close: () => db.close(),
  };
}

/** Opens the page's database, or a memory stand-in with the reason when it cannot. */
export async function openPageDb(timeoutMs = OPEN_TIMEOUT_MS): Promise<PageDb> {
  const inMemory = (why: string) =>
    memoryPageDb(
      `History and imported models are kept in memory only, so a reload loses them: ${why}.`,
    );
  if (!(globalThis as { indexedDB?: IDBFactory }).indexedDB) {
    return inMemory('this browser window offers no IndexedDB (a private window?)');
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  let gaveUp = false;
  try {
    const opening = openDB<PageSchema>(PAGE_DB_NAME, DB_VERSION, {
      async upgrade(db, oldVersion, _newVersion, tx) {
        if (oldVersion < 1) db.createObjectStore('models', { keyPath: 'id' });
        const history = db.createObjectStore('history', { autoIncrement: true });
        if (oldVersion === 1) {
          // Version 1's runs, in run order, under new keys; then its store goes.
          const old = await tx.objectStore('runs').getAll();
          old.sort((a, b) => a.runId - b.runId);
          for (const run of old) await history.put(run);
          db.deleteObjectStore('runs');
        }
      },
    });
    // Opened after the page gave up on it: closed at once, or it would block later upgrades.
    void opening.then(
      (late) => {
        if (gaveUp) late.close();
      },
      () => undefined,
    );
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        gaveUp = true;
        reject(new Error(`it did not open within ${timeoutMs / 1000} s`));
      }, timeoutMs);
    });
    const db = await Promise.race([opening, timeout]);
    // Another tab upgrading later: close, so it is not blocked.
    db.addEventListener('versionchange', () => db.close());
    return idbPageDb(db);
  } catch (err) {
    return inMemory(`IndexedDB could not be opened (${storageReason(err)})`);
  } finally {
    clearTimeout(timer);
  }
}
