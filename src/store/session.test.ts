/**
 * The session (store ↔ engine) and the sweep runner with a real engine: the client here runs a
 * real Lab in this process (WASM in Node) instead of in a worker, so what reaches the store is
 * what the engine computed. The expected results come from the lab run directly, outside the
 * session; the run numbers, the superseded runs and the crashes are counted by hand.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Lab, type RunResult } from '../engine/lab.ts';
import { useNodeBackend } from '../engine/node/backend.ts';
import { RunCancelledError } from '../engine/cancel.ts';
import { parseRecipe } from '../engine/recipe/share.ts';
import { publicAssets } from '../engine/test/fixtures.ts';
import type { LabClient } from '../worker/client.ts';
import { toErrorData } from '../worker/errors.ts';
import type { LabErrorData, RunOutcome } from '../worker/protocol.ts';
import { restoreRecipe } from './actions.ts';
import { createLabStore, dispatch, type LabStore } from './lab-store.ts';
import { MAX_CRASHES, startLabSession } from './session.ts';
import type { RunRecord } from './state.ts';

const recipeText = (steps: string) => `v=1&model=lenet300&seed=1&steps=${steps}`;

/** A LabClient over a real Lab in this process; `crash()` ends it as a dying worker would. */
function inProcessClient(lab: Lab, log: string[]): LabClient & { crash(): void } {
  const running = new Map<number, AbortController>();
  let crash: (error: LabErrorData) => void = () => undefined;
  const crashed = new Promise<LabErrorData>((resolve) => (crash = resolve));
  const status = { active: 'wasm', requested: 'wasm', skipped: [] } as const;
  return {
    init: async () => ({ ok: true, status }),
    setBackend: async () => ({ ok: true, status }),
    cards: async () => ({ ok: true, cards: await lab.cards() }),
    dataSetSizes: async () => ({ ok: false, error: { kind: 'internal', message: 'not needed' } }),
    comparePredictions: async () => ({
      ok: false,
      error: { kind: 'internal', message: 'not needed' },
    }),
    modelInfo: async () => ({ ok: false, error: { kind: 'internal', message: 'not needed' } }),
    expandPreset: async () => ({ ok: false, error: { kind: 'internal', message: 'not needed' } }),
    maskPicture: async () => ({ ok: false, error: { kind: 'internal', message: 'not needed' } }),
    async run(recipe, runId, onProgress): Promise<RunOutcome> {
      const controller = new AbortController();
      running.set(runId, controller);
      log.push(`run ${runId}`);
      try {
        const result = await lab.run(recipe, { signal: controller.signal, onProgress });
        return { kind: 'done', runId, result };
      } catch (err) {
        if (err instanceof RunCancelledError) return { kind: 'cancelled', runId };
        return { kind: 'error', runId, error: toErrorData(err) };
      } finally {
        running.delete(runId);
      }
    },
    cancel: (runId) => running.get(runId)?.abort(),
    importModel: async () => ({ ok: false, error: { kind: 'internal', message: 'not needed' } }),
    registerModels: async () => undefined,
    forgetModel: async () => undefined,
    exportModel: async () => ({ ok: false, error: { kind: 'internal', message: 'not needed' } }),
    onBackendChange: () => undefined,
    crashed,
    terminate: () => running.forEach((c) => c.abort()),
    testHooks: null,
    crash: () => crash({ kind: 'internal', message: 'The compute worker stopped unexpectedly' }),
  };
}

/** Resolves once the store holds what `check` wants (or fails after 60 s). */
function until(store: LabStore, check: (runs: readonly RunRecord[]) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out')), 60_000);
    const test = () => {
      if (!check(store.getState().runs)) return false;
      clearTimeout(timer);
      resolve();
      return true;
    };
    if (test()) return;
    const stop = store.subscribe(() => test() && stop());
  });
}

let lab: Lab;
const direct = new Map<string, RunResult>();
beforeAll(async () => {
  await useNodeBackend('wasm');
  lab = new Lab({ read: publicAssets });
  // The expected results: the same recipes on a lab of their own, outside any session.
  const reference = new Lab({ read: publicAssets });
  for (const steps of ['', 'prune(fraction=0.5)', 'prune(fraction=0.9)']) {
    direct.set(recipeText(steps), await reference.run(parseRecipe(recipeText(steps))));
  }
  await reference.dispose();
}, 120_000);

describe('the session', () => {
  it('runs the recipe with the engine’s result, and numbers runs above all it shows', async () => {
    const log: string[] = [];
    // Restored history with runs 1..3; another tab's run 7 arrives in the page while it runs.
    const restored = [1, 2, 3].map((runId) => ({
      runId,
      recipeText: `restored ${runId}`,
      result: direct.get(recipeText(''))!,
      timestamp: 0,
      requestedAt: 0,
      deliveredAt: 0,
    }));
    const store = createLabStore({ runs: restored });
    store.setState({ recipe: parseRecipe(recipeText('prune(fraction=0.5)')) });
    const session = startLabSession(store, () => inProcessClient(lab, log), 'unused');
    await until(store, (runs) => runs.at(-1)?.recipeText === recipeText('prune(fraction=0.5)'));
    expect(store.getState().runs.at(-1)!.runId).toBe(4);
    expect(store.getState().runs.at(-1)!.result.correct).toBe(
      direct.get(recipeText('prune(fraction=0.5)'))!.correct,
    );

    store.setState({ runs: [...store.getState().runs, { ...restored[0], runId: 7 }] });
    dispatch(store, restoreRecipe, parseRecipe(recipeText('prune(fraction=0.9)')));
    await until(store, (runs) => runs.at(-1)?.recipeText === recipeText('prune(fraction=0.9)'));
    const runs = store.getState().runs;
    const newest = runs.at(-1)!;
    expect(newest.runId).toBeGreaterThan(7);
    expect(new Set(runs.map((r) => r.runId)).size).toBe(runs.length);
    expect(newest.result.correct).toBe(direct.get(recipeText('prune(fraction=0.9)'))!.correct);
    expect(newest.result.sizeBytes).toBe(direct.get(recipeText('prune(fraction=0.9)'))!.sizeBytes);
    session.stop();
  }, 120_000);

  it('replaces a worker that dies and runs the recipe again; stops after three in a minute', async () => {
    const log: string[] = [];
    const clients: ReturnType<typeof inProcessClient>[] = [];
    const store = createLabStore();
    store.setState({ recipe: parseRecipe(recipeText('prune(fraction=0.5)')) });
    const session = startLabSession(
      store,
      () => {
        const client = inProcessClient(lab, log);
        clients.push(client);
        return client;
      },
      'unused',
    );
    await until(store, (runs) => runs.length === 1);
    for (let crash = 1; crash <= MAX_CRASHES; crash++) {
      clients.at(-1)!.crash();
      if (crash === MAX_CRASHES) break;
      await until(store, (runs) => runs.length === crash + 1);
      expect(store.getState().engineNotice).toContain('A new one was started');
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(clients).toHaveLength(MAX_CRASHES); // the first and two replacements, no fourth
    expect(store.getState().runs).toHaveLength(MAX_CRASHES);
    const status = store.getState().runStatus;
    expect(status.phase === 'error' && status.message).toMatch(
      /stopped 3 times within a minute, so it was not started again/,
    );
    session.stop();
  }, 120_000);

  it('a sweep runs each value as a run of its own, with the engine’s results', async () => {
    const log: string[] = [];
    const store = createLabStore();
    store.setState({ recipe: parseRecipe(recipeText('prune(fraction=0.5)')) });
    const session = startLabSession(store, () => inProcessClient(lab, log), 'unused');
    await until(store, (runs) => runs.length === 1);
    session.sweep({ stepIndex: 0, param: 'fraction', from: 0.5, to: 0.9, step: 0.4 });
    await until(store, () => store.getState().sweep?.phase === 'done');
    const sweep = store.getState().sweep!;
    expect(sweep.values).toEqual([0.5, 0.9]);
    const swept = store.getState().runs.filter((r) => r.origin?.kind === 'sweep');
    expect(swept.map((r) => r.recipeText)).toEqual([
      recipeText('prune(fraction=0.5)'),
      recipeText('prune(fraction=0.9)'),
    ]);
    expect(swept.map((r) => r.result.correct)).toEqual([
      direct.get(recipeText('prune(fraction=0.5)'))!.correct,
      direct.get(recipeText('prune(fraction=0.9)'))!.correct,
    ]);
    session.stop();
  }, 120_000);
});
