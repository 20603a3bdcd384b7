import { expect, test } from './fixtures.ts';
import { historyRows, latestRun, LENET5_LINK_TEXT, openLab, waitForResult } from './lab-page.ts';
import { keepScreenshot } from './reference.ts';

test('moving the pruning slider adds a point and a history row', async ({ page }, testInfo) => {
  await openLab(page, `${LENET5_LINK_TEXT}&backend=wasm`);
  await waitForResult(page, LENET5_LINK_TEXT);
  await expect(historyRows(page)).toHaveCount(1);
  await expect(page.getByTestId('plot')).toHaveAttribute('data-points', '1');

  const slider = page.getByTestId('step-0-fraction');
  await expect(slider).toHaveAccessibleName('Pruned weights');
  await slider.fill('0.9');
  await expect(page.getByTestId('step-0-fraction-value')).toHaveText('90 %');
  const pruned = 'v=2&model=lenet5&seed=1&steps=prune(fraction=0.9)';
  await waitForResult(page, pruned, 10_000);
  await expect(historyRows(page)).toHaveCount(2);
  await expect(page.getByTestId('plot')).toHaveAttribute('data-points', '2');
  await expect(historyRows(page).first()).toContainText('prune(fraction=0.9)');
  const run = await latestRun(page);
  testInfo.annotations.push({
    type: 'slider→result',
    description: `${run?.waitedMs.toFixed(0)} ms`,
  });
  // Speed is judged by `npm run bench:ui`, not here: the annotation only records it.
  expect(run?.waitedMs).toBeGreaterThan(0);
  await expect(page).toHaveURL(
    /#v=2&model=lenet5&seed=1&steps=prune\(fraction=0\.9\)&backend=wasm$/,
  );

  // Keyboard: one arrow press is one step of the parameter.
  await slider.focus();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('step-0-fraction-value')).toHaveText('91 %');
  await waitForResult(page, 'v=2&model=lenet5&seed=1&steps=prune(fraction=0.91)', 10_000);
  await expect(historyRows(page)).toHaveCount(3);
  await expect(page.locator('.recharts-scatter-symbol')).not.toHaveCount(0);
  await keepScreenshot(page, testInfo.outputPath('slider.png'), { fullPage: true });
});

test('a burst of slider moves delivers only the last recipe', async ({ page }) => {
  await openLab(page, `${LENET5_LINK_TEXT}&backend=wasm`);
  await waitForResult(page, LENET5_LINK_TEXT);
  const slider = page.getByTestId('step-0-fraction');
  for (const value of ['0.2', '0.3', '0.4', '0.5', '0.6']) await slider.fill(value);
  await waitForResult(page, 'v=2&model=lenet5&seed=1&steps=prune(fraction=0.6)', 10_000);
  // Give any superseded run time to (wrongly) arrive late.
  await page.waitForTimeout(1500);
  const runs = await page.evaluate(() =>
    window.__complab!.getState().runs.map((r) => ({ id: r.runId, recipe: r.recipeText })),
  );
  expect(runs.at(-1)?.recipe).toBe('v=2&model=lenet5&seed=1&steps=prune(fraction=0.6)');
  // Results arrive in the order asked for, and the intermediate positions were cancelled.
  expect(runs.map((r) => r.id)).toEqual([...runs.map((r) => r.id)].sort((a, b) => a - b));
  expect(runs.length).toBeLessThan(6);
});
