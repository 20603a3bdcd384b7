import { expect, test } from './fixtures.ts';
import { openLab, waitForResult } from './lab-page.ts';
import { keepScreenshot } from './reference.ts';

test('a share link reproduces the numbers in a fresh browser context', async ({
  page,
  freshContext,
}, testInfo) => {
  await openLab(page, 'v=2&model=lenet5&seed=1&steps=&backend=wasm');
  await page.getByTestId('step-0-fraction').fill('0.8');
  const recipe = 'v=2&model=lenet5&seed=1&steps=prune(fraction=0.8)';
  const first = await waitForResult(page, recipe);

  // The page is served from 127.0.0.1 (a secure context), where the clipboard works once the
  // browser grants it: the copy must succeed, and the clipboard must hold the link.
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.getByTestId('copy-share-link').click();
  await expect(page.getByTestId('copy-status')).toHaveText('Copied to the clipboard.');
  const link = await page.getByTestId('share-link').inputValue();
  expect(new URL(link).hash).toBe(
    '#v=2&model=lenet5&seed=1&steps=prune(fraction=0.8)&backend=wasm',
  );
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);

  const other = await freshContext.newPage();
  await other.goto(link);
  const second = await waitForResult(other, recipe);
  expect(second).toEqual(first);
  await expect(other.getByTestId('step-0-fraction-value')).toHaveText('80 %');
  await expect(other.getByTestId('link-error')).toHaveCount(0);
  await keepScreenshot(other, testInfo.outputPath('shared.png'), { fullPage: true });
});
