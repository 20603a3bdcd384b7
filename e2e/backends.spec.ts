import { expect, test } from './fixtures.ts';
import { openLab, waitForResult } from './lab-page.ts';
import { accuracyText, cliResult, keepScreenshot } from './reference.ts';

// Each backend evaluates a pruned model and the page says which backend ran it; WebGPU has its
// own spec (it needs a browser flag). The explicit choice comes from the link, like a teacher's
// shared setup. Without a GPU, WebGL is SwiftShader (lenet5 takes ~40 s there), so WebGL gets
// the dense lenet300 (~4 s).
for (const { backend, label, model } of [
  { backend: 'wasm', label: 'WASM', model: 'lenet5' },
  { backend: 'webgl', label: 'WebGL', model: 'lenet300' },
] as const) {
  test(`evaluates ${model} on ${label}`, async ({ page }, testInfo) => {
    const recipe = `v=2&model=${model}&seed=1&steps=prune(fraction=0.5)`;
    await openLab(page, `${recipe}&backend=${backend}`);
    const reference = cliResult(recipe); // the CLI in Node, meanwhile
    const shown = await waitForResult(page, recipe, 90_000);
    await expect(page.getByTestId('backend-status')).toContainText(`Running on ${label}`);
    await expect(page.getByTestId('backend-picker')).toHaveValue(backend);
    await expect(page.getByTestId('history-row')).toHaveCount(1);
    // The digits the CLI gets right on WASM: the same on the page's WASM; on WebGL (float32 on
    // another engine) at most a digit or two either way.
    const cli = await reference;
    const ran = await page.evaluate(() => window.__complab!.getState().runs.at(-1)!.result);
    if (backend === 'wasm') {
      expect(ran.correct).toBe(cli.correct);
      expect(shown.accuracy).toBe(accuracyText(cli.correct, cli.total));
    } else {
      expect(Math.abs(ran.correct - cli.correct)).toBeLessThanOrEqual(2);
      expect(shown.accuracy).toBe(accuracyText(ran.correct, ran.total));
    }
    expect(ran.sizeBytes).toBe(cli.sizeBytes);
    expect(ran.nonzeroParams).toBe(cli.nonzeroParams);
    await keepScreenshot(page, testInfo.outputPath(`lab-${backend}.png`), { fullPage: true });
  });
}

test('automatic backend choice explains what it skipped', async ({ page }) => {
  await openLab(page);
  await expect(page.getByTestId('backend-status')).toContainText('Running on');
  const status = await page.getByTestId('backend-status').textContent();
  // This project's Chromium has no GPU (playwright.config.ts): WebGPU is absent without its flag
  // and WebGL is SwiftShader, so auto must land on WASM with a reason for each. (On a machine
  // with a GPU this expectation is wrong on purpose: the test says which backend it got.)
  expect(status, 'the automatic choice in a GPU-less headless Chromium').toContain(
    'Running on WASM',
  );
  await expect(page.getByTestId('backend-status')).toContainText('Skipped WebGPU');
  await expect(page.getByTestId('backend-status')).toContainText('Skipped WebGL');
});

test('a requested backend that cannot start falls back and says why', async ({ page }) => {
  // This project launches Chromium without --enable-unsafe-webgpu, so WebGPU has no adapter.
  const recipe = 'v=2&model=lenet300&seed=1&steps=';
  await openLab(page, `${recipe}&backend=webgpu`);
  await waitForResult(page, recipe);
  const status = page.getByTestId('backend-status');
  await expect(status).toContainText('instead of WebGPU');
  await expect(status).toContainText('Skipped WebGPU: no WebGPU adapter');
  await expect(page.getByTestId('backend-picker')).toHaveValue('webgpu');
});

test('the backend picker switches backend and re-runs the recipe', async ({ page }) => {
  const recipe = 'v=2&model=lenet300&seed=1&steps=prune(fraction=0.7)';
  await openLab(page, `${recipe}&backend=wasm`);
  await waitForResult(page, recipe);
  await page.getByTestId('backend-picker').selectOption('cpu');
  await expect(page.getByTestId('backend-status')).toContainText('Running on CPU');
  await expect(page.getByTestId('history-row')).toHaveCount(2);
  await expect(page.getByTestId('history-row').first()).toContainText('CPU');
  await expect(page).toHaveURL(/&backend=cpu$/);
});

test('a model that cannot be loaded shows why, and picking another one recovers', async ({
  page,
}) => {
  await openLab(page, 'v=2&model=nosuchmodel&backend=wasm');
  const error = page.getByTestId('run-error');
  await expect(error).toHaveAttribute('role', 'alert');
  await expect(error).toContainText('Unknown model "nosuchmodel"');
  await page.getByTestId('model-picker').selectOption('lenet300');
  await waitForResult(page, 'v=2&model=lenet300&seed=1&steps=');
  await expect(page.getByTestId('run-error')).toHaveCount(0);
});
