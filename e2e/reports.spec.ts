import { expect, test } from './fixtures.ts';
import { openLab, waitForResult } from './lab-page.ts';
import { cliResult, keepScreenshot } from './reference.ts';

test('sensitivity curves, SSL group norms, histograms and a mask picture', async ({
  page,
}, testInfo) => {
  const recipe =
    'v=2&model=lenet300&seed=1&steps=prune-auto(drop=1);ssl(filters=0,channels=0,shapes=0,neurons=0.05,threshold=0.5,epochs=1,lr=0.001,decay=1,optimizer=adam,batch=64,batches=30,dropout=0,l2=0,layers=all,augment=true)';
  const reference = cliResult(recipe); // the CLI in Node, meanwhile
  await openLab(page, `${recipe}&backend=wasm`);
  await waitForResult(page, recipe);
  const cli = await reference;
  const chosen = cli.steps[0].report!.density as Record<string, number>;
  const ssl = cli.steps[1].report as unknown as {
    removed: Record<string, number>;
    channelsAfter: Record<string, number>;
  };
  const cliFc1 = cli.layers.find((l) => l.name === 'fc1')!;

  // prune-auto: one accuracy-vs-density curve per layer, and the densities it chose.
  const sensitivity = page.getByTestId('sensitivity-report');
  await expect(sensitivity.locator('.recharts-line')).toHaveCount(3);
  await expect(sensitivity.locator('.recharts-legend-item')).toHaveText(['fc1', 'fc2', 'fc3']);
  await expect(page.getByTestId('sensitivity-chosen')).toContainText(
    `Chosen: ${Object.entries(chosen)
      .map(([layer, d]) => `${layer} keeps ${(d * 100).toFixed(1)} %`)
      .join(', ')} (`,
  );

  // SSL: one line per unit over training (fc1 has 300: one in 5 drawn), units before and after,
  // and the smaller layers in the layer table.
  const sslReport = page.getByTestId('ssl-report');
  await expect(sslReport.locator('.recharts-line')).toHaveCount(60);
  await page.getByTestId('ssl-layer').selectOption('fc2');
  await expect(sslReport.locator('.recharts-line')).toHaveCount(50);
  const channels = page.getByTestId('ssl-channels').locator('tbody tr');
  await expect(channels).toHaveCount(3);
  const fc1 = (await channels.first().locator('td').allTextContents()).map((t) => t.trim());
  const after = fc1[2];
  // The units the CLI's run of the same recipe removed.
  expect(fc1).toEqual(['fc1', '300', String(ssl.channelsAfter.fc1), String(ssl.removed.fc1)]);
  expect(ssl.channelsAfter.fc1).toBe(300 - ssl.removed.fc1);
  const fc1Row = page.locator('[data-testid="layer-row"][data-layer="fc1"]');
  await expect(fc1Row.getByTestId('layer-output-shape')).toHaveText(`300 → ${after}`);
  await expect(fc1Row.getByTestId('layer-kernel-shape')).toHaveText(`784×300 → 784×${after}`);

  // Pictures of a layer: histograms before and after, and the mask as an image.
  const pictures = page.getByTestId('layer-pictures');
  await pictures.scrollIntoViewIfNeeded();
  // The kernel's nonzero weights (the CLI's count): its biases (one per unit left, none of them
  // zero) are not drawn.
  const kernelNonzero = cliFc1.nonzeroParams - Number(after);
  await expect(page.getByTestId('histogram-before')).toHaveAttribute('data-count', '235200');
  await expect(page.getByTestId('histogram-after')).toHaveAttribute(
    'data-count',
    String(kernelNonzero),
  );
  const mask = page.getByTestId('mask-picture');
  await expect(mask).toHaveAttribute('data-layer', 'fc1');
  const density = Number(await mask.getAttribute('data-density'));
  expect(density).toBeCloseTo(kernelNonzero / (784 * Number(after)), 4);
  // The canvas really holds the picture: kept pixels are darker than pruned ones.
  const shades = await mask.evaluate((canvas: HTMLCanvasElement) => {
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let white = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] === 255) white++;
    return { white, pixels: data.length / 4 };
  });
  expect(shades.white).toBeGreaterThan(0);
  expect(shades.white).toBeLessThan(shades.pixels);
  await page.getByTestId('picture-layer').selectOption('fc3');
  await expect(mask).toHaveAttribute('data-layer', 'fc3');
  await keepScreenshot(page, testInfo.outputPath('reports.png'), { fullPage: true });
});
