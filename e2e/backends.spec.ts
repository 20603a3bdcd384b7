import { expect, test } from './fixtures.ts';
import { openLab, waitForResult } from './lab-page.ts';

// Each backend evaluates a pruned model and the page says which backend ran it; WebGPU has its
// own spec (it needs a browser flag). The explicit choice comes from the link, like a teacher's
// shared setup. Without a GPU, WebGL is SwiftShader (lenet5 takes ~40 s there), so WebGL gets
// the dense lenet300 (~4 s).
for (const { backend, label, model } of [
  { backend: 'wasm', label: 'WASM', model: 'lenet5' },
  { backend: 'webgl', label: 'WebGL', model: 'lenet300' },
] as const) {
  test(`evaluates ${model} on ${label}`, async ({ page }, testInfo) => {
    const recipe = `v=1&model=${model}&seed=1&steps=prune(fraction=0.5)`;
    await openLab(page, `${recipe}&backend=${backend}`);
    const shown = await waitForResult(page, recipe, 90_000);
    expect(shown.accuracy).toMatch(/^\d{1,3}\.\d\d %$/);
    expect(parseFloat(shown.accuracy)).toBeGreaterThan(90);
    await expect(page.getByTestId('backend-status')).toContainText(`Running on ${label}`);
    await expect(page.getByTestId('backend-picker')).toHaveValue(backend);
    await expect(page.getByTestId('history-row')).toHaveCount(1);
    await page.screenshot({ path: testInfo.outputPath(`lab-${backend}.png`), fullPage: true });
  });
}

test('automatic backend choice explains what it skipped', async ({ page }) => {
  await openLab(page);
  await expect(page.getByTestId('backend-status')).toContainText('Running on');
  const status = await page.getByTestId('backend-status').textContent();
  // Headless Chromium without a GPU: WebGPU is absent and WebGL is SwiftShader, so auto lands on
  // WASM with a reason for each; on a real GPU it would pick that instead.
  if (status?.includes('Running on WASM')) {
    await expect(page.getByTestId('backend-status')).toContainText('Skipped WebGPU');
    await expect(page.getByTestId('backend-status')).toContainText('Skipped WebGL');
  }
});

test('a requested backend that cannot start falls back and says why', async ({ page }) => {
  // This project launches Chromium without --enable-unsafe-webgpu, so WebGPU has no adapter.
  const recipe = 'v=1&model=lenet300&seed=1&steps=';
  await openLab(page, `${recipe}&backend=webgpu`);
  await waitForResult(page, recipe);
  const status = page.getByTestId('backend-status');
  await expect(status).toContainText('instead of WebGPU');
  await expect(status).toContainText('Skipped WebGPU: no WebGPU adapter');
  await expect(page.getByTestId('backend-picker')).toHaveValue('webgpu');
});

test('the backend picker switches backend and re-runs the recipe', async ({ page }) => {
  const recipe = 'v=1&model=lenet300&seed=1&steps=prune(fraction=0.7)';
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
  await openLab(page, 'v=1&model=nosuchmodel&backend=wasm');
  const error = page.getByTestId('run-error');
  await expect(error).toHaveAttribute('role', 'alert');
  await expect(error).toContainText('Unknown model "nosuchmodel"');
  await page.getByTestId('model-picker').selectOption('lenet300');
  await waitForResult(page, 'v=1&model=lenet300&seed=1&steps=');
  await expect(page.getByTestId('run-error')).toHaveCount(0);
});
