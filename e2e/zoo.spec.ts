import { expect, test } from './fixtures.ts';
import { LENET5_LINK_TEXT, openLab, waitForResult } from './lab-page.ts';
import { keepScreenshot } from './reference.ts';

test('a compact design from the grouped picker, pruned, on the comparison plot', async ({
  page,
}, testInfo) => {
  await openLab(page, `${LENET5_LINK_TEXT}&backend=wasm`);
  await waitForResult(page, LENET5_LINK_TEXT);

  const picker = page.getByTestId('model-picker');
  await expect(picker.locator('optgroup')).toHaveCount(2);
  await expect(picker.locator('optgroup[label="classic"] option')).toHaveText([
    'LeNet-300-100',
    'LeNet-5 (Caffe)',
  ]);
  await expect(picker.locator('optgroup[label="compact designs"] option')).toHaveCount(4);

  await picker.selectOption('squeezenet');
  await expect(page.getByTestId('model-description')).toContainText('Fire modules');
  await waitForResult(page, 'v=2&model=squeezenet&seed=1&steps=');
  await page.getByTestId('step-0-fraction').fill('0.5');
  const pruned = 'v=2&model=squeezenet&seed=1&steps=prune(fraction=0.5)';
  await waitForResult(page, pruned);

  // Branches in the layer table: the concatenation names both expand convs as its inputs.
  const concat = page.locator('[data-testid="layer-row"][data-layer="fire2_concat"]');
  await expect(concat.getByTestId('layer-inputs')).toHaveText(
    'fire2_expand1x1_relu, fire2_expand3x3_relu',
  );

  // Every shipped model's baseline, and the pruned squeezenet run, on one plot.
  const comparison = page.getByTestId('model-comparison');
  await comparison.scrollIntoViewIfNeeded();
  await expect(comparison).toHaveAttribute('data-models', '6');
  await expect(comparison).toHaveAttribute('data-runs', '1');
  await expect(comparison.locator('.legend-item')).toHaveCount(6);
  await expect(comparison.locator('.recharts-scatter-symbol')).toHaveCount(7);
  await keepScreenshot(comparison, testInfo.outputPath('zoo-comparison.png'));
  await keepScreenshot(page, testInfo.outputPath('zoo-page.png'), { fullPage: true });
});
