import { expect, test } from './fixtures.ts';
import {
  historyRows,
  LENET5_LINK_TEXT,
  openLab,
  pasteLink,
  waitForResult,
  waitForRunError,
} from './lab-page.ts';
import { keepScreenshot } from './reference.ts';

test('steps are added, edited layer by layer, moved and removed', async ({ page }, testInfo) => {
  await openLab(page, `${LENET5_LINK_TEXT}&backend=wasm`);
  await waitForResult(page, LENET5_LINK_TEXT);
  await expect(page.getByTestId('recipe-text')).toHaveText('none (the baseline)');
  await expect(page.getByTestId('step-0')).toHaveAttribute('data-technique', 'prune');
  await expect(page.getByTestId('step-0-skipped')).toBeVisible();

  // The picker groups techniques by family and describes the one chosen.
  const picker = page.getByTestId('add-step-picker');
  await expect(picker.locator('optgroup[label="Pruning"] option')).toHaveCount(7);
  await picker.selectOption('prune-density');
  await expect(page.locator('#add-step-about')).toContainText('keeps exactly the given fraction');
  await page.getByTestId('add-step').click();
  const density = 'v=2&model=lenet5&seed=1&steps=prune-density(density=*:0.1)';
  await waitForResult(page, density);

  // One slider per conv/dense layer of the model, plus the value for the others.
  const card = page.getByTestId('step-1');
  for (const layer of ['other', 'conv1', 'conv2', 'fc1', 'fc2']) {
    await expect(card.getByTestId(`step-1-density-${layer}`)).toBeVisible();
  }
  await expect(card.getByTestId('step-1-density-conv1-value')).toHaveText(
    '10.0 % (as other layers)',
  );
  await card.getByTestId('step-1-density-conv1').fill('0.66');
  await expect(card.getByTestId('step-1-density-conv1-value')).toHaveText('66.0 %');
  const perLayer = 'v=2&model=lenet5&seed=1&steps=prune-density(density=*:0.1|conv1:0.66)';
  await waitForResult(page, perLayer);
  await expect(page.getByTestId('recipe-text')).toHaveText(
    'prune-density(density=*:0.1|conv1:0.66)',
  );
  await keepScreenshot(page, testInfo.outputPath('editor.png'));

  // Global pruning after it; then moved to the front; then the layer-wise step removed.
  await page.getByTestId('step-0-fraction').fill('0.3');
  await waitForResult(
    page,
    'v=2&model=lenet5&seed=1&steps=prune(fraction=0.3);prune-density(density=*:0.1|conv1:0.66)',
  );
  await page.getByRole('button', { name: 'Move step 1, Magnitude pruning (global), down' }).click();
  await expect(page.getByTestId('step-1')).toHaveAttribute('data-technique', 'prune');
  await waitForResult(
    page,
    'v=2&model=lenet5&seed=1&steps=prune-density(density=*:0.1|conv1:0.66);prune(fraction=0.3)',
  );
  await page.getByTestId('step-0-remove').click();
  await waitForResult(page, 'v=2&model=lenet5&seed=1&steps=prune(fraction=0.3)');
  await expect(page.getByTestId('step-1')).toHaveCount(0);
});

test('a link may hide adding steps and the controls of a technique', async ({ page }) => {
  const recipe = 'v=2&model=lenet300&seed=1&steps=prune(fraction=0.5);index-bits(conv=8,dense=5)';
  await openLab(page, `${recipe}&backend=wasm&hide=steps,index-bits,history`);
  await waitForResult(page, recipe);
  await expect(page.getByTestId('add-step')).toHaveCount(0);
  await expect(page.getByTestId('preset-picker')).toHaveCount(0);
  await expect(page.getByTestId('step-0-remove')).toHaveCount(0);
  await expect(page.getByTestId('step-0-fraction')).toBeVisible();
  await expect(page.getByTestId('step-1-conv')).toHaveCount(0);
  await expect(page.getByTestId('step-1')).toContainText('index-bits(conv=8,dense=5)');
  await expect(page.getByTestId('history')).toHaveCount(0);
});

test('a bad per-layer link names the step or the value and loses nothing', async ({
  page,
}, testInfo) => {
  const good = 'v=2&model=lenet5&seed=1&steps=prune(fraction=0.5)';
  await openLab(page, `${good}&backend=wasm`);
  await waitForResult(page, good);

  // A layer the model lacks: the link parses, the step fails and says why.
  await pasteLink(
    page,
    'v=2&model=lenet5&seed=1&steps=prune-density(density=conv9:0.5)&backend=wasm',
  );
  const message = await waitForRunError(page);
  expect(message).toContain('Step 1 (prune-density)');
  expect(message).toContain('no conv or dense layer "conv9" (its layers: conv1, conv2, fc1, fc2)');
  await expect(page.getByTestId('step-0-error')).toContainText('conv9');
  await expect(page.getByTestId('step-0-density-conv9-missing')).toContainText(
    'lenet5 has no conv or dense layer “conv9”',
  );
  await expect(page.getByTestId('result')).toHaveAttribute('data-recipe', good);
  await expect(historyRows(page)).toHaveCount(1);
  await keepScreenshot(page, testInfo.outputPath('bad-layer.png'));

  // A value out of range: the link is refused whole, the page keeps what it had.
  await pasteLink(page, 'v=2&model=lenet5&seed=1&steps=prune-density(density=*:1.5)&backend=wasm');
  await expect(page.getByTestId('link-error')).toContainText(
    'prune-density density for * must be between 0.001 and 1 (got 1.5)',
  );
  await expect(page.getByTestId('recipe-text')).toHaveText('prune-density(density=conv9:0.5)');
  await expect(page).toHaveURL(/steps=prune-density\(density=conv9:0\.5\)&backend=wasm$/);

  // The bad layer is removed from its card, and the step runs.
  await page.getByRole('button', { name: 'Remove it' }).click();
  await expect(page.getByTestId('run-error')).toHaveCount(0);
  await waitForResult(page, 'v=2&model=lenet5&seed=1&steps=prune-density(density=*:0.1)');
  await expect(historyRows(page)).toHaveCount(2);
});

test('a step the model cannot take names the step', async ({ page }) => {
  const good = 'v=2&model=lenet300&seed=1&steps=prune(fraction=0.5)';
  await openLab(page, `${good}&backend=wasm`);
  await waitForResult(page, good);
  await pasteLink(
    page,
    'v=2&model=lenet300&seed=1&steps=ssl(filters=0.005,channels=0,neurons=0.002)&backend=wasm',
  );
  const message = await waitForRunError(page);
  expect(message).toContain('Step 1 (ssl): filter, channel and shape groups need conv layers');
  await expect(page.getByTestId('result')).toHaveAttribute('data-recipe', good);
});

test('a preset from the menu becomes the recipe, and DSD shows each phase', async ({
  page,
}, testInfo) => {
  await openLab(page, 'v=2&model=lenet300&seed=1&steps=&backend=wasm');
  await waitForResult(page, 'v=2&model=lenet300&seed=1&steps=');
  await page.getByTestId('preset-picker').selectOption('dsd');
  const preview = page.getByTestId('preset-steps').locator('li');
  await expect(preview).toHaveCount(4);
  await expect(preview.nth(0)).toHaveText('prune-density(density=*:0.7)');
  await expect(preview.nth(1)).toHaveText(/^finetune\(epochs=6,lr=0\.0001,.*dropout=0\.3,/);
  await expect(preview.nth(2)).toHaveText('redense()');
  await expect(preview.nth(3)).toHaveText(/^finetune\(epochs=4,lr=0\.0001,.*dropout=0\.3,/);
  await page.getByTestId('preset-apply').click();
  for (const [i, technique] of ['prune-density', 'finetune', 'redense', 'finetune'].entries()) {
    await expect(page.getByTestId(`step-${i}`)).toHaveAttribute('data-technique', technique);
  }
  await expect(page.getByTestId('preset-preview')).toHaveCount(0);

  // The preset trains 6 + 4 epochs; shorten both fine-tunings to 10 batches for the test (each
  // edit supersedes the run in flight).
  for (const i of [1, 3]) {
    await page.getByTestId(`step-${i}-epochs`).fill('1');
    await page.getByTestId(`step-${i}`).getByText('Training options').click();
    await page.getByTestId(`step-${i}-batches`).fill('10');
  }
  const short =
    'finetune(epochs=1,lr=0.0001,decay=1,optimizer=adam,batch=64,batches=10,dropout=0.3,l2=0,layers=all,augment=true)';
  await waitForResult(
    page,
    `v=2&model=lenet300&seed=1&steps=prune-density(density=*:0.7);${short};redense();${short}`,
  );
  const rows = page.getByTestId('step-row');
  await expect(rows).toHaveCount(4);
  await expect(rows.nth(2)).toContainText('pruned weights released at zero');
  for (let i = 0; i < 4; i++) await expect(rows.nth(i)).toContainText(/\d+\.\d\d %/);
  await keepScreenshot(page, testInfo.outputPath('dsd.png'), { fullPage: true });
});
