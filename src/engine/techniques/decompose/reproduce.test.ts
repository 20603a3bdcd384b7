import { describe, expect, it } from 'vitest';
import { complab } from '../../test/complab-cli.ts';

describe('complab and the decomposition family', () => {
  it('reproduce svd --model lenet300 --json prints {paper, ours} with ranks and both latencies', async () => {
    // On mnist-10k, the data set the preset was chosen on and these figures were checked on.
    const run = await complab(
      'reproduce',
      'svd',
      '--model',
      'lenet300',
      '--data',
      'mnist-10k',
      '--json',
      '--quiet',
    );
    expect(run.code).toBe(0);
    const { paper, ours } = JSON.parse(run.stdout) as {
      paper: Record<string, unknown>;
      ours: Record<string, unknown> & {
        decomposition: { layers: Record<string, { paramsBefore: number; paramsAfter: number }> };
      };
    };
    expect(paper.paper).toMatch(/Kim/);
    for (const key of [
      'accuracy',
      'baselineAccuracy',
      'params',
      'baselineParams',
      'macs',
      'baselineMacs',
      'latencyMs',
      'baselineLatencyMs',
      'elapsedMs',
    ]) {
      expect(typeof ours[key], key).toBe('number');
    }
    expect(ours.recipe).toMatch(
      /^v=2&model=lenet300&seed=1&steps=svd\(energy=\*:1,rank=fc1:64\);finetune\(/,
    );
    expect(ours.shareUrl).toBe(`http://localhost:5173/#${String(ours.recipe)}`);
    expect(ours.ranks).toEqual({ fc1: { rank: 64, rankSource: 'given' } });
    // fc1: 784 x 300 + 300 before; 64 x (784 + 300) + 300 after, 3.4x fewer.
    expect(ours.decomposition.layers.fc1.paramsBefore).toBe(235_500);
    expect(ours.decomposition.layers.fc1.paramsAfter).toBe(64 * 1084 + 300);
    expect(ours.params).toBe(266_610 - 235_500 + 64 * 1084 + 300);
    expect(ours.baselineParams).toBe(266_610);
  }, 240_000);

  it('exits non-zero with one line naming the step for a rank the layer cannot take', async () => {
    const run = await complab('eval', '--model', 'lenet300', '--recipe', 'steps=svd(rank=fc1:301)');
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toEqual([
      'complab: step 1 (svd): svd: the rank of fc1 must be between 1 and 300 (got 301)',
    ]);
    const conv = await complab('eval', '--model', 'lenet5', '--recipe', 'steps=svd(rank=conv1:3)');
    expect(conv.code).not.toBe(0);
    expect(conv.stderr).toMatch(
      /step 1 \(svd\): svd: conv1 is a Conv2D layer; SVD applies to Dense layers/,
    );
  }, 60_000);
});
