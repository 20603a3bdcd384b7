import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..', '..');

async function reproduce(
  preset: string,
): Promise<{ paper: Record<string, unknown>; ours: Record<string, unknown> }> {
  // --batches 2: a smoke run of the real command (every epoch cut to 2 batches).
  const { stdout } = await promisify(execFile)(
    'node',
    [
      'bin/complab.mjs',
      'reproduce',
      preset,
      '--model',
      'lenet5',
      '--data',
      'mnist-10k',
      '--json',
      '--quiet',
      '--batches',
      '2',
    ],
    { cwd: root },
  );
  return JSON.parse(stdout) as { paper: Record<string, unknown>; ours: Record<string, unknown> };
}

describe('complab reproduce for the ternary and binary presets', () => {
  it.each([
    ['ttq', { conv1: 2, conv2: 2, fc1: 2, fc2: 2 }, /Zhu, Han, Mao, Dally/],
    ['xnor', { conv1: 32, conv2: 1, fc1: 1, fc2: 32 }, /Rastegari/],
  ])(
    '%s prints {paper, ours} with per-layer bits and the coded size',
    async (preset, bits, paper) => {
      const { paper: figures, ours } = await reproduce(preset);
      expect(figures.paper).toMatch(paper);
      expect(figures.firstAndLastLayer).toBe('full precision');
      for (const key of [
        'accuracy',
        'baselineAccuracy',
        'compressionRatio',
        'sizeBytes',
        'codedSizeBytes',
        'codedCompressionRatio',
        'elapsedMs',
      ]) {
        expect(typeof ours[key]).toBe('number');
      }
      expect(ours.recipe).toMatch(new RegExp(`steps=${preset}\\(.*batches=2`));
      expect(ours.shareUrl).toMatch(/^http:\/\/localhost:5173\/#v=2&model=lenet5/);
      const layers = ours.layers as Record<
        string,
        { bits: number; codedBytes: number; weights: number }
      >;
      expect(Object.fromEntries(Object.entries(layers).map(([k, l]) => [k, l.bits]))).toEqual(bits);
      // The coded bytes follow from the bits: packed codes, scales, float biases.
      const fc1 = layers.fc1;
      expect(fc1.codedBytes).toBe(
        preset === 'ttq' ? (800 * 500 * 2) / 8 + 8 + 500 * 4 : (800 * 500) / 8 + 500 * 4 + 500 * 4,
      );
      expect(ours.codedCompressionRatio).toBeGreaterThan(preset === 'ttq' ? 15 : 14);
    },
  );
});
