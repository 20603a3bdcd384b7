import { expect, test } from './fixtures.ts';
import { openLab, pasteLink, waitForResult, waitForRunError } from './lab-page.ts';
import { cliResult, keepScreenshot } from './reference.ts';

const steps = (bits: string) =>
  `v=2&model=lenet300&seed=1&steps=prune-density(density=fc1:0.08|fc2:0.09|fc3:0.26);kmeans(bits=${bits},init=linear,biases=false);finetune(epochs=1,lr=0.0001,decay=1,optimizer=adam,batch=64,batches=20,dropout=0,l2=0,layers=all,augment=false);huffman()`;

test('the quantization panel: codebook on the histogram, bytes per layer, ratio per stage', async ({
  page,
}, testInfo) => {
  test.setTimeout(240_000);
  const recipe = steps('*:4');
  const reference = cliResult(recipe); // the CLI in Node, meanwhile
  await openLab(page, `${recipe}&backend=wasm`);
  await waitForResult(page, recipe, 120_000);
  const cli = await reference;
  const cliLevels = (layer: string) =>
    cli.layers.find((l) => l.name === layer)!.storage!.codebook!.length;

  const panel = page.getByTestId('quantization-panel');
  await panel.scrollIntoViewIfNeeded();
  const fc1 = await page.evaluate(() =>
    window
      .__complab!.getState()
      .runs.at(-1)!
      .result.layers.find((l) => l.name === 'fc1')!,
  );
  // fc1 shares at most 2^4 values (as many as the CLI's run of the recipe found); each is drawn
  // as a line on its histogram.
  const levels = cliLevels('fc1');
  expect(levels).toBeLessThanOrEqual(16);
  expect(fc1.storage!.codebook!.length).toBe(levels);
  await expect(page.getByTestId('quant-histogram')).toHaveAttribute('data-levels', String(levels));
  await expect(page.getByTestId('quant-histogram').locator('.recharts-reference-line')).toHaveCount(
    levels,
  );
  await expect(page.getByTestId('quant-summary')).toContainText(
    '4-bit indices into a shared codebook, Huffman-coded',
  );
  await page.getByTestId('codebook').locator('summary').click();
  await expect(page.getByTestId('codebook').locator('li')).toHaveCount(levels);
  // One stacked bar per layer, five kinds of bytes.
  await expect(page.getByTestId('quant-bytes').locator('.recharts-bar')).toHaveCount(5);
  // Figure 1: the ratio grows at each stage, and the last is the result's.
  // The CLI's sizes after pruning (step 1), after k-means and fine-tuning (step 3) and after
  // Huffman coding, over the float model's bytes.
  const ratios = await page.getByTestId('quant-stages').locator('li strong').allTextContents();
  const sizes = [cli.steps[0].sizeBytes, cli.steps[2].sizeBytes, cli.sizeBytes];
  expect(ratios).toEqual(sizes.map((b) => `${Number((cli.baselineSizeBytes / b).toFixed(1))}x`));
  const [pruning, quantization, huffman] = ratios.map((r) => Number(r.replace('x', '')));
  expect(quantization).toBeGreaterThan(pruning);
  expect(huffman).toBeGreaterThan(quantization);
  await page.getByTestId('quant-layer').selectOption('fc3');
  await expect(page.getByTestId('quant-summary')).toContainText('fc3:');
  await expect(page.getByTestId('quant-histogram')).toHaveAttribute(
    'data-levels',
    String(cliLevels('fc3')),
  );
  await keepScreenshot(page, testInfo.outputPath('quantize.png'), { fullPage: true });

  // More clusters than a layer has weights: one clear message, the last result kept.
  await pasteLink(page, steps('fc3:11'));
  const message = await waitForRunError(page);
  expect(message).toMatch(/fc3 keeps 260 weights, fewer than the 2048 clusters of 11 bits/);
  await expect(page.getByTestId('result')).toHaveAttribute('data-recipe', recipe);
  await expect(panel).toBeVisible();
});
