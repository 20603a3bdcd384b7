/**
 * The lab survives losing what it computes on: a WebGL context lost during a run (the run moves
 * to the next backend and is computed again there) and a worker that dies (a new one is started
 * and runs the recipe again). History and link stay as they were. The WebGPU device loss is in
 * webgpu.spec.ts (it needs the WebGPU browser flag).
 */
import { expect, test } from './fixtures.ts';
import {
  historyRows,
  latestRun,
  openLab,
  pasteLink,
  testHook,
  waitForResult,
  waitForRunning,
} from './lab-page.ts';
import { keepScreenshot } from './reference.ts';

const runsSoFar = (page: import('@playwright/test').Page) =>
  page.evaluate(() => window.__complab!.getState().runs.map((r) => r.result.backend));

test('a WebGL context lost during a run moves to WASM and keeps the history', async ({
  page,
}, testInfo) => {
  // lenet300 on WebGL (SwiftShader here) takes seconds per run: time to lose it in the middle.
  const first = 'v=2&model=lenet300&seed=1&steps=prune(fraction=0.5)';
  await openLab(page, `${first}&backend=webgl`, { testHooks: true });
  await waitForResult(page, first, 90_000);
  const status = page.getByTestId('backend-status');
  await expect(status).toContainText('Running on WebGL');

  await page.getByTestId('step-0-fraction').fill('0.6');
  const second = 'v=2&model=lenet300&seed=1&steps=prune(fraction=0.6)';
  await waitForRunning(page, second, 'evaluating');
  expect(await testHook(page, 'loseBackend')).toBe('webgl');

  await expect(page.getByTestId('backend-lost')).toHaveText(
    /^WebGL was lost: its context was lost \(.+\); now on WASM\.$/,
  );
  await waitForResult(page, second);
  // The run that was in flight was computed again on WASM; the earlier one stays as it was.
  expect(await runsSoFar(page)).toEqual(['webgl', 'wasm']);
  await expect(historyRows(page)).toHaveCount(2);
  // The page is cross-origin isolated, so WASM runs its threaded build: "(2 threads)" here.
  await expect(status).toContainText(/Running on WASM( \(\d+ threads\))? instead of WebGL/);
  // What the person asked for stays in the picker and the link.
  await expect(page.getByTestId('backend-picker')).toHaveValue('webgl');
  await expect(page).toHaveURL(/steps=prune\(fraction=0\.6\)&backend=webgl$/);
  await keepScreenshot(status, testInfo.outputPath('webgl-lost.png'));

  // Asked for again, the lost backend is skipped with the reason.
  await page.getByTestId('backend-picker').selectOption('cpu');
  await expect(status).toContainText('Running on CPU');
  await page.getByTestId('backend-picker').selectOption('webgl');
  await expect(status).toContainText('Skipped WebGL: it was lost earlier in this session');
});

test('a WebGL context lost between runs moves to WASM at once, with no run', async ({ page }) => {
  const recipe = 'v=2&model=lenet300&seed=1&steps=prune(fraction=0.5)';
  await openLab(page, `${recipe}&backend=webgl`, { testHooks: true });
  await waitForResult(page, recipe, 90_000);
  expect(await testHook(page, 'loseBackend')).toBe('webgl');
  await expect(page.getByTestId('backend-lost')).toContainText('WebGL was lost');
  await expect(page.getByTestId('backend-status')).toContainText(
    /Running on WASM( \(\d+ threads\))? instead of WebGL/,
  );
  // The result shown was computed before the loss: it stays, and nothing runs again.
  expect(await runsSoFar(page)).toEqual(['webgl']);
  await page.getByTestId('step-0-fraction').fill('0.7');
  await waitForResult(page, 'v=2&model=lenet300&seed=1&steps=prune(fraction=0.7)');
  expect(await runsSoFar(page)).toEqual(['webgl', 'wasm']);
});

test('a worker that dies during a run is replaced and the recipe runs again', async ({
  page,
}, testInfo) => {
  const first = 'v=2&model=lenet300&seed=1&steps=prune(fraction=0.5)';
  await openLab(page, `${first}&backend=wasm`, { testHooks: true });
  await waitForResult(page, first);

  // A fine-tuning run of a few seconds, killed in the middle: its answer never comes.
  const tuned =
    'v=2&model=lenet300&seed=3&steps=prune(fraction=0.5);finetune(epochs=1,lr=0.0001,decay=1,optimizer=adam,batch=64,batches=60,dropout=0,l2=0,layers=all,augment=true)';
  await pasteLink(page, `${tuned}&backend=wasm`);
  await waitForRunning(page, tuned, 'compressing');
  await testHook(page, 'killWorker');

  await expect(page.getByTestId('engine-notice')).toHaveText(
    'The compute worker stopped unexpectedly (the browser ended it). A new one was started to run the recipe again.',
  );
  await keepScreenshot(
    page.getByTestId('backend-status'),
    testInfo.outputPath('worker-restarted.png'),
  );
  await waitForResult(page, tuned);
  expect(await runsSoFar(page)).toEqual(['wasm', 'wasm']);
  expect((await latestRun(page))?.recipeText).toBe(tuned);
  await expect(historyRows(page)).toHaveCount(2);
  await expect(page).toHaveURL(/seed=3&steps=prune/);
  await expect(page.getByTestId('backend-status')).toContainText('Running on WASM');
  await keepScreenshot(page, testInfo.outputPath('worker-restarted-done.png'), { fullPage: true });
});

test('a worker error restarts it too; a worker that keeps dying is left stopped', async ({
  page,
}, testInfo) => {
  // (The page handles the worker's 'error' event, so the browser reports no uncaught error.)
  const recipe = 'v=2&model=lenet300&seed=1&steps=prune(fraction=0.4)';
  await openLab(page, `${recipe}&backend=wasm`, { testHooks: true });
  await waitForResult(page, recipe);
  const notice = page.getByTestId('engine-notice');

  await testHook(page, 'throwInWorker');
  await expect(notice).toHaveText(
    'The compute worker failed (Uncaught Error: an error nobody caught (test hook)). A new one was started to run the recipe again.',
  );
  await expect(historyRows(page)).toHaveCount(2);

  // Two more deaths within the minute: the third is not restarted, and the page says why.
  await testHook(page, 'killWorker');
  await expect(historyRows(page)).toHaveCount(3);
  await testHook(page, 'killWorker');
  await expect(page.getByTestId('backend-status')).toContainText(
    'No backend is running: The compute worker stopped unexpectedly (the browser ended it). It stopped 3 times within a minute, so it was not started again: reload the page to try again.',
  );
  await expect(historyRows(page)).toHaveCount(3);
  await expect(notice).toHaveCount(0);
  await keepScreenshot(
    page.getByTestId('backend-status'),
    testInfo.outputPath('worker-given-up.png'),
  );
});
