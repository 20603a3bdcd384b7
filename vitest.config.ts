import { defineConfig } from 'vitest/config';

// Unit tests of the engine, kernels and CLI in Node. Browser specs live in e2e/ (Playwright).
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // tfjs keeps one global engine per process; files run in separate forks, two at a time.
    pool: 'forks',
    maxWorkers: 2,
  },
});
