/**
 * The built app as a static host serves it, under a sub-path (scripts/serve-static.ts mounts
 * dist/ at /lab/ with cross-origin isolation headers, and at /plain/lab/ with no headers at
 * all, as GitHub Pages serves it). Every file the page and its worker fetch (scripts, wasm,
 * data, models) must resolve under the sub-path.
 */
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import { waitForResult } from './lab-page.ts';
import { keepScreenshot } from './reference.ts';

const RECIPE = 'v=2&model=lenet300&seed=1&steps=prune(fraction=0.8)';

/** Every response of the page and its workers that was not a success, or left the sub-path. */
function watchRequests(page: Page, base: string): string[] {
  const bad: string[] = [];
  page.context().on('response', (response) => {
    const url = new URL(response.url());
    if (url.protocol === 'blob:' || url.protocol === 'data:') return;
    if (response.status() >= 400) bad.push(`${response.status()} ${url.pathname}`);
    else if (!url.pathname.startsWith(base)) bad.push(`outside ${base}: ${url.pathname}`);
  });
  return bad;
}

test('under /lab/ (with COOP and COEP): the lab runs a recipe, threads and all', async ({
  page,
}, testInfo) => {
  const bad = watchRequests(page, '/lab/');
  await page.goto(`./#${RECIPE}`);
  expect(new URL(page.url()).pathname).toBe('/lab/');
  await expect(page.getByRole('heading', { name: 'Compression Lab' })).toBeVisible();
  const shown = await waitForResult(page, RECIPE);
  expect(shown.accuracy).toMatch(/\d+\.\d\d %/);
  expect(await page.evaluate(() => window.crossOriginIsolated)).toBe(true);
  // A tour link works there too.
  await page.goto('./#tour=xnor-net&step=1');
  // Tours keep recipe version 1 (their numbers are the golden ones).
  await waitForResult(page, 'v=1&model=lenet5&seed=1&steps=');
  await expect(page.getByTestId('tour-numbers')).toBeVisible();
  expect(bad).toEqual([]);
  await keepScreenshot(page, testInfo.outputPath('subpath-lab.png'), { fullPage: true });
});

test('under /plain/lab/ (a host without headers): single-threaded, same numbers', async ({
  page,
}, testInfo) => {
  await page.goto(`./#${RECIPE}`);
  const isolated = await waitForResult(page, RECIPE);
  const bad = watchRequests(page, '/plain/lab/');
  await page.goto(`/plain/lab/index.html#${RECIPE}`);
  await expect(page.getByRole('heading', { name: 'Compression Lab' })).toBeVisible();
  const shown = await waitForResult(page, RECIPE);
  expect(await page.evaluate(() => window.crossOriginIsolated)).toBe(false);
  // Threads change how fast, not what: the same accuracy and the same stored bytes.
  expect(shown).toEqual(isolated);
  expect(bad).toEqual([]);
  await keepScreenshot(page, testInfo.outputPath('subpath-plain.png'), { fullPage: true });
});
