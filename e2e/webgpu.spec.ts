import { expect, test } from './fixtures.ts';
import { historyRows, openLab, testHook, waitForResult, waitForRunning } from './lab-page.ts';
import { keepScreenshot } from './reference.ts';

// Runs in the "chromium-webgpu" project (--enable-unsafe-webgpu). Without a GPU the adapter is
// SwiftShader and every predict is slow, so this uses the small dense lenet300, and one test
// covers both the evaluation and the loss of the device.
test('evaluates lenet300 on WebGPU, and moves on when the device is lost', async ({
  page,
}, testInfo) => {
  test.setTimeout(240_000);
  const recipe = 'v=2&model=lenet300&seed=1&steps=prune(fraction=0.5)';
  await openLab(page, `${recipe}&backend=webgpu`, { testHooks: true });
  const status = page.getByTestId('backend-status');
  await expect(status).toContainText('Running on WebGPU', { timeout: 60_000 });
  const shown = await waitForResult(page, recipe, 220_000);
  expect(shown.accuracy).toMatch(/^\d{1,3}\.\d\d %$/);
  expect(parseFloat(shown.accuracy)).toBeGreaterThan(90);
  await keepScreenshot(page, testInfo.outputPath('lab-webgpu.png'), { fullPage: true });

  // The device is destroyed while the next recipe is evaluated on it.
  await page.getByTestId('step-0-fraction').fill('0.6');
  const next = 'v=2&model=lenet300&seed=1&steps=prune(fraction=0.6)';
  await waitForRunning(page, next, 'evaluating');
  expect(await testHook(page, 'loseBackend')).toBe('webgpu');
  await expect(page.getByTestId('backend-lost')).toHaveText(
    /^WebGPU was lost: the GPU device was lost \(destroyed: .+\); now on WASM\.$/,
  );
  await waitForResult(page, next);
  const backends = await page.evaluate(() =>
    window.__complab!.getState().runs.map((r) => r.result.backend),
  );
  expect(backends).toEqual(['webgpu', 'wasm']);
  await expect(historyRows(page)).toHaveCount(2);
  await expect(page.getByTestId('backend-picker')).toHaveValue('webgpu');
  await expect(page).toHaveURL(/steps=prune\(fraction=0\.6\)&backend=webgpu$/);
  await keepScreenshot(status, testInfo.outputPath('webgpu-lost.png'));
});
