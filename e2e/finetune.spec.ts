import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, test } from './fixtures.ts';
import { historyRows, latestSteps, openLab, pasteLink, waitForResult } from './lab-page.ts';
import { keepScreenshot } from './reference.ts';

const run = promisify(execFile);

// Short fine-tunes on the small lenet300 (20 batches of 64 digits: about a second on WASM).
const SHORT = 'v=2&model=lenet300&seed=1&steps=prune(fraction=0.9);finetune(epochs=1,batches=20)';
const canonical = (recipe: string) =>
  recipe.replace(
    'finetune(epochs=1,batches=20)',
    'finetune(epochs=1,lr=0.0001,decay=1,optimizer=adam,batch=64,batches=20,dropout=0,l2=0,layers=all,augment=true)',
  );

// The page is cross-origin isolated, so it trains and evaluates on the threaded wasm build;
// complab eval runs in Node, single-threaded: the same numbers show that threads change none.
test('a fine-tuned recipe gives the same correct count, bytes and training loss in the page (threaded) and in complab eval', async ({
  page,
}, testInfo) => {
  const cli = run('node', ['bin/complab.mjs', 'eval', '--recipe', SHORT, '--json'], {
    timeout: 60_000,
  });
  await openLab(page, `${SHORT}&backend=wasm`);
  await waitForResult(page, canonical(SHORT));
  const shown = await page.evaluate(() => {
    const r = window.__complab!.getState().runs.at(-1)!.result;
    return {
      correct: r.correct,
      sizeBytes: r.sizeBytes,
      backend: r.backend,
      trainedOn: r.trainedOn,
      loss: (r.steps[1].report as { training: { loss: number }[] }).training[0].loss,
    };
  });
  const printed = JSON.parse((await cli).stdout) as {
    correct: number;
    sizeBytes: number;
    trainedOn: string;
    recipe: string;
    steps: { report: { training: { loss: number }[] } }[];
  };
  expect(printed.recipe).toBe(canonical(SHORT));
  expect(shown).toEqual({
    correct: printed.correct,
    sizeBytes: printed.sizeBytes,
    backend: 'wasm',
    trainedOn: 'wasm',
    loss: printed.steps[1].report.training[0].loss,
  });
  // One wasm thread per logical core but one (backends.ts leaves the page a core).
  const cores = (await page.evaluate('navigator.hardwareConcurrency')) as number;
  const threads = Math.max(1, cores - 1);
  await expect(page.getByTestId('backend-status')).toContainText(
    threads > 1 ? `Running on WASM (${threads} threads)` : /Running on WASM(?! \()/,
  );
  // What the page prints, too.
  await expect(page.getByTestId('accuracy')).toHaveText(
    `${((printed.correct / 2000) * 100).toFixed(2)} %`,
  );
  await expect(page.getByTestId('size-bytes')).toContainText(
    `${printed.sizeBytes.toLocaleString('en-US')} bytes`,
  );
  await expect(page.getByTestId('trained-on')).toContainText('Fine-tuned on WASM');
  await expect(page.getByTestId('step-row')).toHaveCount(2);
  await expect(page.getByTestId('step-row').nth(1)).toContainText('1 epoch: loss');
  await keepScreenshot(page, testInfo.outputPath('finetuned.png'), { fullPage: true });
});

test('moving a control after a cached fine-tuned prefix re-runs only the last step', async ({
  page,
}) => {
  const first = `${SHORT};prune(fraction=0.95)`;
  await openLab(page, `${first}&backend=wasm`);
  await waitForResult(page, canonical(first));
  expect((await latestSteps(page)).map((s) => s.cached)).toEqual([false, false, false]);
  const tuned = (await latestSteps(page))[1].correct;

  const slider = page.getByTestId('step-2-fraction');
  await expect(slider).toHaveAccessibleName('Pruned weights');
  await slider.fill('0.96');
  await expect(page.getByTestId('step-2-fraction-value')).toHaveText('96 %');
  await waitForResult(page, canonical(`${SHORT};prune(fraction=0.96)`), 20_000);
  const steps = await latestSteps(page);
  expect(steps.map((s) => s.cached)).toEqual([true, true, false]);
  expect(steps[1]).toEqual({
    technique: 'finetune',
    cached: true,
    correct: tuned,
    trainedOn: 'wasm',
  });
  await expect(page.getByTestId('step-row').nth(1)).toContainText('cached');
  await expect(historyRows(page)).toHaveCount(2);
});

test('a reload keeps the fine-tuned prefix in IndexedDB', async ({ page }) => {
  await openLab(page, `${SHORT}&backend=wasm`);
  await waitForResult(page, canonical(SHORT));
  const before = await latestSteps(page);
  expect(before.map((s) => s.cached)).toEqual([false, false]);

  await page.reload();
  await waitForResult(page, canonical(SHORT));
  const after = await latestSteps(page);
  // Memory is empty after a reload: the fine-tuned step came back from IndexedDB with the same
  // numbers; the one-shot pruning before it is cheap, so it is recomputed rather than stored.
  expect(after).toEqual(before.map((s, i) => ({ ...s, cached: i === 1 })));
});

test('progress shows epoch, batch, loss and a time estimate; Cancel keeps the last result', async ({
  page,
}, testInfo) => {
  const good = 'v=2&model=lenet5&seed=1&steps=prune(fraction=0.8)';
  await openLab(page, `${good}&backend=wasm`);
  await waitForResult(page, good);

  // Three whole epochs of LeNet-5: half a minute, far longer than this test waits.
  await pasteLink(
    page,
    'v=2&model=lenet5&seed=1&steps=prune(fraction=0.8);finetune(epochs=3)&backend=wasm',
  );
  const status = page.getByTestId('run-status');
  await expect(page.getByTestId('run-training')).toContainText(
    /epoch 1 of 3 · batch \d+ of 125 · loss \d\.\d{3} · running accuracy/,
  );
  await expect(page.getByTestId('run-stage')).toContainText('step 2 of 2 (Fine-tune)');
  await expect(page.getByTestId('run-eta')).toContainText(/about \d+ (s|min)/);
  await expect
    .poll(() =>
      page.getByTestId('run-progress').evaluate((el) => (el as HTMLProgressElement).value),
    )
    .toBeGreaterThan(0);
  await keepScreenshot(page, testInfo.outputPath('progress.png'));

  await page.getByTestId('cancel-run').click();
  await expect(status).toHaveAttribute('data-phase', 'cancelled');
  await expect(page.getByTestId('run-cancelled')).toContainText(
    /Cancelled at step 2 of 2 \(Fine-tune\) \(fine-tuning · epoch 1 of 3 · batch \d+ of 125/,
  );
  // The last good result, the history and the link stay as they were.
  await expect(page.getByTestId('result')).toHaveAttribute('data-recipe', good);
  await expect(historyRows(page)).toHaveCount(1);
  await expect(page).toHaveURL(/steps=prune\(fraction=0\.8\);finetune\(epochs=3,/);
  await keepScreenshot(page, testInfo.outputPath('cancelled.png'));

  // The engine is free again at once: with no epochs the fine-tuning card is skipped, and the
  // recipe runs from the cache.
  await page.getByTestId('step-1-epochs').fill('0');
  await expect(page.getByTestId('step-1-skipped')).toBeVisible();
  await expect(historyRows(page)).toHaveCount(2, { timeout: 20_000 });
  await waitForResult(page, good);
  expect(await latestSteps(page)).toEqual([
    expect.objectContaining({ technique: 'prune', cached: true }),
  ]);
});

test('a result fine-tuned on WASM and evaluated on another backend says so', async ({ page }) => {
  await openLab(page, `${SHORT}&backend=cpu`);
  await waitForResult(page, canonical(SHORT));
  await expect(page.getByTestId('backend-status')).toContainText('Running on CPU');
  const note = page.getByTestId('trained-on');
  await expect(note).toHaveAttribute('data-trained-on', 'wasm');
  await expect(note).toContainText('Fine-tuned on WASM, evaluated on CPU');
  await expect(note).toContainText('its numbers may differ slightly');
  expect((await latestSteps(page))[1].trainedOn).toBe('wasm');
});
