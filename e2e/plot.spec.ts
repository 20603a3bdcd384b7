/**
 * The accuracy plot and the compare view as a researcher uses them: switch the x axis between
 * stored size and latency, hover a point for its recipe and figures, click (or press Enter on)
 * a point to load its run, watch a first estimate while a run is evaluated, and put two runs
 * side by side layer by layer. Screenshots of each view land in test-results/.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import { historyRows, openLab, waitForResult } from './lab-page.ts';
import { keepScreenshot } from './reference.ts';

test.use({ viewport: { width: 1280, height: 720 } });

const LENET5 = 'v=2&model=lenet5&seed=1&steps=';
const recipe = (steps: string) => `${LENET5}${steps}`;

/** The run id the store gave the newest run of `recipeText`. */
async function runIdOf(page: Page, recipeText: string): Promise<number> {
  const id = await page.evaluate(
    (text) => window.__complab?.getState().runs.findLast((r) => r.recipeText === text)?.runId,
    recipeText,
  );
  if (id === undefined) throw new Error(`no run of ${recipeText}`);
  return id;
}

/** Accessibility rules (axe) broken inside one part of the page, as "rule: help" lines. */
async function axeViolations(page: Page, testId: string): Promise<string[]> {
  const results = await new AxeBuilder({ page }).include(`[data-testid="${testId}"]`).analyze();
  return results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`);
}

async function screenshotOf(page: Page, testId: string, name: string): Promise<void> {
  const element = page.getByTestId(testId);
  await element.scrollIntoViewIfNeeded();
  await keepScreenshot(element, `test-results/${name}.png`);
}

test('switch the x axis, hover a point, click a run to load it', async ({ page }) => {
  await openLab(page, `${LENET5}&backend=wasm`);
  await waitForResult(page, LENET5);
  const slider = page.getByTestId('step-0-fraction');
  await slider.fill('0.5');
  await waitForResult(page, recipe('prune(fraction=0.5)'), 20_000);
  await slider.fill('0.9');
  await waitForResult(page, recipe('prune(fraction=0.9)'), 20_000);

  const plot = page.getByTestId('plot');
  await expect(plot).toHaveAttribute('data-points', '3');
  await expect(plot).toHaveAttribute('data-axis', 'size');
  await expect(page.getByTestId('plot-point')).toHaveCount(3);
  await expect(page.getByTestId('plot-baseline')).toHaveCount(1);
  // The smallest run cannot be beaten on size, so it is on the front whatever its accuracy.
  const smallest = await runIdOf(page, recipe('prune(fraction=0.9)'));
  const half = await runIdOf(page, recipe('prune(fraction=0.5)'));
  expect((await plot.getAttribute('data-front'))!.split(',')).toContain(String(smallest));
  await expect(page.getByTestId('plot-area-legend')).toContainText('area: latency');
  await expect(page.getByTestId('plot-latency-note')).toContainText('measured on WASM');
  await expect(page.locator('.recharts-scatter-symbol')).not.toHaveCount(0);
  await screenshotOf(page, 'plot', 'plot-size');
  expect(await axeViolations(page, 'plot')).toEqual([]);

  // Latency on the x axis, size as the area; the choice goes into the link.
  await page.getByRole('radio', { name: 'Latency' }).check();
  await expect(plot).toHaveAttribute('data-axis', 'latency');
  await expect(page.getByTestId('plot-area-legend')).toContainText('area: stored size');
  await expect(plot).toContainText('latency (ms, log scale)');
  await expect(page).toHaveURL(/&backend=wasm&plot=latency$/);
  await screenshotOf(page, 'plot', 'plot-latency');

  // Hover: the recipe and its figures.
  const halfPoint = page.locator(`[data-testid="plot-point"][data-run-id="${half}"]`);
  await halfPoint.hover();
  const tooltip = page.getByTestId('plot-tooltip');
  await expect(tooltip).toContainText(`Run ${half}: prune(fraction=0.5)`);
  await expect(tooltip).toContainText(/accuracy \d+\.\d\d %/);
  await expect(tooltip).toContainText(/size \d/);
  await expect(tooltip).toContainText(/latency [\d.]+ ms per 64 images on WASM/);
  // The spread of the samples, and a comparison with the baseline that claims a speedup only
  // where the spreads are apart.
  await expect(tooltip).toContainText(/middle half [\d.]+–[\d.]+ ms of \d+ runs/);
  await expect(tooltip).toContainText(
    /(no measurable difference from|[\d.]+× (faster than|as fast as)) the baseline \([\d.]+ ms in the same window\)/,
  );
  await screenshotOf(page, 'plot', 'plot-hover');

  // Click: that run's recipe in the editor and the link; it runs again (from the cache).
  await halfPoint.click();
  await expect(page.getByTestId('step-0-fraction-value')).toHaveText('50 %');
  await expect(page).toHaveURL(/steps=prune\(fraction=0\.5\)&backend=wasm&plot=latency$/);
  await waitForResult(page, recipe('prune(fraction=0.5)'), 20_000);

  // Keyboard: focus a point, Enter loads it.
  const smallestPoint = page.locator(`[data-testid="plot-point"][data-run-id="${smallest}"]`);
  await smallestPoint.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('step-0-fraction-value')).toHaveText('90 %');
  await waitForResult(page, recipe('prune(fraction=0.9)'), 20_000);

  // And back to size.
  await page.getByRole('radio', { name: 'Stored size' }).check();
  await expect(plot).toHaveAttribute('data-axis', 'size');
  await expect(page).toHaveURL(/steps=prune\(fraction=0\.9\)&backend=wasm$/);
});

test('a moved control shows a first estimate with its interval, replaced by the result', async ({
  page,
}) => {
  // CPU evaluates slowly enough that each chunk's estimate stays on screen for a while.
  const base = 'v=2&model=lenet300&seed=1&steps=';
  await openLab(page, `${base}&backend=cpu`);
  await waitForResult(page, base, 120_000);
  // Every text the estimate line shows, as the page shows it.
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { estimates: string[] }).estimates = seen;
    new MutationObserver(() => {
      const text = document.querySelector('[data-testid="plot-estimate"]')?.textContent ?? '';
      if (text && seen.at(-1) !== text) seen.push(text);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await page.getByTestId('step-0-fraction').fill('0.8');
  const estimate = page.getByTestId('plot-estimate');
  // The worker sends at most ~10 progress messages a second, newest wins: when the first chunks
  // come fast, the first estimate shown may already count 200 or more digits.
  await expect(estimate).toContainText(/from [\d,]+ of 2,000 test images/);
  await expect(page.getByTestId('plot-estimate-point')).toBeVisible();
  await expect(page.locator('.recharts-errorBar')).not.toHaveCount(0);
  await screenshotOf(page, 'plot', 'plot-estimate');
  await waitForResult(page, `${base}prune(fraction=0.8)`, 120_000);
  await expect(estimate).toHaveCount(0);
  await expect(page.getByTestId('plot-estimate-point')).toHaveCount(0);
  await expect(page.getByTestId('plot')).toHaveAttribute('data-estimate', '');

  const texts = await page.evaluate(() => (window as unknown as { estimates: string[] }).estimates);
  const seenCounts = texts.map((t) => Number(/from ([\d,]+) of/.exec(t)![1].replace(/,/g, '')));
  expect(seenCounts[0]).toBeGreaterThanOrEqual(100);
  expect(seenCounts[0]).toBeLessThan(2000);
  expect(seenCounts).toEqual([...seenCounts].sort((a, b) => a - b));
  const intervals = texts.map((t) => /interval ([\d.]+)–([\d.]+) %/.exec(t)!.slice(1).map(Number));
  // The final accuracy lies inside every estimate's interval (shown to 0.1 point). This holds
  // for this recipe; a 95 % interval would miss about one time in twenty.
  const final = await page.evaluate(
    () => window.__complab!.getState().runs.at(-1)!.result.accuracy,
  );
  for (const [low, high] of intervals) {
    expect(final * 100).toBeGreaterThanOrEqual(low - 0.05);
    expect(final * 100).toBeLessThanOrEqual(high + 0.05);
  }
  // More digits seen, a narrower interval.
  const width = ([low, high]: number[]) => high - low;
  expect(width(intervals.at(-1)!)).toBeLessThan(width(intervals[0]));
});

test('compare two runs side by side, layer by layer', async ({ page }) => {
  await openLab(page, `${LENET5}&backend=wasm`);
  await waitForResult(page, LENET5);
  await page.getByTestId('step-0-fraction').fill('0.9');
  await waitForResult(page, recipe('prune(fraction=0.9)'), 20_000);
  await expect(historyRows(page)).toHaveCount(2);
  const baseId = await runIdOf(page, LENET5);
  const prunedId = await runIdOf(page, recipe('prune(fraction=0.9)'));

  const compare = page.getByTestId('compare');
  await expect(page.getByTestId('compare-hint')).toContainText('Tick "Compare" on two runs');
  await page.getByRole('checkbox', { name: `Compare run ${baseId}` }).check();
  await expect(page.getByTestId('compare-hint')).toContainText(`Run ${baseId} is picked`);
  // The keyboard picks the second: Tab to the box, Space ticks it.
  await page.getByRole('checkbox', { name: `Compare run ${prunedId}` }).focus();
  await page.keyboard.press('Space');
  await expect(compare.getByRole('heading', { level: 2 })).toHaveText(
    `Compare runs ${baseId} and ${prunedId}`,
  );

  const layers = await page.evaluate(() =>
    window
      .__complab!.getState()
      .runs.at(-1)!
      .result.layers.filter((l) => l.params > 0)
      .map((l) => l.name),
  );
  await expect(page.getByTestId('compare-layer')).toHaveCount(layers.length);
  for (const name of layers) {
    const second = page.locator(`[data-testid="compare-layer-b"][data-layer="${name}"]`);
    // Pruning changed the nonzero counts and bytes, not the shapes, so not the params or MACs.
    await expect(second.getByTestId('compare-nonzero')).toHaveAttribute('data-differs', 'true');
    await expect(second.getByTestId('compare-nonzero')).toContainText('▼');
    await expect(second.getByTestId('compare-bytes')).toHaveAttribute('data-differs', 'true');
    await expect(second.getByTestId('compare-params')).toHaveAttribute('data-differs', 'false');
    await expect(second.getByTestId('compare-macs')).toHaveAttribute('data-differs', 'false');
    // The difference is said in text too, not only by color.
    await expect(second.getByTestId('compare-nonzero')).toContainText('(differs)');
  }
  await expect(page.getByTestId('compare-summary-stored-size')).toHaveAttribute(
    'data-differs',
    'true',
  );
  await expect(page.getByTestId('compare-summary-params')).toHaveAttribute('data-differs', 'false');
  await screenshotOf(page, 'compare', 'compare');
  expect(await axeViolations(page, 'compare')).toEqual([]);

  await compare.getByRole('button', { name: 'Clear picks' }).click();
  await expect(page.getByTestId('compare-hint')).toBeVisible();
});
