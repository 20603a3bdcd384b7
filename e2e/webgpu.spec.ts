import { expect, test } from './fixtures.ts';
import { openLab, waitForResult } from './lab-page.ts';

// Runs in the "chromium-webgpu" project (--enable-unsafe-webgpu). Without a GPU the adapter is
// SwiftShader and every predict is slow, so this uses the small dense lenet300.
test('evaluates lenet300 on WebGPU', async ({ page }, testInfo) => {
  test.setTimeout(240_000);
  const recipe = 'v=1&model=lenet300&seed=1&steps=prune(fraction=0.5)';
  await openLab(page, `${recipe}&backend=webgpu`);
  await expect(page.getByTestId('backend-status')).toContainText('Running on WebGPU', {
    timeout: 60_000,
  });
  const shown = await waitForResult(page, recipe, 220_000);
  expect(shown.accuracy).toMatch(/^\d{1,3}\.\d\d %$/);
  expect(parseFloat(shown.accuracy)).toBeGreaterThan(90);
  await page.screenshot({ path: testInfo.outputPath('lab-webgpu.png'), fullPage: true });
});
