import { statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from './fixtures.ts';
import { historyRows, openLab, waitForResult } from './lab-page.ts';
import { keepScreenshot } from './reference.ts';

/** The stored bytes of a data set's split, read from the built files here, in MB as the page writes them. */
function storedMb(data: string, split: 'test' | 'train'): string {
  const bytes = ['images', 'labels']
    .map((kind) => statSync(join('public', 'data', data, `${split}-${kind}.u8.gz`)).size)
    .reduce((a, b) => a + b, 0);
  return `${(bytes / 1e6).toFixed(2)} MB`;
}

test('the data set picker: Fashion-MNIST runs, goes into the link, and the result reads the paired comparison', async ({
  page,
}, testInfo) => {
  // LeNet-300-100 is the quickest model trained on every data set.
  const mnist = 'v=2&model=lenet300&data=mnist&seed=1&steps=';
  await openLab(page, `${mnist}&backend=wasm`);
  await waitForResult(page, mnist);
  const picker = page.getByTestId('data-picker');
  await expect(picker).toHaveValue('mnist');
  // Every data set this build knows, with its test split's size.
  await expect(picker.locator('option')).toHaveText([
    'MNIST · 10,000 test images',
    'Fashion-MNIST · 10,000 test images',
    'MNIST, 10,000 digits (the lab before data sets) · 2,000 test images',
  ]);
  await expect(page.getByTestId('data-download')).toContainText(
    `Downloads ${storedMb('mnist', 'test')} of test images before its first run, and ${storedMb('mnist', 'train')} of training images once a step trains.`,
  );
  // A model with no weights trained on MNIST is shown but cannot be picked.
  const nin = page.getByTestId('model-picker').locator('option[value="nin"]');
  await expect(nin).toBeDisabled();
  await expect(nin).toContainText('(not trained on MNIST)');

  await picker.selectOption('fashion-mnist');
  const fashion = 'v=2&model=lenet300&data=fashion-mnist&seed=1&steps=';
  await waitForResult(page, fashion, 120_000);
  await expect(page).toHaveURL(
    /#v=2&model=lenet300&data=fashion-mnist&seed=1&steps=&backend=wasm$/,
  );
  await expect(page.getByTestId('data-download')).toContainText(
    `Downloads ${storedMb('fashion-mnist', 'test')} of test images`,
  );
  await expect(page.getByTestId('result-data')).toHaveText('Fashion-MNIST');
  // The baseline against itself: nothing lost, nothing gained.
  await expect(page.getByTestId('paired')).toHaveText('0.00 pt (0 lost, 0 gained; p = 1)');

  // The steps stay when the data set changes; a pruned network reads its paired comparison.
  await page.getByTestId('step-0-fraction').fill('0.95');
  const pruned = 'v=2&model=lenet300&data=fashion-mnist&seed=1&steps=prune(fraction=0.95)';
  await waitForResult(page, pruned, 120_000);
  const run = await page.evaluate(() => {
    const { total, paired } = window.__complab!.getState().runs.at(-1)!.result;
    return { total, paired };
  });
  expect(run.total).toBe(10_000);
  const { lost, gained, pValue } = run.paired!;
  expect(lost + gained).toBeGreaterThan(0);
  // Points from the counts, by hand: each of 10,000 images is 0.01 pt.
  const points = (gained - lost) / 100;
  const sign = points > 0 ? '+' : points < 0 ? '-' : '';
  const paired = page.getByTestId('paired');
  await expect(paired).toContainText(
    `${sign}${Math.abs(points).toFixed(2)} pt (${lost.toLocaleString('en-US')} lost, ${gained.toLocaleString('en-US')} gained; p `,
  );
  expect(pValue).toBeGreaterThanOrEqual(0);
  await expect(historyRows(page).first().getByTestId('history-data')).toHaveText('fashion-mnist');
  await expect(historyRows(page).last().getByTestId('history-data')).toHaveText('mnist');

  // The compare view: the pruned run against the baseline on the same images reads the same
  // paired comparison; against the MNIST run there is none, and it says why.
  const pairedText = (await paired.textContent()) ?? '';
  await historyRows(page).nth(0).getByTestId('compare-pick').check();
  await historyRows(page).nth(1).getByTestId('compare-pick').check();
  await expect(page.getByTestId('compare-paired')).toHaveText(
    `Run 3 against run 2 on the same 10,000 test images: ${pairedText}.`,
  );
  await historyRows(page).nth(1).getByTestId('compare-pick').uncheck();
  await historyRows(page).nth(2).getByTestId('compare-pick').check();
  await expect(page.getByTestId('compare-paired')).toHaveText(
    'No paired comparison: run 1 measured on MNIST and run 3 on Fashion-MNIST, different test images.',
  );

  // Back on MNIST with the same steps.
  await picker.selectOption('mnist');
  await waitForResult(
    page,
    'v=2&model=lenet300&data=mnist&seed=1&steps=prune(fraction=0.95)',
    120_000,
  );
  await picker.selectOption('fashion-mnist');
  await waitForResult(page, pruned, 120_000);
  await page.evaluate(() => window.scrollTo(0, 0));
  await keepScreenshot(page, testInfo.outputPath('data-picker.png'));
});

test('a link can hide the data set picker', async ({ page }) => {
  const link = 'v=2&model=lenet300&data=fashion-mnist&seed=1&steps=';
  await openLab(page, `${link}&backend=wasm&hide=data`);
  await waitForResult(page, link, 120_000);
  await expect(page.getByTestId('data-picker')).toHaveCount(0);
  await expect(page.getByTestId('model-picker')).toBeVisible();
});
