/**
 * The WebGPU kernels in headless Chromium (SwiftShader where there is no GPU), straight on a
 * GPUDevice, against their reference twins: float kernels within 1e-4, binary dots exact.
 */
import { expect, test } from './fixtures.ts';
import { openKernelChecks } from './kernel-checks.ts';

test('winograd, mec, xnor and csr WebGPU kernels match their twins in the page', async ({
  page,
}) => {
  await openKernelChecks(page);
  const results = await page.evaluate(() =>
    (
      window as unknown as { kernelChecks: typeof import('../src/kernels/browser-check.ts') }
    ).kernelChecks.checkWebGpuKernels(),
  );
  expect(typeof results, String(results)).toBe('object');
  const checks = results as Record<string, number>;
  expect(Object.keys(checks)).toHaveLength(6);
  for (const [kernel, value] of Object.entries(checks)) {
    if (kernel.startsWith('xnor')) expect(value, kernel).toBe(0);
    else expect(value, kernel).toBeLessThan(1e-4);
  }
});
