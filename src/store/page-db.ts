/**
 * The page's own IndexedDB ("complab-page"): the history of runs and the models the user
 * imported, so both survive a reload. Nothing leaves the tab. Where IndexedDB is missing or
 * refuses to open (a private window, storage turned off), the page keeps both in memory and
 * says so (`note`); a write that fails later (the disk full: QuotaExceededError) is reported to
 * the caller, which keeps what it has in memory.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { RunRecord } from './state.ts';
import type { StoredUserModel } from './page-io-state.ts';

const DB_NAME = 'complab-page';
const DB_VERSION = 1;
/** How long opening may take before the page goes on in memory (a blocked upgrade). */
const OPEN_TIMEOUT_MS = 3000;

interface PageSchema extends DBSchema {
  runs: { key: number; value: RunRecord };
  models: { key: string; value: StoredUserModel };
}

export interface PageDb {
  /** Why nothing is saved across reloads, or null when IndexedDB works. */
  readonly note: string | null;
  loadRuns(): Promise<RunRecord[]>;
  putRuns(runs: readonly RunRecord[]): Promise<void>;
  deleteRuns(ids: readonly number[]): Promise<void>;
  clearRuns(): Promise<void>;
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
    putRuns: async () => undefined,
    deleteRuns: async () => undefined,
    clearRuns: async () => undefined,
    loadModels: async () => [],
    putModel: async () => undefined,
    deleteModel: async () => undefined,
    close: () => undefined,
  };
}

function idbPageDb(db: IDBPDatabase<PageSchema>): PageDb {
  return {
    note: null,
    loadRuns: async () => (await db.getAll('runs')).sort((a, b) => a.runId - b.runId),
    async putRuns(runs) {
      if (runs.length === 0) return;
      const tx = db.transaction('runs', 'readwrite');
      await Promise.all([...runs.map((r) => tx.store.put(r)), tx.done]);
    },
    async deleteRuns(ids) {
      if (ids.length === 0) return;
      const tx = db.transaction('runs', 'readwrite');
      await Promise.all([...ids.map((id) => tx.store.delete(id)), tx.done]);
    },
    clearRuns: () => db.clear('runs'),
    loadModels: async () => (await db.getAll('models')).sort((a, b) => a.importedAt - b.importedAt),
    putModel: async (model) => void (await db.put('models', model)),
    deleteModel: (id) => db.delete('models', id),
    close: () => db.close(),
  };
}

/** Opens the page's database, or a memory stand-in with the reason when it cannot. */
export async function openPageDb(): Promise<PageDb> {
  const inMemory = (why: string) =>
    memoryPageDb(
      `History and imported models are kept in memory only, so a reload loses them: ${why}.`,
    );
  if (!(globalThis as { indexedDB?: IDBFactory }).indexedDB) {
    return inMemory('this browser window offers no IndexedDB (a private window?)');
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const opening = openDB<PageSchema>(DB_NAME, DB_VERSION, {
      upgrade(db) {
        db.createObjectStore('runs', { keyPath: 'runId' });
        db.createObjectStore('models', { keyPath: 'id' });
      },
    });
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`it did not open within ${OPEN_TIMEOUT_MS / 1000} s`)),
        OPEN_TIMEOUT_MS,
      );
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
