/**
 * Helpers shared by the specs: open the lab at a hash, wait for a given recipe's result, and
 * read what the page shows. Waiting goes through window.__complab.getState (read-only).
 */
import { expect, type Page } from '@playwright/test';

/** The bare page's recipe (and a bad link's fallback): new experiments run on the full MNIST. */
export const DEFAULT_RECIPE_TEXT = 'v=2&model=lenet5&data=mnist&seed=1&steps=';
/** A link naming LeNet-5 and no data set: the 2,000 test digits of mnist-10k, as before. */
export const LENET5_LINK_TEXT = 'v=2&model=lenet5&seed=1&steps=';

/**
 * Opens the lab at `hash`. With `testHooks`, the page is opened with `?test`, which offers
 * window.__complab.testHooks (see testHook below).
 */
export async function openLab(
  page: Page,
  hash = '',
  options: { testHooks?: boolean } = {},
): Promise<void> {
  const path = options.testHooks ? '/?test' : '/';
  await page.goto(hash ? `${path}#${hash}` : path);
  await expect(page.getByRole('heading', { name: 'Compression Lab' })).toBeVisible();
}

type TestHooks = NonNullable<
  ReturnType<NonNullable<NonNullable<Window['__complab']>['testHooks']>>
>;

/** Calls one of the page's test hooks (the page must have been opened with testHooks). */
export async function testHook<K extends keyof TestHooks>(
  page: Page,
  hook: K,
): Promise<Awaited<ReturnType<TestHooks[K]>>> {
  return page.evaluate(async (name) => {
    const hooks = window.__complab?.testHooks?.();
    if (!hooks) throw new Error('the page was not opened with test hooks');
    return (await hooks[name]()) as never;
  }, hook);
}

/** Waits until a run of `recipeText` is in flight and the engine has reported `stage`. */
export async function waitForRunning(page: Page, recipeText: string, stage: string) {
  await page.waitForFunction(
    ([text, wanted]) => {
      const status = window.__complab?.getState().runStatus;
      return (
        status?.phase === 'running' &&
        status.recipeText === text &&
        status.progress?.stage === wanted
      );
    },
    [recipeText, stage] as const,
    { polling: 20 },
  );
}

/** Waits until the newest finished run is for `recipeText` and the page shows it. */
export async function waitForResult(page: Page, recipeText: string, timeout = 60_000) {
  await page.waitForFunction(
    (expected) => {
      const state = window.__complab?.getState();
      if (!state) return false;
      if (state.runStatus.phase === 'error') throw new Error(state.runStatus.message);
      return state.runs.at(-1)?.recipeText === expected && state.runStatus.phase === 'idle';
    },
    recipeText,
    { timeout, polling: 50 },
  );
  const result = page.getByTestId('result');
  await expect(result).toHaveAttribute('data-recipe', recipeText);
  return {
    accuracy: (await page.getByTestId('accuracy').textContent()) ?? '',
    size: (await page.getByTestId('size').textContent()) ?? '',
    sizeBytes: (await page.getByTestId('size-bytes').textContent()) ?? '',
    nonzero: (await page.getByTestId('nonzero').textContent()) ?? '',
  };
}

export async function latestRun(page: Page) {
  return page.evaluate(() => {
    const run = window.__complab?.getState().runs.at(-1);
    return run
      ? {
          recipeText: run.recipeText,
          backend: run.result.backend,
          accuracy: run.result.accuracy,
          sizeBytes: run.result.sizeBytes,
          waitedMs: run.deliveredAt - run.requestedAt,
        }
      : null;
  });
}

export const historyRows = (page: Page) => page.getByTestId('history-row');

/** Steps of the newest run: technique, whether it came from the cache, correct count. */
export async function latestSteps(page: Page) {
  return page.evaluate(
    () =>
      window.__complab
        ?.getState()
        .runs.at(-1)
        ?.result.steps.map((s) => ({
          technique: s.technique,
          cached: s.cached,
          correct: s.correct,
          trainedOn: s.trainedOn ?? null,
        })) ?? [],
  );
}

/** Puts a new link into the address bar, as a person pasting one would. */
export async function pasteLink(page: Page, hash: string): Promise<void> {
  await page.evaluate((h) => {
    window.location.hash = h;
  }, hash);
}

/** Waits until the newest run failed; returns the message the page shows. */
export async function waitForRunError(page: Page, timeout = 60_000): Promise<string> {
  await page.waitForFunction(
    () => window.__complab?.getState().runStatus.phase === 'error',
    undefined,
    { timeout, polling: 50 },
  );
  return (await page.getByTestId('run-error').textContent()) ?? '';
}
