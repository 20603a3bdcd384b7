/**
 * Readable on a projector and by everyone: axe-core finds no serious or critical violation on
 * the main page with a result and on a tour step, the controls work from the keyboard with a
 * visible focus, and the page fits 1280x720 without scrolling sideways.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import { DEFAULT_RECIPE_TEXT, openLab, waitForResult } from './lab-page.ts';
import { keepScreenshot } from './reference.ts';

/** axe's violations of impact serious or critical, one line each (empty when there are none). */
async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help}: ${v.nodes
          .slice(0, 5)
          .map((n) => n.target.join(' '))
          .join(' | ')}`,
    );
}

test('axe: the main page with a result has no serious violations', async ({ page }, testInfo) => {
  await openLab(page, 'v=2&model=lenet5&seed=1&steps=prune(fraction=0.5)');
  await waitForResult(page, 'v=2&model=lenet5&seed=1&steps=prune(fraction=0.5)');
  expect(await seriousViolations(page)).toEqual([]);
  await keepScreenshot(page, testInfo.outputPath('a11y-main.png'), { fullPage: true });
});

test('axe: a tour step has no serious violations', async ({ page }, testInfo) => {
  await openLab(page, 'tour=xnor-net&step=1');
  await waitForResult(page, 'v=1&model=lenet5&seed=1&steps=');
  await expect(page.getByTestId('tour-numbers')).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  await keepScreenshot(page, testInfo.outputPath('a11y-tour.png'), { fullPage: true });
});

test('axe: a quantized result (quantization panel, Figure 1 stages) has no serious violations', async ({
  page,
}, testInfo) => {
  // Deep Compression on lenet300 at a reduced training budget: every panel a quantized model has.
  const recipe =
    'v=2&model=lenet300&seed=1&steps=prune-density(density=fc1:0.08|fc2:0.09|fc3:0.26);' +
    'kmeans(bits=fc1:2|fc2:4|fc3:4,init=linear,biases=true);huffman()';
  await openLab(page, recipe);
  await waitForResult(page, recipe);
  await expect(page.getByTestId('quantization-panel')).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  await keepScreenshot(page, testInfo.outputPath('a11y-quantized.png'), { fullPage: true });
});

test('the pruning slider works from the keyboard, with a visible focus', async ({ page }) => {
  await openLab(page);
  await waitForResult(page, DEFAULT_RECIPE_TEXT);
  const slider = page.getByTestId('step-0-fraction');
  // Tab from the top of the page until the slider has the focus, as a keyboard user would.
  await page.locator('body').focus();
  let reached = false;
  for (let i = 0; i < 40 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await slider.evaluate((el) => el === document.activeElement);
  }
  expect(reached, 'the slider is reached with Tab').toBe(true);
  await expect(slider).toHaveAccessibleName('Pruned weights');
  const outline = await slider.evaluate((el) => {
    const style = getComputedStyle(el);
    return {
      matches: el.matches(':focus-visible'),
      style: style.outlineStyle,
      width: style.outlineWidth,
    };
  });
  expect(outline.matches).toBe(true);
  expect(outline.style).not.toBe('none');
  expect(parseFloat(outline.width)).toBeGreaterThanOrEqual(2);
  // Five steps to the right: 5% pruned (the slider's step is 1%), and the lab runs it.
  for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
  await expect(slider).toHaveValue('0.05');
  // The bare page's recipe is on MNIST, so its link names data=mnist.
  await waitForResult(page, 'v=2&model=lenet5&data=mnist&seed=1&steps=prune(fraction=0.05)');
});

for (const [name, hash] of [
  ['main page', 'v=2&model=lenet5&seed=1&steps=prune(fraction=0.5)'],
  ['tour step', 'tour=deep-compression&step=3'],
] as const) {
  test(`the ${name} fits 1280x720 without sideways scrolling`, async ({ page }, testInfo) => {
    await page.setViewportSize({ width: 1280, height: 720 });
    await openLab(page, hash);
    if (name === 'main page') await waitForResult(page, hash);
    else await expect(page.getByTestId('tour-panel')).toBeVisible();
    const widths = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      client: document.documentElement.clientWidth,
    }));
    expect(widths.scroll).toBeLessThanOrEqual(1280);
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);
    await keepScreenshot(
      page,
      testInfo.outputPath(`viewport-1280x720-${name.replace(' ', '-')}.png`),
    );
  });
}
