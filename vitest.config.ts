import { defineConfig } from 'vitest/config';

// Unit tests of the engine, kernels and CLI in Node. Browser specs live in e2e/ (Playwright).
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    // A run's latency is sampled for 300 ms per figure; the suite runs hundreds of recipes
    // (some through the CLI, which inherits this) and reads few latencies. Tests of latency
    // itself pass their own windows (src/engine/measure/latency.test.ts).
    env: { COMPLAB_LATENCY_WINDOW_MS: '20' },
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // tfjs keeps one global engine per process; files run in separate forks, two at a time.
    pool: 'forks',
    maxWorkers: 2,
  },
});
