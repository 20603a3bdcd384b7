import 'fake-indexeddb/auto';
import { IDBFactory, IDBObjectStore as FakeObjectStore } from 'fake-indexeddb';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Lab, type RunResult } from '../engine/lab.ts';
import { useNodeBackend } from '../engine/node/backend.ts';
import { parseRecipe } from '../engine/recipe/share.ts';
import { publicAssets } from '../engine/test/fixtures.ts';
import { clearHistory, runFinished } from './actions.ts';
import type { LabStore } from './lab-store.ts';
import { HISTORY_CSV_COLUMNS, historyCsv, historyJson } from './history-export.ts';
import { startHistoryPersistence } from './history-persistence.ts';
import { createLabStore, dispatch } from './lab-store.ts';
import { openPageDb, PAGE_DB_NAME, type PageDb, type SavedRun } from './page-db.ts';
import { runsImported } from './sweep.ts';
import { withFreeRunIds } from './io-actions.ts';
import type { RunRecord } from './state.ts';
import { parseCsv } from '../engine/test/io-fixtures.ts';

/** Two real results of the lab on LeNet-300-100 (recipes with commas in them). */
const results: RunResult[] = [];
beforeAll(async () => {
  await useNodeBackend('wasm');
  const lab = new Lab({ read: publicAssets });
  for (const text of [
    'v=1&model=lenet300&seed=1&steps=prune(fraction=0.5)',
    'v=1&model=lenet300&seed=1&steps=prune-density(density=fc1:0.1|*:0.3);index-bits(conv=8,dense=5)',
  ]) {
    results.push(await lab.run(parseRecipe(text)));
  }
  await lab.dispose();
}, 60_000);

const record = (runId: number, result: RunResult): RunRecord => ({
  runId,
  recipeText: result.recipeText,
  result,
  timestamp: Date.UTC(2026, 10, 27, 8, runId),
  requestedAt: 0,
  deliveredAt: 0,
});

/** Waits until `check` holds (IndexedDB writes finish after the store changes). */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`still ${JSON.stringify(value)} after 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

beforeEach(() => {
  // A fresh, empty IndexedDB for each test (a new browser profile).
  globalThis.indexedDB = new IDBFactory();
});

describe('the history in IndexedDB', () => {
  it('keeps every run across a reload and clears it when told', async () => {
    const db = await openPageDb();
    expect(db.note).toBeNull();
    const store = createLabStore();
    startHistoryPersistence(store, db);
    dispatch(store, runFinished, record(1, results[0]));
    dispatch(store, runFinished, record(2, results[1]));
    // A "reload": the database opened again gives the same runs back, whole.
    const reopened = await openPageDb();
    const runs = await eventually(
      () => reopened.loadRuns(),
      (r) => r.length === 2,
    );
    expect(runs.map((s) => s.run)).toEqual([record(1, results[0]), record(2, results[1])]);

    dispatch(store, clearHistory);
    await eventually(
      () => reopened.loadRuns(),
      (r) => r.length === 0,
    );
  });

  it('on a QuotaExceededError keeps the page as it is, says so, and loses nothing saved', async () => {
    const db = await openPageDb();
    const store = createLabStore();
    startHistoryPersistence(store, db);
    dispatch(store, runFinished, record(1, results[0]));
    await eventually(
      () => db.loadRuns(),
      (r) => r.length === 1,
    );
    const put = FakeObjectStore.prototype.put;
    FakeObjectStore.prototype.put = () => {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    };
    try {
      dispatch(store, runFinished, record(2, results[1]));
      await eventually(
        async () => store.getState().storageNote,
        (note) => note !== null,
      );
    } finally {
      FakeObjectStore.prototype.put = put;
    }
    expect(store.getState().storageNote).toMatch(
      /^The history is no longer saved: the browser's storage is full \(QuotaExceededError: The quota has been exceeded\.\)/,
    );
    expect(store.getState().runs.map((r) => r.runId)).toEqual([1, 2]);
    expect((await db.loadRuns()).map((s) => s.run.runId)).toEqual([1]);
  });

  it('without IndexedDB (a private window) keeps everything in memory, with the reason', async () => {
    const saved = globalThis.indexedDB;
    // @ts-expect-error: a browser window without IndexedDB
    delete globalThis.indexedDB;
    try {
      const db = await openPageDb();
      expect(db.note).toMatch(/kept in memory only.*offers no IndexedDB/);
      await db.addRuns([record(1, results[0])]);
      expect(await db.loadRuns()).toEqual([]);
    } finally {
      globalThis.indexedDB = saved;
    }
  });
});

/** One tab: its store restored from the shared database and saving to it, as main.tsx does. */
async function openTab(channel: string) {
  const db = await openPageDb();
  const saved = withFreeRunIds(await db.loadRuns());
  const store = createLabStore({ runs: saved.map((x) => x.run) });
  const stop = startHistoryPersistence(store, db, saved, channel);
  return { db, store, close: () => (stop(), db.close()) };
}

const recipesOf = (store: LabStore) => store.getState().runs.map((r) => r.recipeText);
const savedRecipes = async (db: PageDb) =>
  (await db.loadRuns()).map((x: SavedRun) => x.run.recipeText);
let channelCount = 0;

describe('two tabs on one profile', () => {
  it("both keep their run N+1 and imported runs, see each other's, and a reload has all", async () => {
    // Both tabs restored run 1, so both number their next run 2.
    const first = await openPageDb();
    await first.addRuns([record(1, results[0])]);
    first.close();
    const channel = `history-${++channelCount}`;
    const a = await openTab(channel);
    const b = await openTab(channel);
    dispatch(a.store, runFinished, record(2, results[0]));
    dispatch(b.store, runFinished, record(2, results[1]));
    // An imported run in each tab: both number it -1.
    const imported = { ...record(0, results[1]), recipeText: 'imported line' };
    const { runId: _drop, ...line } = imported;
    for (const tab of [a, b]) {
      dispatch(tab.store, runsImported, {
        files: ['x.jsonl'],
        records: [line],
        broken: [],
        sweep: null,
      });
    }
    expect(a.store.getState().runs.map((r) => r.runId)).toEqual([1, -1, 2]);
    expect(b.store.getState().runs.map((r) => r.runId)).toEqual([1, -1, 2]);

    // A reload: all five runs, each with a number of its own.
    const reopened = await openPageDb();
    const all = await eventually(
      () => reopened.loadRuns(),
      (r) => r.length === 5,
    );
    const numbered = withFreeRunIds(all);
    expect(numbered.map((x) => x.run.runId).sort((x, y) => x - y)).toEqual([-2, -1, 1, 2, 3]);
    expect(numbered.map((x) => x.run.recipeText).sort()).toEqual(
      [results[0], results[0], results[1]]
        .map((r) => r.recipeText)
        .concat(['imported line', 'imported line'])
        .sort(),
    );
    reopened.close();

    // Each tab shows the other's runs too, under numbers free there, its own newest run last.
    for (const [tab, ownNewest] of [
      [a, results[0]],
      [b, results[1]],
    ] as const) {
      await eventually(
        async () => tab.store.getState().runs,
        (runs) => runs.length === 5,
      );
      const runs = tab.store.getState().runs;
      expect(new Set(runs.map((r) => r.runId)).size).toBe(5);
      expect(runs.at(-1)?.recipeText).toBe(ownNewest.recipeText);
    }
    a.close();
    b.close();
  });

  it('Clear in one tab clears the other; a run saved after the Clear stays in both', async () => {
    const channel = `history-${++channelCount}`;
    const a = await openTab(channel);
    const b = await openTab(channel);
    dispatch(a.store, runFinished, record(1, results[0]));
    dispatch(b.store, runFinished, record(1, results[1]));
    for (const tab of [a, b]) {
      await eventually(
        async () => tab.store.getState().runs.length,
        (n) => n === 2,
      );
    }
    dispatch(a.store, clearHistory);
    await eventually(
      async () => b.store.getState().runs.length,
      (n) => n === 0,
    );
    expect(await savedRecipes(a.db)).toEqual([]);

    dispatch(b.store, runFinished, record(5, results[1]));
    await eventually(
      async () => recipesOf(a.store),
      (r) => r.length === 1,
    );
    expect(recipesOf(a.store)).toEqual([results[1].recipeText]);
    expect(await savedRecipes(a.db)).toEqual([results[1].recipeText]);
    a.close();
    b.close();
  });
});

describe('opening the database', () => {
  it('keeps the runs and models of a version-1 database (runs stored by their number)', async () => {
    const old = indexedDB.open(PAGE_DB_NAME, 1);
    old.onupgradeneeded = () => {
      old.result.createObjectStore('runs', { keyPath: 'runId' });
      old.result.createObjectStore('models', { keyPath: 'id' });
    };
    const v1 = await new Promise<IDBDatabase>(
      (resolve) => (old.onsuccess = () => resolve(old.result)),
    );
    const tx = v1.transaction(['runs', 'models'], 'readwrite');
    tx.objectStore('runs').put(record(2, results[1]));
    tx.objectStore('runs').put(record(1, results[0]));
    tx.objectStore('runs').put({ ...record(-1, results[1]), recipeText: 'imported' });
    tx.objectStore('models').put({ id: 'user/m/1', name: 'm', importedAt: 1 });
    await new Promise((resolve) => (tx.oncomplete = resolve));
    v1.close();

    const db = await openPageDb();
    expect(db.note).toBeNull();
    const runs = await db.loadRuns();
    expect(runs.map((x) => x.run)).toEqual([
      { ...record(-1, results[1]), recipeText: 'imported' },
      record(1, results[0]),
      record(2, results[1]),
    ]);
    expect((await db.loadModels()).map((m) => m.id)).toEqual(['user/m/1']);
    db.close();
  });

  it('closes a database that opens after the page gave up on it, so it blocks no later upgrade', async () => {
    // An old tab that holds version 1 and ignores requests to close: the upgrade waits.
    const old = indexedDB.open(PAGE_DB_NAME, 1);
    old.onupgradeneeded = () => old.result.createObjectStore('runs', { keyPath: 'runId' });
    const blocker = await new Promise<IDBDatabase>(
      (resolve) => (old.onsuccess = () => resolve(old.result)),
    );
    const db = await openPageDb(200);
    expect(db.note).toMatch(/kept in memory only.*did not open within 0\.2 s/);
    // The old tab goes away; the page's upgrade then completes, late.
    blocker.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    // A later version opens without being blocked by the late connection.
    const later = indexedDB.open(PAGE_DB_NAME, 3);
    let blocked = false;
    later.onblocked = () => (blocked = true);
    const opened = await Promise.race([
      new Promise<IDBDatabase>((resolve) => (later.onsuccess = () => resolve(later.result))),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 1000)),
    ]);
    expect(blocked).toBe(false);
    expect(opened).not.toBeNull();
    opened?.close();
  });
});

describe('withFreeRunIds', () => {
  it('keeps numbers that are free and gives the others the next one above (below for imports)', () => {
    const at = (key: number, runId: number): SavedRun => ({ key, run: record(runId, results[0]) });
    const ids = (saved: SavedRun[]) => saved.map((x) => [x.key, x.run.runId]);
    expect(ids(withFreeRunIds([at(1, 1), at(2, 2), at(3, 2), at(4, -1), at(5, -1)]))).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
      [4, -1],
      [5, -2],
    ]);
    // Taken by the tab (7 is its run in flight): 7 and 2 move above 9.
    expect(ids(withFreeRunIds([at(8, 7), at(9, 2), at(10, 4)], [1, 2, 9, 7]))).toEqual([
      [8, 10],
      [9, 11],
      [10, 4],
    ]);
  });
});

describe('history export', () => {
  it('CSV parses back to the runs, recipes with commas and all', () => {
    const runs = [record(1, results[0]), record(2, results[1])];
    const rows = parseCsv(historyCsv(runs));
    expect(rows[0]).toEqual([...HISTORY_CSV_COLUMNS]);
    expect(rows).toHaveLength(3);
    expect(rows[2][3]).toContain('index-bits(conv=8,dense=5)');
    for (const [k, run] of runs.entries()) {
      const row = Object.fromEntries(HISTORY_CSV_COLUMNS.map((c, i) => [c, rows[k + 1][i]]));
      expect(row.run).toBe(String(run.runId));
      expect(row.time).toBe(new Date(run.timestamp).toISOString());
      expect(row.recipe).toBe(run.recipeText);
      expect(Number(row.accuracy)).toBe(run.result.accuracy);
      expect(Number(row.correct)).toBe(run.result.correct);
      expect(Number(row.sizeBytes)).toBe(run.result.sizeBytes);
      expect(Number(row.latencyMs)).toBe(run.result.latencyMs);
      // Both links name no data set: the 10,000 digits every link before data sets used.
      expect(row.data).toBe('mnist-10k');
    }
  });

  it("CSV names each run's data set, mnist-10k for runs recorded before data sets", () => {
    const { data: _none, ...recordedBefore } = results[0];
    const fashion = { ...results[1], data: 'fashion-mnist' as const };
    const rows = parseCsv(historyCsv([record(1, recordedBefore), record(2, fashion)]));
    const column = HISTORY_CSV_COLUMNS.indexOf('data');
    expect(rows.slice(1).map((r) => r[column])).toEqual(['mnist-10k', 'fashion-mnist']);
  });

  it('JSON holds every run whole', () => {
    const runs = [record(1, results[0]), record(2, results[1])];
    const json = JSON.parse(historyJson(runs, new Date(0))) as {
      exportedAt: string;
      runs: { run: number; recipe: string; result: RunResult }[];
    };
    expect(json.exportedAt).toBe('1970-01-01T00:00:00.000Z');
    expect(json.runs.map((r) => r.run)).toEqual([1, 2]);
    // Whole, less the 2,000 predicted classes and their confidences (for the compare view only).
    expect(results[1].predicted).toHaveLength(2000);
    expect(results[1].confidence?.truth).toHaveLength(2000);
    expect(json.runs[1].result).toEqual(
      JSON.parse(JSON.stringify({ ...results[1], predicted: undefined, confidence: undefined })),
    );
    for (const run of json.runs) {
      expect(run.result).not.toHaveProperty('predicted');
      expect(run.result).not.toHaveProperty('confidence');
      expect(run).toHaveProperty('data', 'mnist-10k');
    }
    expect(runs[1].result.predicted).toBe(results[1].predicted);
  });
});
