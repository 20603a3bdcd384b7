/** Bundles src/kernels/browser-check.ts for a page (esbuild, WGSL inlined) and runs it there. */
import type { Page } from '@playwright/test';
import { build } from 'esbuild';
import { rawTextPlugin } from '../scripts/raw-text-plugin.ts';

let bundle: Promise<string> | null = null;

function bundled(): Promise<string> {
  bundle ??= build({
    entryPoints: ['src/kernels/browser-check.ts'],
    bundle: true,
    write: false,
    format: 'iife',
    globalName: 'kernelChecks',
    target: 'es2022',
    plugins: [rawTextPlugin],
    logLevel: 'warning',
  }).then((result) => result.outputFiles[0].text);
  return bundle;
}

/** Opens a blank page on the preview server's origin (a secure context) with the checks loaded. */
export async function openKernelChecks(page: Page): Promise<void> {
  await page.route('**/kernel-checks.html', (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: '<!doctype html><title>kernel checks</title>',
    }),
  );
  await page.goto('kernel-checks.html');
  await page.addScriptTag({ content: await bundled() });
}
