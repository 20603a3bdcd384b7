/**
 * The page's own files, as a person uses them: drop a model on the page, run techniques on it,
 * export the result and drop the export back in; history that survives a reload, its JSON and
 * CSV, and a Clear that asks first; bad files, a full disk and a window without IndexedDB.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Download, Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import { DEFAULT_RECIPE_TEXT, historyRows, openLab, waitForResult } from './lab-page.ts';
import { parseCsv, wideModelFiles } from '../src/engine/test/io-fixtures.ts';
import { keepScreenshot } from './reference.ts';

const root = join(import.meta.dirname, '..');
const shipped = (path: string) => readFileSync(join(root, 'public', path));

interface FileToDrop {
  readonly name: string;
  readonly bytes: Buffer | Uint8Array;
}

/** Drops files on the page as a drag from the desktop does: dragenter, dragover, drop. */
async function dropFiles(page: Page, files: readonly FileToDrop[]): Promise<void> {
  await page.evaluate(
    (list) => {
      const transfer = new DataTransfer();
      for (const f of list) transfer.items.add(new File([new Uint8Array(f.bytes)], f.name));
      const target = document.querySelector('main') ?? document.body;
      for (const type of ['dragenter', 'dragover', 'drop']) {
        target.dispatchEvent(
          new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }),
        );
      }
    },
    files.map((f) => ({ name: f.name, bytes: Array.from(f.bytes) })),
  );
}

const state = (page: Page) =>
  page.evaluate(() => {
    const s = window.__complab!.getState();
    return {
      model: s.recipe.model,
      runs: s.runs.map((r) => ({ recipeText: r.recipeText, correct: r.result.correct })),
      userModels: s.userModels.map((m) => m.id),
      storageNote: s.storageNote,
    };
  });

/** Waits for a run of `recipeText` that finished after `before` runs were in the history. */
async function waitForNewRun(page: Page, recipeText: string, before: number) {
  await page.waitForFunction(
    ([text, count]) => {
      const s = window.__complab?.getState();
      if (s?.runStatus.phase === 'error') throw new Error(s.runStatus.message);
      return (
        s !== undefined &&
        s.runs.length > count &&
        s.runs.at(-1)?.recipeText === text &&
        s.runStatus.phase === 'idle'
      );
    },
    [recipeText, before] as const,
    { timeout: 60_000, polling: 50 },
  );
  return page.evaluate(() => window.__complab!.getState().runs.at(-1)!.result.correct);
}

async function importedId(page: Page, name: string): Promise<string> {
  await expect(page.getByTestId('import-notice')).toContainText(`"${name}"`);
  const { model } = await state(page);
  expect(model).toMatch(new RegExp(`^user/${name}/[0-9a-f]{16}$`));
  return model;
}

/** Reloads the page, as a person pressing F5, and waits until the lab has started again. */
async function reload(page: Page): Promise<void> {
  await page.reload();
  await page.waitForFunction(() => window.__complab !== undefined);
}

const saved = async (download: Download, path: string) => {
  await download.saveAs(path);
  return readFileSync(path);
};

test('drop a tfjs model, compress it, export it and drop the export back in; it survives a reload', async ({
  page,
  freshContext,
}, testInfo) => {
  test.setTimeout(240_000);
  await openLab(page, 'v=2&model=lenet300&seed=1&steps=&backend=wasm');
  const shippedBaseline = await waitForNewRun(page, 'v=2&model=lenet300&seed=1&steps=', 0);

  // The shipped LeNet-300-100's files, under a name of the user's: the same weights, so the
  // same correct count as the shipped model.
  await dropFiles(page, [
    { name: 'my-mlp.json', bytes: shipped('models/lenet300/model.json') },
    { name: 'weights.bin', bytes: shipped('models/lenet300/weights.bin') },
  ]);
  const id = await importedId(page, 'my-mlp');
  await expect(page.getByTestId('model-picker')).toHaveValue(id);
  await expect(page.locator('optgroup[label="your models"] option')).toHaveText([
    'my-mlp (imported)',
  ]);
  expect(await waitForNewRun(page, `v=2&model=${id}&seed=1&steps=`, 1)).toBe(shippedBaseline);

  // Every technique works on it: prune 90 % and share the weights.
  await page.getByTestId('step-0-fraction').fill('0.9');
  const pruned = `v=2&model=${id}&seed=1&steps=prune(fraction=0.9)`;
  const prunedCorrect = await waitForNewRun(page, pruned, 2);
  await keepScreenshot(page, testInfo.outputPath('imported-model.png'), { fullPage: true });

  // Export: tfjs LayersModel and compact file.
  await page.getByTestId('export-model').click();
  await expect(page.getByTestId('download-model.json')).toBeVisible();
  const dir = mkdtempSync(join(tmpdir(), 'complab-e2e-export-'));
  const modelJson = await saved(
    await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('download-model.json').click(),
    ]).then(([d]) => d),
    join(dir, 'model.json'),
  );
  const weights = await saved(
    await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('download-weights.bin').click(),
    ]).then(([d]) => d),
    join(dir, 'weights.bin'),
  );
  const compactLink = page.locator('[data-testid$="-compressed.clw"]');
  const compact = await saved(
    await Promise.all([page.waitForEvent('download'), compactLink.click()]).then(([d]) => d),
    join(dir, 'my-mlp-compressed.clw'),
  );
  expect(JSON.parse(modelJson.toString('utf8')).weightsManifest[0].paths).toEqual(['weights.bin']);
  // Plain float32 weights: 4 bytes for each of LeNet-300-100's 266,610 parameters.
  expect(weights.length).toBe(4 * 266_610);
  await keepScreenshot(page, testInfo.outputPath('export.png'), { fullPage: true });

  // The export, dropped back in, is the compressed network: as it is (no step), it gives the
  // pruned run's correct count.
  await page.getByTestId('step-0-fraction').fill('0');
  await waitForNewRun(page, `v=2&model=${id}&seed=1&steps=`, 3);
  await dropFiles(page, [
    { name: 'pruned.json', bytes: modelJson },
    { name: 'weights.bin', bytes: weights },
  ]);
  const prunedId = await importedId(page, 'pruned');
  expect(await waitForNewRun(page, `v=2&model=${prunedId}&seed=1&steps=`, 4)).toBe(prunedCorrect);
  await dropFiles(page, [{ name: 'my-mlp-compressed.clw', bytes: compact }]);
  const compactId = await importedId(page, 'my-mlp-compressed');
  expect(await waitForNewRun(page, `v=2&model=${compactId}&seed=1&steps=`, 5)).toBe(prunedCorrect);

  // A reload keeps the models and the history.
  const before = await state(page);
  await reload(page);
  await expect(page.getByTestId('user-model')).toHaveCount(3);
  await expect(historyRows(page)).toHaveCount(before.runs.length + 1); // + the reload's own run
  expect((await state(page)).runs.slice(0, before.runs.length)).toEqual(before.runs);
  await page.getByTestId('model-picker').selectOption(id);
  await page.getByTestId('step-0-fraction').fill('0.9');
  expect(await waitForNewRun(page, pruned, before.runs.length + 1)).toBe(prunedCorrect);
  await keepScreenshot(page, testInfo.outputPath('after-reload.png'), { fullPage: true });

  // A link to this run says plainly that it needs the model; opened in another browser, it
  // says which model it needs and opens the defaults.
  await expect(page.getByTestId('share-needs-model')).toContainText(
    'This link opens only in a browser where your model "my-mlp" is imported',
  );
  const link = page.url();
  const other = await freshContext.newPage();
  await other.goto(link);
  await expect(other.getByTestId('link-error')).toContainText(
    `this link needs the model "my-mlp" (${id}) that was imported in another browser`,
  );
  await waitForResult(other, DEFAULT_RECIPE_TEXT);
  await keepScreenshot(other, testInfo.outputPath('link-without-model.png'), { fullPage: true });

  // Removing a model: gone from the list and the picker, and after a reload too.
  await page.getByRole('button', { name: 'Remove pruned from this browser' }).click();
  await expect(page.getByTestId('user-model')).toHaveCount(2);
  await expect(page.locator(`option[value="${prunedId}"]`)).toHaveCount(0);
  await reload(page);
  await expect(page.getByTestId('user-model')).toHaveCount(2);
  expect((await state(page)).userModels).toEqual([id, compactId]);
});

test('a file that is not a model and a model of the wrong input size: the CLI’s messages, nothing lost', async ({
  page,
}, testInfo) => {
  await openLab(page, 'v=2&model=lenet300&seed=1&steps=prune(fraction=0.5)&backend=wasm');
  await waitForNewRun(page, 'v=2&model=lenet300&seed=1&steps=prune(fraction=0.5)', 0);
  const before = await state(page);

  // A picture dropped by mistake: the page gives the message complab gives for the same file.
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
  const dir = mkdtempSync(join(tmpdir(), 'complab-e2e-bad-'));
  writeFileSync(join(dir, 'digit.png'), png);
  const cli = await promisify(execFile)(
    'node',
    ['bin/complab.mjs', 'eval', '--model', join(dir, 'digit.png'), '--quiet'],
    { cwd: root },
  ).then(
    () => ({ stderr: '' }),
    (err: { stderr: string }) => err,
  );
  const cliMessage = cli.stderr.trim().replace(/^complab: .*digit\.png /, 'digit.png ');
  expect(cliMessage).toBe('digit.png is not valid JSON (truncated or not a model file?)');
  await dropFiles(page, [{ name: 'digit.png', bytes: png }]);
  await expect(page.getByTestId('import-notice')).toHaveText(
    `digit.png could not be imported: ${cliMessage}. Nothing else changed.`,
  );
  await expect(page.getByTestId('import-notice')).toHaveAttribute('role', 'alert');

  // A consistent tfjs model that reads 100 numbers, not a 28x28 digit.
  await dropFiles(page, wideModelFiles());
  await expect(page.getByTestId('import-notice')).toHaveText(
    'wide.json, wide.bin could not be imported: wide.json takes input [100]; the lab feeds 28x28 digits as [28,28,1] or [784]. Nothing else changed.',
  );
  // A model.json without its weights.
  await dropFiles(page, [{ name: 'lenet.json', bytes: shipped('models/lenet300/model.json') }]);
  await expect(page.getByTestId('import-notice')).toContainText(
    "cannot read the model's weights: weights.bin is not among the dropped files",
  );
  await keepScreenshot(page, testInfo.outputPath('bad-model.png'), { fullPage: true });

  // Nothing changed: the model, the history, no model listed.
  expect(await state(page)).toEqual(before);
  await expect(page.getByTestId('user-model')).toHaveCount(0);
  await expect(historyRows(page)).toHaveCount(before.runs.length);
});

test('history survives a reload, exports as JSON and CSV, and Clear asks first', async ({
  page,
}, testInfo) => {
  await openLab(page, 'v=2&model=lenet300&seed=1&steps=prune(fraction=0.5)&backend=wasm');
  await waitForNewRun(page, 'v=2&model=lenet300&seed=1&steps=prune(fraction=0.5)', 0);
  await page.getByTestId('step-0-fraction').fill('0.8');
  await waitForNewRun(page, 'v=2&model=lenet300&seed=1&steps=prune(fraction=0.8)', 1);
  const before = await state(page);

  await reload(page);
  await expect(historyRows(page)).toHaveCount(3); // two kept, one run by the reload
  expect((await state(page)).runs.slice(0, 2)).toEqual(before.runs);
  await expect(page.getByTestId('storage-note')).toHaveCount(0);

  // CSV: parsed back with a reader written here (RFC 4180: quoted fields, doubled quotes).
  const [csvDownload] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('history-csv').click(),
  ]);
  expect(csvDownload.suggestedFilename()).toMatch(/^complab-history-.*\.csv$/);
  const csv = (await saved(csvDownload, testInfo.outputPath('history.csv'))).toString('utf8');
  const rows = parseCsv(csv);
  const runs = (await state(page)).runs;
  expect(rows[0].slice(0, 4)).toEqual(['run', 'time', 'model', 'recipe']);
  expect(rows.slice(1).map((r) => r[3])).toEqual(runs.map((r) => r.recipeText));
  expect(rows.slice(1).map((r) => Number(r[5]))).toEqual(runs.map((r) => r.correct));
  const [jsonDownload] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('history-json').click(),
  ]);
  const json = JSON.parse(
    (await saved(jsonDownload, testInfo.outputPath('history.json'))).toString('utf8'),
  ) as { runs: { recipe: string; result: { correct: number } }[] };
  expect(json.runs.map((r) => [r.recipe, r.result.correct])).toEqual(
    runs.map((r) => [r.recipeText, r.correct]),
  );

  // Clear asks first; "Keep it" keeps everything.
  await page.getByRole('button', { name: 'Clear', exact: true }).click();
  await expect(page.getByTestId('clear-confirm')).toContainText('Clear all 3 runs');
  await keepScreenshot(page, testInfo.outputPath('clear-confirm.png'), { fullPage: true });
  await page.getByRole('button', { name: 'Keep it' }).click();
  await expect(historyRows(page)).toHaveCount(3);
  await page.getByRole('button', { name: 'Clear', exact: true }).click();
  await page.getByRole('button', { name: 'Clear history' }).click();
  await expect(historyRows(page)).toHaveCount(0);
  await reload(page);
  // Only the reload's own run: the cleared ones do not come back.
  await expect(historyRows(page)).toHaveCount(1);
});

test('a full disk and a window without IndexedDB: memory only, with a note, nothing lost', async ({
  page,
  freshContext,
}, testInfo) => {
  // A real QuotaExceededError from IndexedDB's put, switched on once the first run is saved.
  await page.addInitScript(() => {
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (...args: Parameters<typeof put>) {
      if ((window as { fullDisk?: boolean }).fullDisk) {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      }
      return put.apply(this, args);
    };
  });
  await openLab(page, 'v=2&model=lenet300&seed=1&steps=prune(fraction=0.5)&backend=wasm');
  await waitForNewRun(page, 'v=2&model=lenet300&seed=1&steps=prune(fraction=0.5)', 0);
  await page.evaluate(() => ((window as { fullDisk?: boolean }).fullDisk = true));
  await page.getByTestId('step-0-fraction').fill('0.7');
  await waitForNewRun(page, 'v=2&model=lenet300&seed=1&steps=prune(fraction=0.7)', 1);
  await expect(page.getByTestId('storage-note')).toContainText(
    "The history is no longer saved: the browser's storage is full (QuotaExceededError",
  );
  await expect(historyRows(page)).toHaveCount(2);
  // A model imported now still works, for this tab.
  await dropFiles(page, [
    { name: 'my-mlp.json', bytes: shipped('models/lenet300/model.json') },
    { name: 'weights.bin', bytes: shipped('models/lenet300/weights.bin') },
  ]);
  await expect(page.getByTestId('import-notice')).toContainText(
    "kept for this tab only: the browser's storage is full (QuotaExceededError",
  );
  await expect(page.getByTestId('user-model')).toContainText('this tab only');
  await keepScreenshot(page, testInfo.outputPath('storage-full.png'), { fullPage: true });
  // What was saved before the disk filled up is still there after a reload.
  await reload(page);
  const restored = await state(page);
  expect(restored.runs[0].recipeText).toBe('v=2&model=lenet300&seed=1&steps=prune(fraction=0.5)');

  // A private-window-like browser without IndexedDB: the lab runs, history lives in memory.
  await freshContext.addInitScript(() => {
    Object.defineProperty(window, 'indexedDB', { value: undefined, configurable: true });
  });
  const other = await freshContext.newPage();
  await openLab(other, 'v=2&model=lenet300&seed=1&steps=&backend=wasm');
  await waitForNewRun(other, 'v=2&model=lenet300&seed=1&steps=', 0);
  await expect(other.getByTestId('storage-note')).toContainText(
    'kept in memory only, so a reload loses them: this browser window offers no IndexedDB',
  );
  await expect(historyRows(other)).toHaveCount(1);
  await dropFiles(other, [
    { name: 'my-mlp.json', bytes: shipped('models/lenet300/model.json') },
    { name: 'weights.bin', bytes: shipped('models/lenet300/weights.bin') },
  ]);
  await expect(other.getByTestId('import-notice')).toContainText('kept for this tab only');
  await keepScreenshot(other, testInfo.outputPath('no-indexeddb.png'), { fullPage: true });
});
