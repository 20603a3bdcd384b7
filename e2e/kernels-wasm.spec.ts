/** The WebAssembly SIMD kernels in headless Chromium, exact against their reference twins. */
import { expect, test } from './fixtures.ts';
import { openKernelChecks } from './kernel-checks.ts';

test('xnor and csr wasm kernels match their twins in the page', async ({ page }) => {
  await openKernelChecks(page);
  const results = await page.evaluate(() =>
    (
      window as unknown as { kernelChecks: typeof import('../src/kernels/browser-check.ts') }
    ).kernelChecks.checkWasmKernels(),
  );
  expect(Object.keys(results)).toHaveLength(4);
  for (const [kernel, mismatches] of Object.entries(results)) {
    expect(mismatches, kernel).toBe(0);
  }
});
