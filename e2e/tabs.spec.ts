/**
 * Two tabs of the lab on one browser profile share one IndexedDB: both tabs' runs survive a
 * reload (each tab numbers its first run 1; neither overwrites the other's), each tab shows the
 * other's runs as they land, and Clear in one tab clears the other.
 */
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import { historyRows, openLab, waitForResult } from './lab-page.ts';

const RECIPE_A = 'v=2&model=lenet300&seed=1&steps=prune(fraction=0.5)';
const RECIPE_B = 'v=2&model=lenet300&seed=1&steps=prune(fraction=0.8)';

const recipes = (page: Page) =>
  page.evaluate(() =>
    window
      .__complab!.getState()
      .runs.map((r) => r.recipeText)
      .sort(),
  );

test('two tabs keep both histories, see each other, and Clear in one clears both', async ({
  context,
}) => {
  const a = await context.newPage();
  const b = await context.newPage();
  // Both open on an empty history before either run lands: both number their run 1.
  await Promise.all([
    openLab(a, `${RECIPE_A}&backend=wasm`),
    openLab(b, `${RECIPE_B}&backend=wasm`),
  ]);
  await waitForResult(a, RECIPE_A, 90_000);
  await waitForResult(b, RECIPE_B, 90_000);
  const bothRuns = [RECIPE_A, RECIPE_B].sort();
  // Each tab shows the other's run as well, its own run last (the result it shows).
  for (const page of [a, b]) {
    await expect(historyRows(page)).toHaveCount(2);
    expect(await recipes(page)).toEqual(bothRuns);
  }
  await expect(a.getByTestId('result')).toHaveAttribute('data-recipe', RECIPE_A);
  await expect(b.getByTestId('result')).toHaveAttribute('data-recipe', RECIPE_B);
  const runIds = await a.evaluate(() => window.__complab!.getState().runs.map((r) => r.runId));
  expect(new Set(runIds).size).toBe(2);

  // A reload of tab A: both runs came back from the disk (plus the reload's own run of A).
  await a.reload();
  await waitForResult(a, RECIPE_A, 90_000);
  await expect(historyRows(a)).toHaveCount(3);
  expect(await recipes(a)).toEqual([RECIPE_A, RECIPE_A, RECIPE_B].sort());
  // Tab B saw the reloaded tab's new run.
  await expect(historyRows(b)).toHaveCount(3);

  // Clear in B: A's history empties too, and a reload of A brings none of it back.
  await b.getByRole('button', { name: 'Clear', exact: true }).click();
  await b.getByRole('button', { name: 'Clear history' }).click();
  await expect(historyRows(b)).toHaveCount(0);
  await expect(historyRows(a)).toHaveCount(0);
  await a.reload();
  await waitForResult(a, RECIPE_A, 90_000);
  await expect(historyRows(a)).toHaveCount(1);
  await expect(historyRows(b)).toHaveCount(1);
});
