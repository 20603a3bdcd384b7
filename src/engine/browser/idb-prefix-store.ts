/**
 * The page's persistent prefix cache: the lab's per-step results (a fine-tuned network costs
 * seconds to minutes) kept in IndexedDB, so they survive a reload. Bounded by bytes; the least
 * recently used entries go first. Every failure (no IndexedDB, a private window, a full disk, a
 * blocked upgrade) degrades silently to no persistence: a miss only costs a recomputation.
 *
 * Two object stores: "blobs" holds the bytes, "meta" each entry's size and last use, so eviction
 * reads only the small records. Calls return without waiting for the disk: IndexedDB runs
 * transactions over the same stores in the order they were made, so reads see earlier writes.
 */
import type { PrefixStore } from '../lab.ts';

export const DEFAULT_PREFIX_STORE_BYTES = 64 * 1024 * 1024;
const DB_VERSION = 1;
const BLOBS = 'blobs';
const META = 'meta';

interface MetaRecord {
  readonly key: string;
  readonly bytes: number;
  readonly lastUsed: number;
}

export interface IdbPrefixStoreOptions {
  /** Database name (tests use their own). */
  readonly name?: string;
  /** Total bytes kept; older entries are evicted past it. */
  readonly maxBytes?: number;
  /** The IndexedDB factory (defaults to the global one; undefined means none). */
  readonly indexedDB?: IDBFactory;
  /** Clock for "last used" (tests pass a counter). */
  readonly now?: () => number;
}

export interface IdbPrefixStore extends PrefixStore {
  /** Keys and sizes held now, least recently used first (for tests and diagnostics). */
  entries(): Promise<{ key: string; bytes: number }[]>;
  close(): void;
}

const done = (tx: IDBTransaction) =>
  new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error('transaction aborted'));
    tx.onerror = () => reject(tx.error ?? new Error('transaction failed'));
  });

const result = <T>(request: IDBRequest<T>) =>
  new Promise<T>((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('request failed'));
  });

export function idbPrefixStore(options: IdbPrefixStoreOptions = {}): IdbPrefixStore {
  const name = options.name ?? 'complab-prefix-cache';
  const maxBytes = options.maxBytes ?? DEFAULT_PREFIX_STORE_BYTES;
  const factory =
    'indexedDB' in options ? options.indexedDB : (globalThis.indexedDB as IDBFactory | undefined);
  let clock = 0;
  // Monotonic even when two calls share a millisecond, so "least recently used" is exact.
  const now = options.now ?? (() => (clock = Math.max(clock + 1, Date.now())));

  let opening: Promise<IDBDatabase | null> | null = null;
  const open = (): Promise<IDBDatabase | null> => {
    opening ??= new Promise<IDBDatabase | null>((resolve) => {
      if (!factory) return resolve(null);
      let request: IDBOpenDBRequest;
      try {
        request = factory.open(name, DB_VERSION);
      } catch {
        return resolve(null);
      }
      request.onupgradeneeded = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains(BLOBS)) db.createObjectStore(BLOBS);
        if (!db.objectStoreNames.contains(META)) db.createObjectStore(META, { keyPath: 'key' });
      };
      request.onsuccess = () => {
        const db = request.result;
        // Another tab upgrading the schema: let it, and stop persisting here.
        db.onversionchange = () => {
          db.close();
          opening = Promise.resolve(null);
        };
        resolve(db);
      };
      request.onerror = () => resolve(null);
      request.onblocked = () => resolve(null);
    });
    return opening;
  };

  /** Runs `task` on the database, or returns `fallback` when anything fails. */
  const attempt = async <T>(fallback: T, task: (db: IDBDatabase) => Promise<T>): Promise<T> => {
    try {
      const db = await open();
      return db ? await task(db) : fallback;
    } catch {
      return fallback;
    }
  };

  /** Within a write's transaction: drops the least recently used entries past the bound. */
  const evictIn = (tx: IDBTransaction, keep: string) => {
    const meta = tx.objectStore(META);
    const request = meta.getAll() as IDBRequest<MetaRecord[]>;
    request.onsuccess = () => {
      const records = request.result.sort((a, b) => a.lastUsed - b.lastUsed);
      let total = records.reduce((sum, r) => sum + r.bytes, 0);
      for (const record of records) {
        if (total <= maxBytes) break;
        if (record.key === keep) continue;
        meta.delete(record.key);
        tx.objectStore(BLOBS).delete(record.key);
        total -= record.bytes;
      }
    };
  };

  return {
    get: (key) =>
      attempt(undefined, async (db) => {
        const tx = db.transaction([BLOBS, META], 'readwrite');
        done(tx).catch(() => undefined); // the "last used" mark is best effort
        const value = await result(tx.objectStore(BLOBS).get(key) as IDBRequest<unknown>);
        if (value === undefined) return undefined;
        const bytes = value instanceof Uint8Array ? value : new Uint8Array(value as ArrayBuffer);
        tx.objectStore(META).put({ key, bytes: bytes.byteLength, lastUsed: now() });
        return bytes;
      }),

    // Resolves once the write is queued: IndexedDB runs transactions on the same stores in the
    // order they were created, so a later get or entries() sees it, and the run need not wait
    // for the disk. One transaction writes and evicts, so concurrent writes never race.
    set: (key, bytes) =>
      attempt(undefined, async (db) => {
        if (bytes.byteLength > maxBytes) return; // would evict everything for one entry
        // A view stores its whole buffer: keep only its own bytes.
        const own =
          bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
            ? bytes
            : bytes.slice();
        const tx = db.transaction([BLOBS, META], 'readwrite');
        done(tx).catch(() => undefined); // a failed write only costs a recomputation later
        tx.objectStore(BLOBS).put(own, key);
        tx.objectStore(META).put({ key, bytes: own.byteLength, lastUsed: now() });
        evictIn(tx, key);
      }),

    entries: () =>
      attempt([], async (db) => {
        const tx = db.transaction(META, 'readonly');
        const records = await result(tx.objectStore(META).getAll() as IDBRequest<MetaRecord[]>);
        return records
          .sort((a, b) => a.lastUsed - b.lastUsed)
          .map((r) => ({ key: r.key, bytes: r.bytes }));
      }),

    close: () => {
      void opening?.then((db) => db?.close());
      opening = Promise.resolve(null);
    },
  };
}
