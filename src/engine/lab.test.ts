import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Lab, RunCancelledError } from './lab.ts';
import { loadModelCard } from './model/catalog.ts';
import { useNodeBackend } from './node/backend.ts';
import { parseRecipe, formatRecipe } from './recipe/share.ts';
import { publicAssets } from './test/fixtures.ts';
import { isKernelChoicesKey } from './measure/kernel-memory.ts';

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
    // Dense float32 plus the compact file's architecture (layers, configs, shapes: 569 bytes)
    // and a layout byte per tensor.
    expect(base.sizeBytes).toBeGreaterThan(4 * 266_610);
    expect(base.sizeBytes).toBeLessThan(4 * 266_610 + 600);

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
    expect(result.recipeText).toBe('v=2&model=lenet300&seed=1&steps=');
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
      // The pruned graph is reused from the wasm run; its accuracy is cpu's own evaluation.
      expect(onCpu.steps[0].cached).toBe(true);
      expect(Math.abs(onCpu.correct - onWasm.correct)).toBeLessThanOrEqual(1);
      expect(onCpu.sizeBytes).toBe(onWasm.sizeBytes);
    } finally {
      await useNodeBackend('wasm');
    }
  });

  it('opens a link made before the pipeline with the same accuracy, and no larger size', async () => {
    // Measured by the foundation release (its closing note): 53.10% and 68,694 bytes.
    const old = await lab.run(recipe('v=1&model=lenet300&seed=1&steps=prune(fraction=0.95)'));
    expect(old.correct).toBe(1062);
    expect(old.sizeBytes).toBeLessThanOrEqual(68_694);
    expect(old.recipeText).toBe('v=1&model=lenet300&seed=1&steps=prune(fraction=0.95)');
  });

  it('keeps every step under its recipe prefix: moving a later control re-runs only that step', async () => {
    const fresh = new Lab({ read: publicAssets });
    const prefix = 'model=lenet300&steps=prune(fraction=0.8);finetune(epochs=1,batches=5)';
    const first = await fresh.run(recipe(`${prefix};prune(fraction=0.9)`));
    expect(first.steps.map((s) => s.cached)).toEqual([false, false, false]);
    const moved = await fresh.run(recipe(`${prefix};prune(fraction=0.95)`));
    expect(moved.steps.map((s) => s.cached)).toEqual([true, true, false]);
    expect(moved.steps[1].accuracy).toBe(first.steps[1].accuracy);
    // The same recipe from scratch in another lab gives the same numbers to the digit and byte.
    const other = new Lab({ read: publicAssets });
    const again = await other.run(recipe(`${prefix};prune(fraction=0.95)`));
    expect(again.steps.every((s) => !s.cached)).toBe(true);
    expect(again.correct).toBe(moved.correct);
    expect(again.sizeBytes).toBe(moved.sizeBytes);
    // Each step reports what it left: pruning lowers the nonzero count, fine-tuning keeps it.
    expect(moved.steps[1].nonzeroParams).toBe(moved.steps[0].nonzeroParams);
    expect(moved.steps[2].nonzeroParams).toBeLessThan(moved.steps[1].nonzeroParams);
    expect(moved.steps[1].report?.training).toHaveLength(1);
    await Promise.all([fresh.dispose(), other.dispose()]);
  });

  it('reads prefixes back from a persistent store in a new session', async () => {
    const saved = new Map<string, Uint8Array>();
    const store = {
      get: async (key: string) => saved.get(key),
      set: async (key: string, bytes: Uint8Array) => void saved.set(key, bytes),
    };
    const text = 'model=lenet300&seed=5&steps=prune(fraction=0.7);finetune(epochs=1,batches=4)';
    const first = new Lab({ read: publicAssets, prefixStore: store });
    const computed = await first.run(recipe(text));
    // The fine-tuned prefix is kept; the one-shot pruning before it is cheap to redo. (The
    // store also keeps the kernel choices of each measured model, under keys of their own.)
    const prefixKeys = () => [...saved.keys()].filter((key) => !isKernelChoicesKey(key));
    expect(prefixKeys()).toHaveLength(1);
    const second = new Lab({ read: publicAssets, prefixStore: store });
    const restored = await second.run(recipe(text));
    expect(restored.steps.map((s) => s.cached)).toEqual([false, true]);
    expect(restored.correct).toBe(computed.correct);
    expect(restored.sizeBytes).toBe(computed.sizeBytes);
    // The store keeps counts only: each image's answer and confidence are evaluated again.
    expect(restored.predicted).toEqual(computed.predicted);
    expect(restored.confidence).toEqual(computed.confidence);
    // ...for this run's network, not the baseline's: the two bytes agree with its answers.
    const test = await second.test();
    const { top, truth } = restored.confidence!;
    let disagreeing = 0;
    for (let i = 0; i < test.count; i++) {
      const right = restored.predicted![i] === test.labels[i];
      if (right ? top[i] !== truth[i] : top[i] < truth[i]) disagreeing++;
    }
    expect(disagreeing).toBe(0);
    // A damaged entry is recomputed, not trusted.
    for (const key of prefixKeys()) saved.set(key, saved.get(key)!.subarray(0, 100));
    const third = new Lab({ read: publicAssets, prefixStore: store });
    const recomputed = await third.run(recipe(text));
    expect(recomputed.steps.map((s) => s.cached)).toEqual([false, false]);
    expect(recomputed.correct).toBe(computed.correct);
    await Promise.all([first.dispose(), second.dispose(), third.dispose()]);
  });

  it('names the step a recipe fails at, and serves the next run', async () => {
    await expect(
      lab.run(recipe('model=lenet5&steps=prune(fraction=0.5);prune-density(density=conv9:0.5)')),
    ).rejects.toThrow(/^step 2 \(prune-density\): .*"conv9"/);
    await expect(lab.run(recipe('model=lenet300&steps=ssl(filters=0.01)'))).rejects.toThrow(
      /^step 1 \(ssl\): filter, channel and shape groups need conv layers/,
    );
    const next = await lab.run(recipe('model=lenet5&steps=prune(fraction=0.5)'));
    expect(next.steps).toHaveLength(1);
  });

  it('cancels a fine-tuning step within a batch and keeps nothing of it', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const text = 'model=lenet300&seed=9&steps=finetune(epochs=1,batches=200)';
    const cancelled = lab.run(recipe(text), {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.batch === undefined) return;
        seen.push(p.batch);
        if (p.batch === 2) controller.abort();
      },
    });
    await expect(cancelled).rejects.toBeInstanceOf(RunCancelledError);
    expect(Math.max(...seen)).toBe(2);
    const done = await lab.run(recipe(text.replace('batches=200', 'batches=3')));
    expect(done.steps[0].cached).toBe(false);
  });

  it('removes filters with SSL: a smaller network, and the layer table says so', async () => {
    const result = await lab.run(
      recipe(
        'model=lenet5&steps=ssl(filters=0.05,channels=0.05,epochs=1,batches=40,lr=0.003,threshold=0.2)',
      ),
    );
    const report = result.steps[0].report as {
      channelsBefore: Record<string, number>;
      channelsAfter: Record<string, number>;
      groupNorms: { layers: Record<string, number[]> }[];
    };
    expect(report.channelsBefore).toEqual({ conv1: 20, conv2: 50, fc1: 500, fc2: 10 });
    const conv2 = result.layers.find((l) => l.name === 'conv2')!;
    expect(conv2.kernelShape![3]).toBe(report.channelsAfter.conv2);
    expect(report.channelsAfter.conv1 + report.channelsAfter.conv2).toBeLessThan(70);
    expect(result.params).toBeLessThan(result.baselineParams);
    expect(result.macs).toBeLessThan(result.baselineMacs);
    // Group norms were sampled over training, one per filter.
    expect(report.groupNorms.length).toBeGreaterThan(2);
    expect(report.groupNorms[0].layers.conv2).toHaveLength(50);
  });

  it('names an unknown model and lists the shipped ones', async () => {
    await expect(lab.run(recipe('model=resnet50'))).rejects.toThrow(
      /unknown model "resnet50".*lenet5, lenet300/,
    );
  });
});
