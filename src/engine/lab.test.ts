import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Lab, RunCancelledError } from './lab.ts';
import { loadModelCard } from './model/catalog.ts';
import { useNodeBackend } from './node/backend.ts';
import { parseRecipe, formatRecipe } from './recipe/share.ts';
import { publicAssets } from './test/fixtures.ts';

const lab = new Lab({ read: publicAssets });
const recipe = (text: string) => parseRecipe(text);

beforeAll(async () => {
  await useNodeBackend('wasm');
});

describe('Lab.run on the shipped models (wasm)', () => {
  it('reproduces the lenet300 card accuracy and shrinks the stored model when pruned', async () => {
    const card = await loadModelCard(publicAssets, 'lenet300');
    const base = await lab.run(recipe('model=lenet300'));
    expect(base.params).toBe(266_610);
    expect(base.macs).toBe(784 * 300 + 300 * 100 + 100 * 10);
    expect(base.accuracy).toBeGreaterThanOrEqual(0.96);
    expect(Math.abs(base.accuracy - card.testAccuracy)).toBeLessThanOrEqual(1 / 2000);
    // Dense float32 plus a few bytes of names and shapes per tensor.
    expect(base.sizeBytes).toBeGreaterThan(4 * 266_610);
    expect(base.sizeBytes).toBeLessThan(4 * 266_610 + 200);

    const pruned = await lab.run(recipe('model=lenet300&steps=prune(fraction=0.9)'));
    const kernelWeights = 784 * 300 + 300 * 100 + 100 * 10;
    expect(pruned.nonzeroParams).toBe(base.nonzeroParams - Math.round(0.9 * kernelWeights));
    // Each kept weight costs its float32 value plus a few bits of relative index: between 4
    // bytes (no index at all) and 5 (the 8-bit indices of the first format) per kept weight.
    const kept = pruned.nonzeroParams;
    expect(pruned.sizeBytes).toBeGreaterThan(4 * kept);
    expect(pruned.sizeBytes).toBeLessThan(5 * kept);
    expect(pruned.layers.filter((l) => l.params > 0).every((l) => l.layout === 'sparse')).toBe(
      true,
    );
    expect(pruned.baselineAccuracy).toBe(base.accuracy);
    // One-shot 90% pruning without retraining costs accuracy, but the net still works.
    expect(pruned.accuracy).toBeGreaterThan(0.5);
    expect(pruned.accuracy).toBeLessThan(base.accuracy + 0.01);
  });

  it('keeps lenet5 within half a point of its baseline at 50% pruning', async () => {
    const result = await lab.run(recipe('model=lenet5&steps=prune(fraction=0.5)'));
    expect(result.params).toBe(431_080);
    expect(result.macs).toBe(2_293_000);
    expect(result.baselineAccuracy).toBeGreaterThanOrEqual(0.98);
    expect(result.accuracy).toBeGreaterThan(result.baselineAccuracy - 0.005);
    expect(result.latencyMs).toBeGreaterThan(0);
  });

  it('gives the same numbers for the same recipe, including through its share text', async () => {
    const first = await lab.run(recipe('model=lenet5&seed=3&steps=prune(fraction=0.8)'));
    const again = await lab.run(recipe(formatRecipe(first.recipe)));
    expect(again.correct).toBe(first.correct);
    expect(again.sizeBytes).toBe(first.sizeBytes);
    expect(again.nonzeroParams).toBe(first.nonzeroParams);
  });

  it('reports the measured baseline for a recipe that changes nothing', async () => {
    const stages: string[] = [];
    const result = await lab.run(recipe('model=lenet300&steps=prune(fraction=0)'), {
      onProgress: (p) => stages.push(p.stage),
    });
    expect(result.recipeText).toBe('v=1&model=lenet300&seed=1&steps=');
    expect(result.accuracy).toBe(result.baselineAccuracy);
    expect(result.latencyMs).toBe(result.baselineLatencyMs);
    expect(result.sizeBytes).toBe(result.baselineSizeBytes);
    expect(stages).not.toContain('baseline'); // measured once, by the first lenet300 run
  });

  it('leaves tf.memory().numTensors where it found it after every run', async () => {
    await lab.run(recipe('model=lenet300'));
    for (const fraction of [0, 0.3, 0.97]) {
      const before = tf.memory().numTensors;
      await lab.run(recipe(`model=lenet300&steps=prune(fraction=${fraction})`));
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('stops a cancelled run and still serves the next one', async () => {
    const controller = new AbortController();
    const cancelled = lab.run(recipe('model=lenet5&steps=prune(fraction=0.6)'), {
      signal: controller.signal,
      onProgress: (p) => p.stage === 'evaluating' && controller.abort(),
    });
    await expect(cancelled).rejects.toBeInstanceOf(RunCancelledError);
    const next = await lab.run(recipe('model=lenet5&steps=prune(fraction=0.6)'));
    expect(next.accuracy).toBeGreaterThan(0.97);
  });

  it('agrees between wasm and cpu to within one digit of 2,000', async () => {
    const onWasm = await lab.run(recipe('model=lenet300&steps=prune(fraction=0.7)'));
    await useNodeBackend('cpu');
    try {
      const onCpu = await lab.run(recipe('model=lenet300&steps=prune(fraction=0.7)'));
      expect(onCpu.backend).toBe('cpu');
      expect(Math.abs(onCpu.correct - onWasm.correct)).toBeLessThanOrEqual(1);
      expect(onCpu.sizeBytes).toBe(onWasm.sizeBytes);
    } finally {
      await useNodeBackend('wasm');
    }
  });

  it('names an unknown model and lists the shipped ones', async () => {
    await expect(lab.run(recipe('model=resnet50'))).rejects.toThrow(
      /unknown model "resnet50".*lenet5, lenet300/,
    );
  });
});
