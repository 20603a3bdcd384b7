import { expect, test } from '@playwright/test';
import { DEFAULT_RECIPE_TEXT, openLab, waitForResult } from './lab-page.ts';

const INJECTION = '<img src=x onerror="window.__injected=1">';

const BAD_LINKS = [
  {
    name: 'a parameter that is not a number',
    hash: 'v=1&model=lenet5&steps=prune(fraction=abc)',
    message: 'fraction must be a number',
  },
  { name: 'a newer format version', hash: 'v=99&model=lenet5', message: 'version' },
  {
    name: 'markup in the model name',
    hash: `v=1&model=${encodeURIComponent(INJECTION)}`,
    message: 'is not a model name',
  },
  {
    name: 'markup in the steps',
    hash: `v=1&model=lenet5&steps=${encodeURIComponent(INJECTION)}`,
    message: 'step 1',
  },
];

for (const link of BAD_LINKS) {
  test(`a link with ${link.name} shows why and opens the defaults`, async ({ page }, testInfo) => {
    await openLab(page, link.hash);
    const banner = page.getByTestId('link-error');
    await expect(banner).toBeVisible();
    await expect(banner).toHaveAttribute('role', 'alert');
    await expect(banner).toContainText(link.message);
    // The lab still works, on the defaults.
    const shown = await waitForResult(page, DEFAULT_RECIPE_TEXT);
    expect(shown.accuracy).toMatch(/^\d{1,3}\.\d\d %$/);
    await expect(page.getByTestId('model-picker')).toHaveValue('lenet5');
    // Link text is only ever text: no element was injected and no handler ran.
    await expect(page.locator('#root img')).toHaveCount(0);
    expect(
      await page.evaluate(() => (window as { __injected?: number }).__injected),
    ).toBeUndefined();
    await page.screenshot({ path: testInfo.outputPath('bad-link.png') });
  });
}

test('a bad link pasted later keeps the current settings and says why', async ({ page }) => {
  await openLab(page, 'v=1&model=lenet5&seed=1&steps=&backend=wasm');
  await waitForResult(page, DEFAULT_RECIPE_TEXT);
  await page.evaluate(() => {
    window.location.hash = 'v=1&model=lenet5&seed=-4';
  });
  await expect(page.getByTestId('link-error')).toContainText('seed');
  await expect(page.getByTestId('seed-field')).toHaveValue('1');
  // The address bar goes back to the link of what the page shows.
  await expect(page).toHaveURL(/#v=1&model=lenet5&seed=1&steps=&backend=wasm$/);
  await page.getByRole('button', { name: 'Dismiss' }).click();
  await expect(page.getByTestId('link-error')).toHaveCount(0);

  // A good link pasted into the address bar is applied.
  await page.evaluate(() => {
    window.location.hash = 'v=1&model=lenet5&seed=1&steps=prune(fraction=0.3)&backend=wasm';
  });
  await waitForResult(page, 'v=1&model=lenet5&seed=1&steps=prune(fraction=0.3)');
  await expect(page.getByTestId('step-0-fraction-value')).toHaveText('30 %');
});
