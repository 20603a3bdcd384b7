/**
 * End-to-end specs against the built app (`vite build` + `vite preview`) in Debian's headless
 * Chromium. One worker: the machine has two cores and each page runs a neural network.
 */
import { defineConfig } from '@playwright/test';

const PORT = Number(process.env.E2E_PORT ?? 4317);
/** A plain static server with the built lab under a sub-path (scripts/serve-static.ts). */
const SUBPATH_PORT = PORT + 1;
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
/** `npm test` builds dist/ while the type check and lint run (scripts/test.ts) and sets E2E_BUILT. */
const build = process.env.E2E_BUILT ? '' : 'npx vite build --logLevel warn && ';

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  outputDir: 'test-results',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 30_000 },
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${PORT}/`,
    browserName: 'chromium',
    viewport: { width: 1280, height: 900 },
    launchOptions: { executablePath },
    screenshot: 'only-on-failure',
    // Traces of actions and console only: screencast frames and DOM snapshots cost the page's compute a lot on two cores.
    trace: { mode: 'retain-on-failure', screenshots: false, snapshots: false, sources: true },
  },
  projects: [
    { name: 'chromium', testIgnore: /(webgpu|subpath)\.spec\.ts$/ },
    {
      // dist/ as any static host serves it, under /lab/ (and /plain/lab/ without headers).
      name: 'subpath',
      testMatch: /subpath\.spec\.ts$/,
      use: { baseURL: `http://127.0.0.1:${SUBPATH_PORT}/lab/` },
    },
    {
      // WebGPU needs the flag; on a machine without a GPU the adapter is SwiftShader (slow), so
      // its spec is kept to one small model.
      name: 'chromium-webgpu',
      testMatch: /webgpu\.spec\.ts$/,
      use: { launchOptions: { executablePath, args: ['--enable-unsafe-webgpu'] } },
    },
  ],
  // Started in order: the static server reads the dist/ the first one builds.
  webServer: [
    {
      command: `${build}npx vite preview --port ${PORT} --strictPort --host 127.0.0.1`,
      url: `http://127.0.0.1:${PORT}/`,
      reuseExistingServer: !process.env.CI,
      timeout: 180_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      command: `npx tsx scripts/serve-static.ts --dir dist --port ${SUBPATH_PORT} --base /lab/ --plain-base /plain/lab/`,
      url: `http://127.0.0.1:${SUBPATH_PORT}/lab/`,
      reuseExistingServer: !process.env.CI,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
  ],
});
