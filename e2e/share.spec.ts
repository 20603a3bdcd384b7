import { expect, test } from '@playwright/test';
import { openLab, waitForResult } from './lab-page.ts';

test('a share link reproduces the numbers in a fresh browser context', async ({
  page,
  browser,
}, testInfo) => {
  await openLab(page, 'v=1&model=lenet5&seed=1&steps=&backend=wasm');
  await page.getByTestId('step-0-fraction').fill('0.8');
  const recipe = 'v=1&model=lenet5&seed=1&steps=prune(fraction=0.8)';
  const first = await waitForResult(page, recipe);

  await page.getByTestId('copy-share-link').click();
  // Either the clipboard took it or the page says to copy the field by hand.
  await expect(page.getByTestId('copy-status')).not.toBeEmpty();
  const link = await page.getByTestId('share-link').inputValue();
  expect(link).toContain('#v=1&model=lenet5&seed=1&steps=prune(fraction=0.8)&backend=wasm');

  const fresh = await browser.newContext();
  try {
    const other = await fresh.newPage();
    await other.goto(link);
    const second = await waitForResult(other, recipe);
    expect(second).toEqual(first);
    await expect(other.getByTestId('step-0-fraction-value')).toHaveText('80 %');
    await expect(other.getByTestId('link-error')).toHaveCount(0);
    await other.screenshot({ path: testInfo.outputPath('shared.png'), fullPage: true });
  } finally {
    await fresh.close();
  }
});
