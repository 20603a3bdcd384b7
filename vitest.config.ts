import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * The slowest test files, slowest first. Two forks take files in this order, so the long ones
 * start at once and the many short files fill in behind them, and both forks finish together;
 * without it a fresh checkout (no Vitest cache, as in CI) sorts by file size, and a long file
 * could start last and run alone. Update when a file grows.
 */
export const SLOWEST_FIRST = [
  'src/engine/compact-file.property.test.ts',
  'src/cli/cli.test.ts',
  'src/engine/leak.test.ts',
  'src/engine/compact-file.presets.test.ts',
  'src/engine/model/zoo-graph.test.ts',
  'src/cli/sweep.test.ts',
  'src/engine/onnx/fixture-models.test.ts',
  'src/cli/onnx-model.test.ts',
  'src/cli/export-onnx.test.ts',
  'src/engine/golden/golden-links.test.ts',
  'src/kernels/wasm-gradients.test.ts',
  'src/engine/techniques/decompose/decompose.test.ts',
  'src/cli/export.test.ts',
  'src/engine/onnx/from-graph.test.ts',
  'src/engine/onnx/fixtures.test.ts',
  'src/cli/compare.test.ts',
  'src/engine/lab.test.ts',
  'src/cli/export-model.test.ts',
  'src/engine/techniques/decompose/reproduce.test.ts',
  'src/engine/techniques/quantize/binary-reproduce.test.ts',
  'src/engine/techniques/quantize/xnor.test.ts',
];

/** The files above first, in their order; the rest as Vitest sorts them. */
class SlowestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const index = SLOWEST_FIRST.indexOf(relative(file.project.config.root, file.moduleId));
      return index < 0 ? SLOWEST_FIRST.length : index;
    };
    const rest = await super.sort(files);
    return rest
      .map((file, order) => ({ file, order }))
      .sort((a, b) => rank(a.file) - rank(b.file) || a.order - b.order)
      .map(({ file }) => file);
  }
}

// Unit tests of the engine, kernels and CLI in Node. Browser specs live in e2e/ (Playwright).
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    // A run's latency is sampled for 300 ms and 15 predictions per figure; the suite runs
    // hundreds of recipes (some through the CLI, which inherits this) and reads few latencies.
    // Tests of latency itself pass their own (src/engine/measure/latency.test.ts).
    env: { COMPLAB_LATENCY_WINDOW_MS: '20', COMPLAB_LATENCY_MIN_SAMPLES: '5' },
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // tfjs keeps one global engine per process; files run in separate forks, two at a time.
    pool: 'forks',
    maxWorkers: 2,
    sequence: { sequencer: SlowestFirstSequencer },
  },
});
