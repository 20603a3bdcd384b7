/**
 * The guided tours as a teacher's class walks them: a tour link opens a step, the step's recipe
 * runs, its numbers appear beside the paper's, and Next / Back are links to the other steps.
 * The trained steps of the real tours take minutes on two cores, so the XNOR-Net walk waits for
 * the float step's numbers only and reads the other steps' texts, and the Deep Compression walk
 * runs each step's recipe with a reduced training budget (the page then says the recipe differs
 * from the step's).
 */
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import { DEFAULT_RECIPE_TEXT, historyRows, openLab, pasteLink, waitForResult } from './lab-page.ts';
import { keepScreenshot } from './reference.ts';

const FLOAT_LENET5 = 'v=1&model=lenet5&seed=1&steps=';

/** The hash once the page has written the step's whole state into it. */
async function expectHashHas(page: Page, part: string) {
  await expect
    .poll(() => page.evaluate(() => decodeURIComponent(window.location.hash)))
    .toContain(part);
}

test('walking the XNOR-Net tour by its links, step by step', async ({ page }, testInfo) => {
  await openLab(page, 'tour=xnor-net&step=1');
  const panel = page.getByTestId('tour-panel');
  await expect(panel.getByTestId('tour-step-count')).toHaveText('Step 1 of 4');
  await expect(panel.getByRole('heading', { name: 'The float network' })).toBeVisible();
  // The float step runs at once: its numbers appear in the panel.
  await waitForResult(page, FLOAT_LENET5);
  const numbers = panel.getByTestId('tour-numbers');
  await expect(numbers.getByTestId('tour-accuracy')).toContainText(/\d+\.\d\d %/);
  await expect(numbers.getByTestId('tour-ratio')).toContainText('1.00×');
  await expect(numbers.getByTestId('tour-latency')).toHaveAttribute('data-highlight', 'true');
  await expect(panel.getByTestId('tour-paper')).toContainText('Bits per weight');
  await expectHashHas(page, 'tour=xnor-net&step=1');
  await keepScreenshot(page, testInfo.outputPath('tour-xnor-step1.png'), { fullPage: true });
  await keepScreenshot(panel, testInfo.outputPath('tour-xnor-step1-panel.png'));

  // Next is a real link to step 2: the recipe changes to BinaryConnect and starts running.
  const next = panel.getByTestId('tour-next');
  await expect(next).toHaveAttribute('href', '#v=1&tour=xnor-net&step=2');
  await next.click();
  await expect(panel.getByTestId('tour-step-count')).toHaveText('Step 2 of 4');
  await expect(
    panel.getByRole('heading', { name: 'BinaryConnect: one bit a weight' }),
  ).toBeVisible();
  await expect(panel.getByTestId('tour-explanation')).toContainText('straight through');
  await expect(panel.getByTestId('tour-waiting')).toContainText('Running this step now');
  await expect(page.getByTestId('step-0')).toHaveAttribute('data-technique', 'binaryconnect');
  // The float step's numbers stay in the tour's table.
  await expect(
    panel.getByTestId('tour-progress').getByRole('row', { name: /The float network/ }),
  ).toContainText('1.00×');
  await keepScreenshot(page, testInfo.outputPath('tour-xnor-step2.png'), { fullPage: true });

  await panel.getByTestId('tour-next').click();
  await expect(panel.getByTestId('tour-step-count')).toHaveText('Step 3 of 4');
  await expect(panel.getByTestId('tour-explanation')).toContainText('alpha = mean |W|');
  await expect(panel.getByTestId('tour-paper')).toContainText('32x for binary weights');
  await expectHashHas(page, 'binaryconnect(targets=*:1,keepFirst=true,keepLast=true,scale=filter');

  await panel.getByTestId('tour-next').click();
  await expect(panel.getByTestId('tour-step-count')).toHaveText('Step 4 of 4');
  await expect(panel.getByRole('heading', { name: 'Binary inputs with K' })).toBeVisible();
  await expect(panel.getByTestId('tour-explanation')).toContainText('XNOR of bit-packed words');
  await expect(panel.getByTestId('tour-paper')).toContainText('58x fewer high-precision');
  await expect(panel.getByTestId('tour-next')).toHaveCount(0);
  await expect(panel).toContainText('The end of the tour.');
  await keepScreenshot(page, testInfo.outputPath('tour-xnor-step4.png'), { fullPage: true });

  await panel.getByTestId('tour-back').click();
  await expect(panel.getByTestId('tour-step-count')).toHaveText('Step 3 of 4');

  // Leaving the tour keeps the recipe on screen and drops tour= from the link.
  await panel.getByRole('button', { name: 'Leave the tour' }).click();
  await expect(page.getByTestId('tour-panel')).toHaveCount(0);
  await expectHashHas(page, 'scale=filter');
  await expect.poll(() => page.evaluate(() => window.location.hash)).not.toContain('tour=');
});

/** The tour's recipe for lenet300 at a reduced budget: a couple of batches per training. */
const QUICK_PRUNE =
  'iterative-prune(density=fc1:0.077|fc2:0.09|fc3:0.26,rounds=2,epochs=1,batches=2,lr=0.001,decay=0.8);' +
  'finetune(epochs=1,batches=2,lr=0.0003,augment=false);index-bits(conv=8,dense=5)';
const QUICK_SHARE = `${QUICK_PRUNE};kmeans(bits=fc1:2|fc2:4|fc3:4,init=linear,biases=true);finetune(epochs=1,batches=2,lr=0.0003,augment=false)`;
const QUICK_HUFFMAN = `${QUICK_SHARE};huffman()`;

/** The ratio a stage row of the tour's Figure 1 table shows for this run, as a number. */
async function stageRatio(page: Page, stage: string): Promise<number> {
  const cell = page.getByTestId(`tour-stage-${stage}`).getByRole('cell').first();
  await expect(cell).toHaveText(/\d/);
  return Number((await cell.textContent())!.replace('×', ''));
}

test('the Deep Compression tour shows the ratio after each stage beside Figure 1', async ({
  page,
}, testInfo) => {
  test.setTimeout(240_000);
  const open = (step: number, steps: string) =>
    pasteLink(page, `tour=deep-compression&step=${step}&model=lenet300&steps=${steps}`);
  await openLab(page, `tour=deep-compression&step=1&model=lenet300&steps=${QUICK_PRUNE}`);
  const panel = page.getByTestId('tour-panel');
  await expect(panel.getByTestId('tour-step-count')).toHaveText('Step 1 of 3');
  await expect(panel.getByTestId('tour-changed')).toContainText('You changed this step’s recipe');
  await expect(panel.getByTestId('tour-numbers')).toBeVisible({ timeout: 120_000 });
  const pruning = await stageRatio(page, 'pruning');
  // 7.9% of the weights kept, each with its value and a 5-bit index: about 10x (the paper 12x).
  expect(pruning).toBeGreaterThan(8);
  expect(pruning).toBeLessThan(14);
  await expect(page.getByTestId('tour-stage-pruning').getByRole('cell').nth(1)).toHaveText('12×');
  await keepScreenshot(page, testInfo.outputPath('tour-dc-step1.png'), { fullPage: true });

  await open(2, QUICK_SHARE);
  await expect(panel.getByTestId('tour-step-count')).toHaveText('Step 2 of 3');
  await expect(page.getByTestId('tour-stage-quantization').getByRole('cell').first()).toHaveText(
    /\d/,
    { timeout: 120_000 },
  );
  const quantization = await stageRatio(page, 'quantization');
  expect(quantization).toBeGreaterThan(pruning * 3);
  await expect(page.getByTestId('tour-stage-quantization').getByRole('cell').nth(1)).toHaveText(
    '32×',
  );

  await open(3, QUICK_HUFFMAN);
  await expect(panel.getByTestId('tour-step-count')).toHaveText('Step 3 of 3');
  await expect(page.getByTestId('tour-stage-huffman').getByRole('cell').first()).toHaveText(/\d/, {
    timeout: 120_000,
  });
  // Huffman codes the same weights in fewer bits: never larger, accuracy unchanged.
  expect(await stageRatio(page, 'huffman')).toBeGreaterThanOrEqual(quantization);
  await expect(page.getByTestId('tour-stage-huffman').getByRole('cell').nth(1)).toHaveText('40×');
  await keepScreenshot(page, testInfo.outputPath('tour-dc-step3.png'), { fullPage: true });
});

test('a tour link with an unknown tour or step says so and keeps what was there', async ({
  page,
}) => {
  await openLab(page, 'tour=nonsense&step=1');
  const banner = page.getByTestId('link-error');
  await expect(banner).toContainText(
    'could not be read, so the lab opened with its defaults: there is no tour "nonsense" (known: deep-compression, xnor-net)',
  );
  await expect(page.getByTestId('tour-panel')).toHaveCount(0);
  await waitForResult(page, DEFAULT_RECIPE_TEXT);
  await expect(historyRows(page)).toHaveCount(1);

  // From a page with a result: a step out of range changes nothing, the history stays.
  await pasteLink(page, 'tour=xnor-net&step=9');
  await expect(banner).toContainText(
    'could not be read, so nothing changed: the tour "xnor-net" has steps 1 to 4 (got 9)',
  );
  await expect(historyRows(page)).toHaveCount(1);
  await expect(page.getByTestId('result')).toHaveAttribute('data-recipe', DEFAULT_RECIPE_TEXT);
  await expect
    .poll(() => page.evaluate(() => window.location.hash))
    .toBe(`#${DEFAULT_RECIPE_TEXT}`);
});

test('hide= strips controls on every step of a tour', async ({ page }) => {
  await openLab(page, 'tour=xnor-net&step=1&hide=model,seed,backend');
  const panel = page.getByTestId('tour-panel');
  await expect(panel.getByTestId('tour-step-count')).toHaveText('Step 1 of 4');
  await expect(page.getByLabel('Model', { exact: true })).toHaveCount(0);
  await expect(panel.getByTestId('tour-next')).toHaveAttribute(
    'href',
    '#v=1&hide=model,seed,backend&tour=xnor-net&step=2',
  );
  await panel.getByTestId('tour-next').click();
  await expect(panel.getByTestId('tour-step-count')).toHaveText('Step 2 of 4');
  await expect(page.getByLabel('Model', { exact: true })).toHaveCount(0);
  await expectHashHas(page, 'hide=model,seed,backend&tour=xnor-net&step=2');
});
