import { expect, test } from './fixtures.ts';
import { openLab, waitForResult } from './lab-page.ts';
import { keepScreenshot } from './reference.ts';

test('an XNOR-Net lenet5 runs in the page: binary layers in the layer table, on the XNOR kernel', async ({
  page,
}, testInfo) => {
  test.setTimeout(180_000);
  const recipe =
    'v=2&model=lenet5&seed=1&steps=xnor(targets=*:1,keepFirst=true,keepLast=true,batchNorm=true,activations=1,prelu=false,scale=false,bipolar=0,lowLr=false,epochs=1,lr=0.001,decay=1,optimizer=adam,batch=64,batches=3,dropout=0,l2=0,layers=all,augment=true)';
  await openLab(page, `${recipe}&backend=wasm`);
  await waitForResult(page, recipe, 120_000);

  const row = (layer: string) => page.locator(`[data-testid="layer-row"][data-layer="${layer}"]`);
  const classOf = (layer: string) => row(layer).locator('td').nth(1);
  // The first and last layers stay float; a batch norm before each binary layer.
  await expect(classOf('conv1')).toHaveText('Conv2D');
  await expect(classOf('conv2_bn')).toHaveText('BatchNormalization');
  await expect(classOf('conv2')).toHaveText('BinaryConv2D');
  await expect(classOf('fc1_bn')).toHaveText('BatchNormalization');
  await expect(classOf('fc1')).toHaveText('BinaryDense');
  await expect(classOf('fc2')).toHaveText('Dense');
  // Latency was measured on the bit-packed XNOR/popcount kernel for the binary layers.
  await expect(row('conv2').getByTestId('layer-kernel')).toHaveText('xnor-wasm');
  await expect(row('fc1').getByTestId('layer-kernel')).toHaveText('xnor-wasm');
  await expect(row('conv1').getByTestId('layer-kernel')).not.toHaveText(/xnor/);
  await expect(row('conv2').getByTestId('layer-kernel-shape')).toHaveText('5×5×20×50');

  const accuracy = await page.evaluate(
    () => window.__complab!.getState().runs.at(-1)!.result.accuracy,
  );
  expect(accuracy).toBeGreaterThan(0.5); // three batches of training: far from chance already
  await page.getByTestId('layer-table').scrollIntoViewIfNeeded();
  await keepScreenshot(page, testInfo.outputPath('binary.png'), { fullPage: true });
});
