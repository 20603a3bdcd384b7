import 'fake-indexeddb/auto';
import { IDBFactory, IDBObjectStore as FakeObjectStore } from 'fake-indexeddb';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Lab, type RunResult } from '../engine/lab.ts';
import { useNodeBackend } from '../engine/node/backend.ts';
import { parseRecipe } from '../engine/recipe/share.ts';
import { publicAssets } from '../engine/test/fixtures.ts';
import { clearHistory, runFinished } from './actions.ts';
import { HISTORY_CSV_COLUMNS, historyCsv, historyJson } from './history-export.ts';
import { startHistoryPersistence } from './history-persistence.ts';
import { createLabStore, dispatch } from './lab-store.ts';
import { openPageDb } from './page-db.ts';
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
  for (;;) {
    const value = await read();
    if (check(value)) return value;
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
    expect(runs).toEqual([record(1, results[0]), record(2, results[1])]);

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
    expect((await db.loadRuns()).map((r) => r.runId)).toEqual([1]);
  });

  it('without IndexedDB (a private window) keeps everything in memory, with the reason', async () => {
    const saved = globalThis.indexedDB;
    // @ts-expect-error: a browser window without IndexedDB
    delete globalThis.indexedDB;
    try {
      const db = await openPageDb();
      expect(db.note).toMatch(/kept in memory only.*offers no IndexedDB/);
      await db.putRuns([record(1, results[0])]);
      expect(await db.loadRuns()).toEqual([]);
    } finally {
      globalThis.indexedDB = saved;
    }
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
    }
  });

  it('JSON holds every run whole', () => {
    const runs = [record(1, results[0]), record(2, results[1])];
    const json = JSON.parse(historyJson(runs, new Date(0))) as {
      exportedAt: string;
      runs: { run: number; recipe: string; result: RunResult }[];
    };
    expect(json.exportedAt).toBe('1970-01-01T00:00:00.000Z');
    expect(json.runs.map((r) => r.run)).toEqual([1, 2]);
    expect(json.runs[1].result).toEqual(JSON.parse(JSON.stringify(results[1])));
  });
});
