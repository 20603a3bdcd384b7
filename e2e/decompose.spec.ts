import { expect, test } from './fixtures.ts';
import { historyRows, openLab, pasteLink, waitForResult, waitForRunError } from './lab-page.ts';
import { cliResult, keepScreenshot } from './reference.ts';
import type { DecompositionReport } from '../src/engine/techniques/decompose/common.ts';

/** The smallest rank that keeps `energy` of the squared singular values (counted here). */
function rankByEnergy(values: readonly number[], energy: number): number {
  const total = values.reduce((sum, v) => sum + v * v, 0);
  let kept = 0;
  for (const [i, v] of values.entries()) {
    kept += v * v;
    if (kept >= energy * total) return i + 1;
  }
  return values.length;
}

test('an SVD step added in the page shows its spectrum, ranks, warnings and the factor layers', async ({
  page,
}, testInfo) => {
  const baseline = 'v=2&model=lenet300&seed=1&steps=';
  await openLab(page, `${baseline}&backend=wasm`);
  await waitForResult(page, baseline);

  // Added from the Decomposition group with its defaults: 90% energy in each hidden dense layer.
  const picker = page.getByTestId('add-step-picker');
  await expect(picker.locator('optgroup[label="Decomposition"] option')).toHaveText([
    'Low-rank SVD (dense layers)',
    'Tucker-2 (conv layers)',
    'Force regularization',
  ]);
  await picker.selectOption('svd');
  await page.getByTestId('add-step').click();
  const svd = 'v=2&model=lenet300&seed=1&steps=svd(energy=*:0.9,rank=*:0)';
  const reference = cliResult(svd); // the CLI in Node, meanwhile
  await waitForResult(page, svd);
  // The ranks: 90 % of the energy of the spectra the CLI's run reports, counted here.
  const spectra = ((await reference).steps[0].report as unknown as DecompositionReport)
    .decomposition;
  const expectedRank = (layer: string) =>
    rankByEnergy(spectra.find((d) => d.name === layer)!.spectra[0].values, 0.9);

  // The spectrum of fc1 (784x300: 300 singular values), its rank marked.
  const report = page.getByTestId('decomposition-report');
  await expect(report.getByTestId('spectrum-plot')).toHaveAttribute('data-layer', 'fc1');
  await expect(report.locator('.recharts-line')).toHaveCount(1);
  await expect(report.locator('.recharts-reference-line')).toHaveCount(1);
  const rows = report.getByTestId('decomposition-table').locator('tbody tr');
  await expect(rows).toHaveCount(2);
  const rank = expectedRank('fc1');
  await expect(rows.first().getByTestId('decomposition-rank')).toHaveText(
    `${rank} (by energy kept)`,
  );
  await expect(rows.nth(1).getByTestId('decomposition-rank')).toHaveText(
    `${expectedRank('fc2')} (by energy kept)`,
  );

  // The layer table lists the factor layers that now execute in fc1's place.
  const fc1u = page.locator('[data-testid="layer-row"][data-layer="fc1_u"]');
  const fc1v = page.locator('[data-testid="layer-row"][data-layer="fc1_v"]');
  await expect(fc1u.getByTestId('layer-kernel-shape')).toHaveText(`784×${rank}`);
  await expect(fc1v.getByTestId('layer-kernel-shape')).toHaveText(`${rank}×300`);
  await expect(page.locator('[data-testid="layer-row"][data-layer="fc1"]')).toHaveCount(0);
  await report.getByTestId('decomposition-layer').selectOption('fc2');
  await expect(report.getByTestId('spectrum-plot')).toHaveAttribute('data-layer', 'fc2');
  await report.scrollIntoViewIfNeeded();
  await keepScreenshot(page, testInfo.outputPath('decompose.png'), { fullPage: true });

  // A rank that makes fc1 bigger is allowed, with the warning beside the result.
  const bigger = 'v=2&model=lenet300&seed=1&steps=svd(energy=*:1,rank=fc1:300)';
  await openLab(page, `${bigger}&backend=wasm`);
  await waitForResult(page, bigger);
  await expect(page.getByTestId('decomposition-warning')).toHaveText(
    /svd: fc1 has 325500 weights after decomposition, more than its 235500 before/,
  );
  await page.getByTestId('decomposition-report').scrollIntoViewIfNeeded();
  await keepScreenshot(page, testInfo.outputPath('decompose-warning.png'));

  // A rank fc1 cannot take: the message names the step, the last good result and history stay.
  const historyCount = await historyRows(page).count();
  await pasteLink(
    page,
    'v=2&model=lenet300&seed=1&steps=svd(energy=*:1,rank=fc1:301)&backend=wasm',
  );
  const message = await waitForRunError(page);
  expect(message).toContain('Step 1 (svd)');
  expect(message).toContain('the rank of fc1 must be between 1 and 300 (got 301)');
  await expect(page.getByTestId('result')).toHaveAttribute('data-recipe', bigger);
  await expect(historyRows(page)).toHaveCount(historyCount);
});

test('a force step shows each layer’s spectrum before and after, then the decomposition', async ({
  page,
}, testInfo) => {
  const recipe =
    'v=2&model=lenet300&seed=1&steps=force(strength=*:0|fc1:0.00001|fc2:0.0001,type=constant,epochs=1,lr=0.0003,decay=1,optimizer=adam,batch=64,batches=5,dropout=0,l2=0,layers=all,augment=true);svd(energy=*:1,rank=fc1:32)';
  await openLab(page, `${recipe}&backend=wasm`);
  await waitForResult(page, recipe);
  const force = page.getByTestId('force-report');
  await expect(force.getByTestId('force-spectrum').locator('.recharts-line')).toHaveCount(2);
  await expect(force).toContainText(/95% of it now takes rank \d+ instead of \d+/);
  // Accuracy at ranks 2 to 64 for fc1 (300 units), without and with the force.
  await expect(force.getByTestId('force-accuracy').locator('.recharts-line')).toHaveCount(2);
  await expect(
    force.getByTestId('force-accuracy').locator('.recharts-line-dots circle'),
  ).toHaveCount(12);
  await force.getByTestId('decomposition-layer').selectOption('fc2');
  await expect(force.getByTestId('force-accuracy')).toHaveAttribute('data-layer', 'fc2');
  await expect(
    page.getByTestId('decomposition-report').getByTestId('decomposition-rank'),
  ).toHaveText('32 (given)');
  await force.scrollIntoViewIfNeeded();
  await keepScreenshot(page, testInfo.outputPath('force.png'));
});
