/**
 * The built page runs under its Content-Security-Policy: no inline script, no eval, WebAssembly
 * compiled ('wasm-unsafe-eval'), workers from this origin only. The policy reaches the page (a
 * <meta> tag and the preview server's header) and the worker (its script's header). A recipe
 * that fine-tunes and evaluates on WASM runs with no violation and no console error (the fixture
 * fails a spec on either, the worker's violations included).
 */
import { expect, test } from './fixtures.ts';
import { openLab, testHook, waitForResult } from './lab-page.ts';
import { keepScreenshot } from './reference.ts';

const REQUIRED = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "object-src 'none'",
];

function expectStrict(policy: string | null | undefined, where: string) {
  expect(policy, where).toBeTruthy();
  for (const directive of REQUIRED) expect(policy, where).toContain(directive);
  expect(policy, where).not.toMatch(/'unsafe-inline'|'unsafe-eval'/);
}

test('the lab fine-tunes and evaluates on WASM under its Content-Security-Policy', async ({
  page,
  pageErrors,
}, testInfo) => {
  const workerPolicy = page
    .waitForResponse((response) => /\/assets\/lab\.worker-[^/]+\.js$/.test(response.url()))
    .then((response) => response.headers()['content-security-policy']);
  const documentResponse = await page.goto('/?test#v=2&model=lenet300&seed=1&steps=');
  expectStrict(documentResponse?.headers()['content-security-policy'], 'the page header');
  expectStrict(
    await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content'),
    'the page meta tag',
  );
  expectStrict(await workerPolicy, "the worker script's header");
  // No inline script in the built page at all.
  expect(await page.locator('script:not([src])').count()).toBe(0);

  // Pruning on the CSR WASM kernel, then fine-tuning (tfjs-wasm and the gradient kernels).
  const recipe =
    'v=2&model=lenet300&seed=1&steps=prune(fraction=0.9);finetune(epochs=1,lr=0.0001,decay=1,optimizer=adam,batch=64,batches=10,dropout=0,l2=0,layers=all,augment=true)';
  await openLab(page, `${recipe}&backend=wasm`, { testHooks: true });
  const shown = await waitForResult(page, recipe);
  expect(parseFloat(shown.accuracy)).toBeGreaterThan(80);
  await expect(page.getByTestId('backend-status')).toContainText('Running on WASM');
  await keepScreenshot(page, testInfo.outputPath('csp.png'));

  // The policy is in force, and its violations fail a spec: an inline script is refused in the
  // page, and so is eval in the worker.
  pageErrors.expect(/^console: CSP violation: script-src(-elem)? blocked inline/, 'inline script');
  pageErrors.expect(/^console: Executing inline script violates/, "the browser's own report");
  pageErrors.expect(
    /^worker console: CSP violation in the worker: script-src blocked eval/,
    'eval',
  );
  await page.evaluate(() => {
    const script = document.createElement('script');
    script.textContent = 'window.__inlineRan = true;';
    document.body.append(script);
  });
  expect(await page.evaluate(() => 'inlineRan' in window || '__inlineRan' in window)).toBe(false);
  expect(await testHook(page, 'evalInWorker')).toBe('refused: EvalError');
  // The worker's report reaches the console asynchronously: wait for each kind, not a count.
  for (const pattern of [
    /CSP violation: script-src(-elem)? blocked inline/,
    /CSP violation in the worker/,
  ]) {
    await expect.poll(() => pageErrors.seen.some((line) => pattern.test(line))).toBe(true);
  }
});
