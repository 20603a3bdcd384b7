/**
 * Inputs that must not cost a visitor hours or gigabytes: a shared link whose training is
 * estimated over two minutes waits for Run (a tour's link does not), and a dropped file over the
 * byte limit is refused from its size, before the page reads it.
 */
import { openSync, closeSync, ftruncateSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import { openLab, pasteLink } from './lab-page.ts';

// The review's link: 32 steps of finetune(epochs=60) on LeNet-5, 240,000 batches.
const LONG = `v=2&model=lenet5&seed=1&steps=${Array.from({ length: 32 }, () => 'finetune(epochs=60)').join(';')}`;

/** Records every run phase the page passes through from now on. */
async function recordPhases(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { __phases: string[] }).__phases = seen;
    setInterval(() => {
      const phase = window.__complab?.getState().runStatus.phase;
      if (phase && seen.at(-1) !== phase) seen.push(phase);
    }, 10);
  });
  return () => page.evaluate(() => (window as unknown as { __phases: string[] }).__phases);
}

test('a link that would train for hours shows its estimate and trains only on Run', async ({
  page,
}) => {
  await openLab(page, LONG);
  const phases = await recordPhases(page);
  const estimate = page.getByTestId('held-run-estimate');
  // Counted by hand: 32 steps x 60 epochs x 125 batches of 64 of the 8,000 training digits.
  await expect(estimate).toContainText('This link trains 240,000 batches (15,360,000 digits)');
  await expect(estimate).toContainText(/about \d+ h \d\d min/);
  await page.waitForTimeout(3000);
  expect(await phases()).not.toContain('running');
  expect(await page.evaluate(() => window.__complab!.getState().runs.length)).toBe(0);

  await page.getByTestId('run-held').click();
  await expect(page.getByTestId('held-run')).toHaveCount(0);
  await expect(page.getByTestId('run-training')).toContainText(/epoch 1 of 60 · batch \d+ of 125/);
  await page.getByTestId('cancel-run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-phase', 'cancelled');
});

test("a pasted long link waits too; a tour's link of the same length opens at once", async ({
  page,
}) => {
  await openLab(page, 'v=2&model=lenet300&seed=1&steps=prune(fraction=0.5)');
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-phase', 'idle', {
    timeout: 60_000,
  });
  await pasteLink(page, 'v=2&model=lenet300&seed=1&steps=finetune(epochs=60)');
  await expect(page.getByTestId('held-run-estimate')).toContainText('7,500 batches');

  // Deep Compression's step 1 trains 3,750 batches of lenet300 (128 s guessed): held were it not a tour's.
  await pasteLink(page, 'v=1&tour=deep-compression&step=1');
  await expect(page.getByTestId('held-run')).toHaveCount(0);
  await expect(page.getByTestId('run-training')).toContainText(/round 1 of 4|epoch 1 of 5/);
  await page.getByTestId('cancel-run').click();
});

test('a dropped file over the byte limit is refused from its size, with the limits', async ({
  page,
}) => {
  await openLab(page);
  await expect(page.getByTestId('user-models')).toContainText(
    'The lab reads at most 100 MB a file and 250 MB in all.',
  );
  // A sparse file: 100,000,001 bytes on disk, none of them written or read.
  const path = join(mkdtempSync(join(tmpdir(), 'complab-big-')), 'weights.bin');
  const fd = openSync(path, 'w');
  ftruncateSync(fd, 100_000_001);
  closeSync(fd);
  // Every notice the page shows: a drop read and sent to the worker first says "Checking".
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { __notices: string[] }).__notices = seen;
    setInterval(() => {
      const text = window.__complab?.getState().importNotice?.text;
      if (text && seen.at(-1) !== text) seen.push(text);
    }, 5);
  });
  await page.getByTestId('model-files').setInputFiles(path);
  await expect(page.getByTestId('import-notice')).toHaveText(
    'weights.bin could not be imported: weights.bin is 100,000,001 bytes; the lab reads at most 100 MB a file and 250 MB in all. Nothing else changed.',
  );
  const notices = await page.evaluate(
    () => (window as unknown as { __notices: string[] }).__notices,
  );
  expect(notices.filter((n) => n.startsWith('Checking'))).toEqual([]);
});
