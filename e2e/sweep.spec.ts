import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import { historyRows, openLab, waitForResult } from './lab-page.ts';
import { keepScreenshot } from './reference.ts';

const run = promisify(execFile);

const START = 'v=2&model=lenet300&seed=1&steps=prune(fraction=0.5)';
const GRID = 'prune(fraction=0.5..0.9:0.2)';

async function setRange(page: Page, from: string, to: string, step: string) {
  await page.getByTestId('sweep-from').fill(from);
  await page.getByTestId('sweep-to').fill(to);
  await page.getByTestId('sweep-step').fill(step);
}

/** The points of the curve the page draws: swept value, accuracy, bytes. */
const curvePoints = (page: Page) =>
  page.evaluate(() =>
    window.__complab!.getState().sweep!.points.map((p) => [p.value, p.accuracy, p.sizeBytes]),
  );

test("a sweep in the page draws accuracy against the pruned fraction; complab sweep's JSONL of the same grid imports to the same curve", async ({
  page,
}, testInfo) => {
  const dir = mkdtempSync(join(tmpdir(), 'complab-e2e-sweep-'));
  const out = join(dir, 'runs.jsonl');
  const cli = run(
    'node',
    [
      'bin/complab.mjs',
      'sweep',
      '--model',
      'lenet300',
      '--data',
      'mnist-10k',
      '--grid',
      GRID,
      '--out',
      out,
      '--quiet',
    ],
    { timeout: 120_000 },
  );
  await openLab(page, `${START}&backend=wasm`);
  await waitForResult(page, START);
  const before = await historyRows(page).count();

  await expect(page.getByTestId('sweep-param')).toHaveValue('0:fraction');
  await setRange(page, '50', '90', '20');
  // The page says how to run the same grid headless: the command this test runs.
  await expect(page.getByTestId('sweep-command')).toHaveText(
    `npx complab sweep --model lenet300 --data mnist-10k --seed 1 --grid '${GRID}' --out runs.jsonl`,
  );
  await page.getByTestId('sweep-run').click();
  await expect(page.getByTestId('sweep-outcome')).toHaveAttribute('data-phase', 'done', {
    timeout: 60_000,
  });
  await expect(page.getByTestId('sweep-outcome')).toHaveText('Sweep done: 3 runs.');
  await expect(page.getByTestId('sweep-curve')).toHaveAttribute('data-points', '3');
  await expect(page.getByTestId('sweep-curve').locator('.recharts-line-dot')).toHaveCount(3);
  // Every point is a run in the history, and the editor's own recipe is shown again at the end.
  await waitForResult(page, START);
  for (const f of [0.5, 0.7, 0.9]) {
    await expect(
      page.locator(`[data-testid="history-row"][data-recipe$="prune(fraction=${f})"]`).first(),
    ).toBeVisible();
  }
  expect(await historyRows(page).count()).toBe(before + 4);
  const inPage = await curvePoints(page);
  expect(inPage.map((p) => p[0])).toEqual([0.5, 0.7, 0.9]);
  // More pruning, fewer bytes.
  expect(inPage[0][2]).toBeGreaterThan(inPage[2][2]);
  await keepScreenshot(page, testInfo.outputPath('sweep.png'), { fullPage: true });

  // The same grid from the CLI: each line what complab eval --json prints.
  await cli;
  const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
  expect(lines).toHaveLength(3);
  const rowsBeforeImport = await historyRows(page).count();
  await page.getByTestId('import-file').setInputFiles(out);
  await expect(page.getByTestId('import-report')).toHaveAttribute('data-loaded', '3');
  await expect(page.getByTestId('import-report')).toHaveAttribute('data-broken', '0');
  await expect(page.getByTestId('sweep-curve')).toHaveAttribute('data-phase', 'imported');
  expect(await historyRows(page).count()).toBe(rowsBeforeImport + 3);
  // Same correct counts and bytes from the page's engine (threaded wasm) and the CLI's workers.
  expect(await curvePoints(page)).toEqual(inPage);
  // The result shown is still the editor's recipe.
  await expect(page.getByTestId('result')).toHaveAttribute('data-recipe', START);
});

test('a JSONL file with broken lines: the good ones load, the bad ones are counted and named, nothing is lost', async ({
  page,
}, testInfo) => {
  const dir = mkdtempSync(join(tmpdir(), 'complab-e2e-import-'));
  const out = join(dir, 'shard.jsonl');
  await run(
    'node',
    [
      'bin/complab.mjs',
      'sweep',
      '--model',
      'lenet300',
      '--grid',
      'prune(fraction=0.6..0.8:0.2)',
      '--out',
      out,
      '--quiet',
    ],
    { timeout: 120_000 },
  );
  const good = readFileSync(out, 'utf8').trimEnd().split('\n');
  const broken = [
    good[0],
    good[1].slice(0, 200), // cut off, as a job killed mid-write leaves it
    JSON.stringify({ ...JSON.parse(good[1]), sizeBytes: 'big' }),
    good[1],
  ].join('\n');
  const brokenFile = join(dir, 'broken.jsonl');
  writeFileSync(brokenFile, broken);

  await openLab(page, `${START}&backend=wasm`);
  await waitForResult(page, START);
  const rowsBefore = await historyRows(page).count();
  const shownBefore = await page.getByTestId('accuracy').textContent();

  // Dropped on the import area, as a file dragged from the desktop.
  await page.getByTestId('import-drop').evaluate((zone, text) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([text], 'broken.jsonl', { type: 'application/x-ndjson' }));
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true }));
  }, broken);
  const report = page.getByTestId('import-report');
  await expect(report).toHaveAttribute('data-loaded', '2');
  await expect(report).toHaveAttribute('data-broken', '2');
  await expect(report).toContainText('Loaded 2 runs from broken.jsonl; 2 lines were broken');
  await expect(page.getByTestId('import-broken').locator('li')).toHaveText([
    /^broken\.jsonl line 2: not JSON/,
    /^broken\.jsonl line 3: sizeBytes: Invalid input: expected number/,
  ]);
  expect(await historyRows(page).count()).toBe(rowsBefore + 2);
  await expect(page.getByTestId('result')).toHaveAttribute('data-recipe', START);
  await expect(page.getByTestId('accuracy')).toHaveText(shownBefore ?? '');
  await keepScreenshot(page, testInfo.outputPath('import-broken.png'), { fullPage: true });
});

test('a sweep can be cancelled mid-way (the runs done stay), and a bad range gets a message', async ({
  page,
}, testInfo) => {
  const start = 'v=2&model=lenet300&seed=1&steps=prune(fraction=0.5);finetune(epochs=1,batches=10)';
  await openLab(page, `${start}&backend=wasm`);
  await page.waitForFunction(() => window.__complab?.getState().runs.length === 1, undefined, {
    timeout: 60_000,
  });

  await page.getByTestId('sweep-param').selectOption({ label: 'Step 1 prune: Pruned weights' });
  await setRange(page, '50', '90', '0');
  await page.getByTestId('sweep-run').click();
  await expect(page.getByTestId('sweep-error')).toHaveText(
    'Prune fraction=0.5..0.9:0: the step must be above 0 (got 0)',
  );
  await setRange(page, '50', '120', '10');
  await page.getByTestId('sweep-run').click();
  await expect(page.getByTestId('sweep-error')).toContainText(
    'prune fraction must be between 0 and 0.99',
  );

  // Sweep the fine-tuning's length: each point trains, so there is time to cancel.
  await page
    .getByTestId('sweep-param')
    .selectOption({ label: 'Step 2 finetune: Batches per epoch' });
  await setRange(page, '40', '200', '40');
  await page.getByTestId('sweep-run').click();
  await expect(page.getByTestId('sweep-error')).toHaveCount(0);
  await expect(page.getByTestId('sweep-progress')).toContainText(/Run [12] of 5/);
  await page.waitForFunction(
    () => (window.__complab?.getState().sweep?.points.length ?? 0) >= 1,
    undefined,
    {
      timeout: 60_000,
    },
  );
  await page.getByTestId('sweep-cancel').click();
  const outcome = page.getByTestId('sweep-outcome');
  await expect(outcome).toHaveAttribute('data-phase', 'cancelled');
  const done = await page.evaluate(() => window.__complab!.getState().sweep!.points.length);
  expect(done).toBeGreaterThanOrEqual(1);
  expect(done).toBeLessThan(5);
  await expect(outcome).toHaveText(
    `Cancelled after ${done} of 5; ${done === 1 ? 'the run done is' : `the ${done} runs done are`} kept.`,
  );
  await expect(page.getByTestId('sweep-curve')).toHaveAttribute('data-points', String(done));
  await expect(page.getByTestId('run-cancelled')).toBeVisible();
  await expect(page.getByTestId('sweep-run')).toBeEnabled();
  await page.getByTestId('sweep-controls').scrollIntoViewIfNeeded();
  await keepScreenshot(page, testInfo.outputPath('sweep-cancelled.png'));
});
