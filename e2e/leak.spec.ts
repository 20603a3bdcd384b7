/**
 * A long session in the page: 200 evaluations through the page and its worker, mixing finished
 * runs (pruning, short fine-tuning), runs superseded by a newer link, runs cancelled with the
 * Cancel button, failing recipes and switches to CPU and back. Afterwards tfjs in the worker holds
 * exactly the tensors and variables it held before. The sequence is driven from inside the page
 * (links pasted into the address bar, the Cancel button clicked), so it costs no round trips.
 */
import { expect, test } from './fixtures.ts';
import { openLab, testHook, waitForResult } from './lab-page.ts';

type Action = 'prune' | 'finetune' | 'supersede' | 'cancel' | 'fail' | 'cpu';

/** How many of each (a supersede is two evaluations, a CPU stretch two: there and back). */
const MIX: Record<Action, number> = {
  prune: 90,
  finetune: 10,
  supersede: 25,
  cancel: 20,
  fail: 20,
  cpu: 5,
};

/** The actions in a seeded order, so a failure can be replayed. */
function schedule(seed: number): Action[] {
  const actions = (Object.entries(MIX) as [Action, number][]).flatMap(([a, n]) =>
    Array<Action>(n).fill(a),
  );
  let state = seed;
  for (let i = actions.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [actions[i], actions[j]] = [actions[j], actions[i]];
  }
  return actions;
}

/** Runs `actions` in the page; returns the number of evaluations started and each outcome. */
function drive(actions: readonly Action[]): Promise<Record<string, number>> {
  const state = () => window.__complab!.getState();
  const until = (check: () => boolean, what: string, ms = 60_000) =>
    new Promise<void>((resolve, reject) => {
      const started = performance.now();
      const tick = () => {
        if (check()) return resolve();
        if (performance.now() - started > ms) {
          const status = JSON.stringify(state().runStatus).slice(0, 300);
          return reject(new Error(`no ${what} within ${ms} ms; the page is at ${status}`));
        }
        setTimeout(tick, 5);
      };
      tick();
    });
  const counts: Record<string, number> = { evaluations: 0 };
  const count = (what: string) => (counts[what] = (counts[what] ?? 0) + 1);
  let backend = 'wasm';
  let step = 0;
  const text = (steps: string, seed = 1) => `v=2&model=lenet300&seed=${seed}&steps=${steps}`;
  /** Pastes a link for `steps` (every link differs from the one before: a new run starts). */
  const paste = (steps: string, seed = 1) => {
    count('evaluations');
    window.location.hash = `${text(steps, seed)}&backend=${backend}`;
    return text(steps, seed);
  };
  // Fractions 0.05 to 0.95, never the same twice running: some prefixes come from the cache.
  const fraction = () =>
    `prune(fraction=${Number((((step++ * 7) % 19) * 0.05 + 0.05).toFixed(2))})`;
  /** The newest result is for a recipe `matches` accepts, computed on the current backend. */
  const finished = (matches: string | ((recipe: string) => boolean)) =>
    until(
      () => {
        const s = state();
        const last = s.runs.at(-1);
        const recipe = last?.recipeText ?? '';
        return (
          s.runStatus.phase === 'idle' &&
          (typeof matches === 'string' ? recipe === matches : matches(recipe)) &&
          last?.result.backend === backend
        );
      },
      `result of ${String(matches)} on ${backend}`,
    );
  /** The run of `recipe` has reached `stage`, or already finished (a cached one is quick). */
  const reached = (recipe: string, stage: string) =>
    until(() => {
      const s = state();
      const status = s.runStatus;
      if (status.phase === 'running') return status.progress?.stage === stage;
      return status.phase === 'idle' && s.runs.at(-1)?.recipeText === recipe;
    }, `run of ${recipe} at ${stage}`);

  const perform = async (action: Action) => {
    switch (action) {
      case 'prune':
        await finished(paste(fraction()));
        break;
      case 'finetune': {
        // A few seeds: some fine-tuned prefixes are computed, some come from the cache.
        const seed = 1 + (step++ % 4);
        paste('prune(fraction=0.8);finetune(epochs=1,batches=2,batch=32)', seed);
        const canonical = text('prune(fraction=0.8);finetune(epochs=1,', seed);
        await finished((recipe) => recipe.startsWith(canonical) && recipe.includes(',batches=2,'));
        break;
      }
      case 'supersede': {
        // Superseded at a different moment each time: as it loads, or as it measures latency.
        const first = paste(fraction());
        await reached(first, step % 2 === 0 ? 'loading' : 'measuring');
        await finished(paste(fraction()));
        break;
      }
      case 'cancel': {
        const recipe = paste(`prune(fraction=0.5);finetune(epochs=1)`, 10 + (step++ % 50));
        await until(() => {
          const s = state().runStatus;
          return s.phase === 'running' && s.progress?.stage === 'compressing';
        }, `fine-tuning of ${recipe}`);
        document.querySelector<HTMLButtonElement>('[data-testid="cancel-run"]')!.click();
        await until(() => state().runStatus.phase === 'cancelled', 'cancellation');
        break;
      }
      case 'fail': {
        const recipe = paste(`prune-density(density=conv9:0.${1 + (step++ % 9)})`);
        await until(() => {
          const s = state().runStatus;
          return s.phase === 'error' && s.recipeText === recipe;
        }, `failure of ${recipe}`);
        break;
      }
      case 'cpu':
        backend = 'cpu';
        await finished(paste(fraction()));
        backend = 'wasm';
        await finished(paste(fraction()));
        break;
    }
    count(action);
  };
  return (async () => {
    for (const action of actions) await perform(action);
    return counts;
  })();
}

test('200 evaluations in the page leave the worker with the tensors it started with', async ({
  page,
}) => {
  // 3.4 min on a quiet machine with the page's own latency sampling (15 predictions a figure),
  // which the fixtures shorten; 3.7 min with the short sampling on a machine loaded six-fold.
  test.setTimeout(420_000);
  const start = 'v=2&model=lenet300&seed=1&steps=prune(fraction=0.3)';
  await openLab(page, `${start}&backend=wasm`, { testHooks: true });
  await waitForResult(page, start);
  // Warm-up: the first run of each kind fills caches that live as long as the worker (tfjs's
  // kernels and scalars per backend, kernel choices, the digits); the count starts after it.
  const warmUp: Action[] = ['finetune', 'cancel', 'fail', 'supersede', 'cpu'];
  await page.evaluate(drive, warmUp);
  const before = await testHook(page, 'memory');
  expect(before.backend).toBe('wasm');

  const counts = await page.evaluate(drive, schedule(2024));
  const after = await testHook(page, 'memory');
  test.info().annotations.push({
    type: 'leak',
    description: `${JSON.stringify(counts)}; tensors ${before.numTensors} → ${after.numTensors}`,
  });
  expect(counts.evaluations).toBe(200);
  expect(after.backend).toBe('wasm');
  expect(after.numTensors).toBe(before.numTensors);
  expect(after.variables).toBe(before.variables);
  // The page is still at work: the run history holds the last results.
  await expect(page.getByTestId('history-row').first()).toBeVisible();
});
