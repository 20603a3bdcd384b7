/**
 * The sweep runner on its own (session.test.ts drives it through the session): each value of
 * the range run with a real Lab in this process (WASM), and how a sweep ends when it is
 * cancelled, superseded, fails, or is refused. The expected points come from the same recipes
 * run directly on a separate Lab; the counts in the messages are counted by hand.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { RunCancelledError } from '../engine/cancel.ts';
import { Lab, type RunResult } from '../engine/lab.ts';
import { useNodeBackend } from '../engine/node/backend.ts';
import type { Recipe } from '../engine/recipe/recipe.ts';
import { formatRecipe, parseRecipe } from '../engine/recipe/share.ts';
import { publicAssets } from '../engine/test/fixtures.ts';
import { toErrorData } from '../worker/errors.ts';
import type { RunOutcome } from '../worker/protocol.ts';
import { createLabStore, type LabStore } from './lab-store.ts';
import { runSweep, type SweepDeps } from './sweep-runner.ts';
import type { RunOrigin } from './sweep-state.ts';

const recipeText = (fraction: number) =>
  `v=1&model=lenet300&seed=1&steps=prune(fraction=${fraction})`;
const RANGE = { stepIndex: 0, param: 'fraction', from: 0.3, to: 0.9, step: 0.3 };
const VALUES = [0.3, 0.6, 0.9];

let lab: Lab;
const direct = new Map<number, RunResult>();
beforeAll(async () => {
  await useNodeBackend('wasm');
  lab = new Lab({ read: publicAssets });
  const reference = new Lab({ read: publicAssets });
  for (const value of VALUES)
    direct.set(value, await reference.run(parseRecipe(recipeText(value))));
  await reference.dispose();
}, 120_000);

/** Deps over the real lab; `before` may act before each run and replace its outcome. */
function labDeps(
  log: string[],
  before: (value: number) => RunOutcome | null | undefined = () => undefined,
): SweepDeps & { restored: number } {
  let controller: AbortController | null = null;
  const deps = {
    restored: 0,
    async execute(recipe: Recipe, origin: RunOrigin): Promise<RunOutcome | null> {
      const value = origin.kind === 'sweep' ? origin.value : NaN;
      log.push(`run ${value}`);
      const instead = before(value);
      if (instead !== undefined) return instead;
      controller = new AbortController();
      try {
        return {
          kind: 'done',
          runId: 0,
          result: await lab.run(recipe, { signal: controller.signal }),
        };
      } catch (err) {
        if (err instanceof RunCancelledError) return { kind: 'cancelled', runId: 0 };
        return { kind: 'error', runId: 0, error: toErrorData(err) };
      }
    },
    cancel: () => controller?.abort(),
    restore: () => deps.restored++,
  };
  return deps;
}

function sweepEnd(store: LabStore): Promise<void> {
  return new Promise((resolve) => {
    const ended = () => {
      const phase = store.getState().sweep?.phase;
      return phase !== undefined && phase !== 'running';
    };
    if (ended()) return resolve();
    const stop = store.subscribe(() => {
      if (!ended()) return;
      stop();
      resolve();
    });
  });
}

const storeWith = (fraction: number) => {
  const store = createLabStore();
  store.setState({ recipe: parseRecipe(recipeText(fraction)) });
  return store;
};

describe('runSweep', () => {
  it('runs each value in turn and keeps the engine’s accuracy and size for each', async () => {
    const store = storeWith(0.5);
    const log: string[] = [];
    const deps = labDeps(log);
    const control = runSweep(store, RANGE, deps);
    expect(control.running).toBe(true);
    await sweepEnd(store);
    const sweep = store.getState().sweep!;
    expect(sweep.phase).toBe('done');
    expect(log).toEqual(VALUES.map((v) => `run ${v}`));
    expect(sweep.points).toEqual(
      VALUES.map((value) => ({
        value,
        accuracy: direct.get(value)!.accuracy,
        sizeBytes: direct.get(value)!.sizeBytes,
        recipeText: formatRecipe(parseRecipe(recipeText(value))),
      })),
    );
    expect(deps.restored).toBe(1);
    expect(control.running).toBe(false);
  }, 120_000);

  it('cancel stops the run in flight and the sweep; the points done stay', async () => {
    const store = storeWith(0.5);
    const log: string[] = [];
    let control: ReturnType<typeof runSweep> | null = null;
    const deps = labDeps(log, (value) => {
      if (value === 0.6) queueMicrotask(() => control!.cancel());
      return undefined;
    });
    control = runSweep(store, RANGE, deps);
    await sweepEnd(store);
    const sweep = store.getState().sweep!;
    expect(sweep).toMatchObject({ phase: 'cancelled', message: 'Cancelled after 1 of 3' });
    expect(sweep.points.map((p) => p.value)).toEqual([0.3]);
    expect(log).toEqual(['run 0.3', 'run 0.6']);
    expect(deps.restored).toBe(0);
  }, 120_000);

  it('a run superseded by a recipe or backend change stops the sweep', async () => {
    const store = storeWith(0.5);
    const log: string[] = [];
    const deps = labDeps(log, (value) => (value === 0.9 ? null : undefined));
    runSweep(store, RANGE, deps);
    await sweepEnd(store);
    expect(store.getState().sweep).toMatchObject({
      phase: 'cancelled',
      message: 'Stopped after 2 of 3: the recipe or the backend changed',
    });
    expect(store.getState().sweep!.points).toHaveLength(2);
    expect(deps.restored).toBe(0);
  }, 120_000);

  it('a failed run ends the sweep with the value and the engine’s message', async () => {
    const store = storeWith(0.5);
    const log: string[] = [];
    const deps = labDeps(log, (value) =>
      value === 0.6
        ? { kind: 'error', runId: 0, error: { kind: 'asset', message: 'digits missing' } }
        : undefined,
    );
    runSweep(store, RANGE, deps);
    await sweepEnd(store);
    expect(store.getState().sweep).toMatchObject({
      phase: 'error',
      message: 'At 0.6: digits missing',
    });
    expect(log).toEqual(['run 0.3', 'run 0.6']);
  }, 120_000);

  it('a range complab sweep refuses starts nothing and says why', () => {
    const store = storeWith(0.5);
    const log: string[] = [];
    const control = runSweep(store, { ...RANGE, from: 0.9, to: 0.3 }, labDeps(log));
    expect(control.running).toBe(false);
    expect(store.getState().sweep).toBeNull();
    expect(store.getState().sweepError).toMatch(/from \(0.9\) is above to/);
    expect(log).toEqual([]);
  });
});
