/**
 * The behaviour view of two compared runs: per-class counts that add up to each run's correct
 * count, lost - gained as the paired line says, flipped test images drawn, CSV downloads, and
 * the comparison still there after a reload (the answers are kept in IndexedDB).
 */
import { readFile } from 'node:fs/promises';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import { historyRows, openLab, waitForResult } from './lab-page.ts';
import { keepScreenshot, pngPixels } from './reference.ts';

test.use({ viewport: { width: 1280, height: 900 } });

// mnist-10k (a link without data=): 2,000 test images, so the runs are quick.
const LENET5 = 'v=2&model=lenet5&seed=1&steps=';
const PRUNED = `${LENET5}prune(fraction=0.9)`;

/** The newest run of `recipeText`: its id and how many test images it got right. */
async function runOf(page: Page, recipeText: string) {
  const run = await page.evaluate((text) => {
    const found = window.__complab?.getState().runs.findLast((r) => r.recipeText === text);
    return found && { runId: found.runId, correct: found.result.correct };
  }, recipeText);
  if (!run) throw new Error(`no run of ${recipeText}`);
  return run;
}

async function pick(page: Page, ids: number[]) {
  for (const id of ids) await page.getByRole('checkbox', { name: `Compare run ${id}` }).check();
}

async function columnSum(page: Page, attribute: string): Promise<number> {
  const values = await page
    .getByTestId('behaviour-class')
    .evaluateAll((rows, name) => rows.map((r) => Number(r.getAttribute(name))), attribute);
  return values.reduce((s, v) => s + v, 0);
}

test('the behaviour of two runs: per class, heat map, flips, CSV, after a reload', async ({
  page,
}) => {
  await openLab(page, `${LENET5}&backend=wasm`);
  await waitForResult(page, LENET5);
  await page.getByTestId('step-0-fraction').fill('0.9');
  await waitForResult(page, PRUNED, 20_000);
  await expect(historyRows(page)).toHaveCount(2);
  const base = await runOf(page, LENET5);
  const pruned = await runOf(page, PRUNED);
  await pick(page, [base.runId, pruned.runId]);

  const view = page.getByTestId('behaviour');
  await expect(view.getByTestId('behaviour-classes')).toBeVisible();
  // Ten classes, whose right answers add up to each run's correct count.
  await expect(page.getByTestId('behaviour-class')).toHaveCount(10);
  expect(await columnSum(page, 'data-correct-a')).toBe(base.correct);
  expect(await columnSum(page, 'data-correct-b')).toBe(pruned.correct);
  await expect(page.getByTestId('behaviour-heat-map').locator('tbody tr')).toHaveCount(10);

  // The paired line (the worker's McNemar) and the gallery's tabs agree on lost and gained.
  const paired = await page.getByTestId('compare-paired').textContent();
  const [, lost, gained] = /\((\d+) lost, (\d+) gained/.exec(paired ?? '') ?? [];
  expect(lost, paired ?? '').toBeDefined();
  await expect(page.getByTestId('flips-tab-lost')).toHaveText(`Lost (${lost})`);
  await expect(page.getByTestId('flips-tab-gained')).toHaveText(`Gained (${gained})`);
  expect(Number(lost) - Number(gained)).toBe(base.correct - pruned.correct);

  // A flipped image is drawn: its canvas holds ink (some pixel is not black).
  const flips = page.getByTestId('flip');
  expect(await flips.count()).toBeGreaterThan(0);
  const ink = await page
    .getByTestId('flip-image')
    .first()
    .evaluate((canvas: HTMLCanvasElement) => {
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let sum = 0;
      for (let i = 0; i < data.length; i += 4) sum += data[i];
      return sum;
    });
  expect(ink).toBeGreaterThan(0);

  // The class filter keeps only images of that class.
  const firstLabel = await flips.first().locator('.flip-label').textContent();
  await page.getByTestId('flips-class').selectOption(firstLabel!);
  for (const text of await flips.locator('.flip-label').allTextContents()) {
    expect(text).toBe(firstLabel);
  }
  await page.getByTestId('flips-class').selectOption('');

  // CSV downloads with the engine's headers.
  const [perClass] = await Promise.all([
    page.waitForEvent('download'),
    view.getByRole('button', { name: 'Download per-class CSV' }).click(),
  ]);
  expect(perClass.suggestedFilename()).toBe(`per-class-${base.runId}-${pruned.runId}.csv`);
  const perClassText = await readFile((await perClass.path())!, 'utf8');
  expect(perClassText.split('\r\n')[0]).toBe(
    'class,name,images,correctA,correctB,accuracyA,accuracyB,change',
  );
  expect(perClassText.trim().split('\r\n')).toHaveLength(11);
  const [flipsFile] = await Promise.all([
    page.waitForEvent('download'),
    view.getByRole('button', { name: 'Download flips CSV' }).click(),
  ]);
  const flipsText = await readFile((await flipsFile.path())!, 'utf8');
  expect(flipsText.split('\r\n')[0]).toBe(
    'index,label,labelName,a,aName,b,bName,kind,truthA,truthB,truthChange',
  );
  const [png] = await Promise.all([
    page.waitForEvent('download'),
    view.getByRole('button', { name: 'Download heat map (PNG)' }).click(),
  ]);
  expect(png.suggestedFilename()).toBe(`confusion-difference-${base.runId}-${pruned.runId}.png`);
  // 10 classes: a 90-pixel margin, 10 cells of 36 and 10 to spare across; 50 + 360 + 40 down.
  const heat = pngPixels(await readFile((await png.path())!));
  expect([heat.width, heat.height]).toEqual([460, 450]);
  const [gallery] = await Promise.all([
    page.waitForEvent('download'),
    view.getByRole('button', { name: 'Download shown images (PNG)' }).click(),
  ]);
  expect(gallery.suggestedFilename()).toBe(`flips-lost-${base.runId}-${pruned.runId}.png`);
  // Up to 48 images shown, 12 a row of 78 pixels (a 56-pixel image in a 70-pixel caption, + 8).
  const shown = Math.min(48, Number(lost));
  const galleryPixels = pngPixels(await readFile((await gallery.path())!));
  expect(galleryPixels.width).toBe(Math.min(12, shown) * 78 + 8);
  expect(galleryPixels.height).toBe(28 + Math.ceil(shown / 12) * (56 + 34));

  await view.scrollIntoViewIfNeeded();
  await keepScreenshot(view, 'test-results/behaviour.png');
  // Accessibility rules (axe) inside the view, each with the elements that break it.
  const axe = await new AxeBuilder({ page }).include('[data-testid="behaviour"]').analyze();
  expect(
    axe.violations.map(
      (v) =>
        `${v.id}: ${v.nodes.map((n) => `${n.target.join(' ')} ${n.failureSummary}`).join('; ')}`,
    ),
  ).toEqual([]);

  // Picked again, the test images already loaded: the view is there within a frame or few.
  await page.getByRole('checkbox', { name: `Compare run ${pruned.runId}` }).uncheck();
  const started = Date.now();
  await page.getByRole('checkbox', { name: `Compare run ${pruned.runId}` }).check();
  await expect(view.getByTestId('behaviour-classes')).toBeVisible();
  console.log(`behaviour view shown ${Date.now() - started} ms after the second pick`);

  // After a reload the kept answers still compare.
  await page.reload();
  await expect(historyRows(page)).toHaveCount(2);
  await pick(page, [base.runId, pruned.runId]);
  await expect(page.getByTestId('behaviour-class')).toHaveCount(10);
  expect(await columnSum(page, 'data-correct-b')).toBe(pruned.correct);
  await expect(page.getByTestId('flips-tab-lost')).toHaveText(`Lost (${lost})`);
});
