import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { clearKernelChoices, prepareLayerKernel } from '../../kernels/select.ts';
import { RunCancelledError } from '../cancel.ts';
import { loadDigitSplit, PIXELS, type DigitSplit } from '../data/digits.ts';
import { Lab, type PrefixStore } from '../lab.ts';
import { encodeModel } from '../encode/model-file.ts';
import { useNodeBackend } from '../node/backend.ts';
import { parseRecipe } from '../recipe/share.ts';
import { publicAssets } from '../test/fixtures.ts';
import { kernelChoicesKey } from './kernel-memory.ts';
import { latencyDifference, latencyFigure } from './latency-figure.ts';
import {
  LATENCY_FLOOR_SAMPLES,
  LATENCY_WARMUPS,
  measureLatencies,
  measureLatency,
} from './latency.ts';

describe('latencyFigure', () => {
  it('takes the median and the quartiles by linear interpolation (counted by hand)', () => {
    // Sorted 1..5: positions (n-1)q = 1, 2, 3.
    expect(latencyFigure([5, 1, 4, 2, 3])).toEqual({
      medianMs: 3,
      lowMs: 2,
      highMs: 4,
      minMs: 1,
      maxMs: 5,
      samples: 5,
    });
    // Sorted 1..4: positions 0.75, 1.5, 2.25 -> 1.75, 2.5, 3.25.
    expect(latencyFigure([4, 3, 2, 1])).toMatchObject({ medianMs: 2.5, lowMs: 1.75, highMs: 3.25 });
  });
});

describe('latencyDifference', () => {
  const figure = (latencyMs: number, lowMs: number, highMs: number) => ({
    latencyMs,
    spread: { lowMs, highMs, minMs: lowMs, maxMs: highMs, samples: 9 },
  });
  it('calls overlapping interquartile ranges no measurable difference', () => {
    expect(latencyDifference(figure(1.0, 0.8, 1.3), figure(1.2, 1.25, 1.4))).toEqual({
      kind: 'none',
    });
    // Without a spread (a run recorded before spreads were kept) nothing is claimed.
    expect(latencyDifference({ latencyMs: 1 }, { latencyMs: 9 })).toEqual({ kind: 'none' });
  });
  it('gives the speedup of disjoint ranges', () => {
    expect(latencyDifference(figure(1, 0.9, 1.1), figure(4, 3.5, 4.5))).toEqual({
      kind: 'faster',
      speedup: 4,
    });
    expect(latencyDifference(figure(4, 3.5, 4.5), figure(1, 0.9, 1.1))).toEqual({
      kind: 'slower',
      speedup: 0.25,
    });
  });
});

/** A 784-W-10 dense network on fixed pseudo-random weights: 784*W + W*10 MACs per digit. */
function denseNet(width: number) {
  let seed = width;
  const random = (n: number) =>
    Float32Array.from({ length: n }, () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31 - 0.5;
    });
  const w1 = tf.tensor2d(random(PIXELS * width), [PIXELS, width]);
  const w2 = tf.tensor2d(random(width * 10), [width, 10]);
  return {
    predict: (x: tf.Tensor) =>
      tf.tidy(() => tf.matMul(tf.relu(tf.matMul(x as tf.Tensor2D, w1)), w2)),
    dispose: () => {
      w1.dispose();
      w2.dispose();
    },
  };
}

describe('measureLatencies (Node, wasm)', () => {
  let test: DigitSplit;
  beforeAll(async () => {
    await useNodeBackend('wasm');
    test = await loadDigitSplit(publicAssets, 'test');
  });

  it('measures a network with 10x the multiply-adds clearly slower, interleaved in one window', async () => {
    // By hand: width 64 -> 784*64 + 64*10 = 50,816 MACs per digit; width 640 -> 508,160 (10x).
    const light = denseNet(64);
    const heavy = denseNet(640);
    try {
      const started = performance.now();
      const [l, h] = await measureLatencies([light.predict, heavy.predict], test, [PIXELS]);
      const wall = performance.now() - started;
      expect(wall).toBeGreaterThanOrEqual(600); // two figures, 300 ms of window each
      expect(l.samples).toBe(h.samples); // they took turns
      expect(l.samples).toBeGreaterThanOrEqual(5);
      // 10x the work: well over 3x the time, and the middle halves of the samples apart.
      expect(h.medianMs / l.medianMs).toBeGreaterThan(3);
      expect(h.lowMs).toBeGreaterThan(l.highMs);
      expect(
        latencyDifference(
          { latencyMs: h.medianMs, spread: h },
          { latencyMs: l.medianMs, spread: l },
        ).kind,
      ).toBe('slower');
    } finally {
      light.dispose();
      heavy.dispose();
    }
  });

  /** A model that takes `ms` of wall time a prediction (busy, as a slow conv net is), counted. */
  const slowModel = (ms: number) => {
    const model = {
      calls: 0,
      predict: (x: tf.Tensor) => {
        model.calls++;
        const until = performance.now() + ms;
        while (performance.now() < until);
        return tf.zeros([x.shape[0], 10]);
      },
    };
    return model;
  };

  it('samples a model too slow for 15 predictions in its window at least 15 times', async () => {
    // 40 ms a prediction: 300 ms of window hold 7 or 8; the figure must wait for 15.
    const model = slowModel(40);
    const started = performance.now();
    const figure = await measureLatency(model.predict, test, [PIXELS], { windowMs: 300 });
    const wall = performance.now() - started;
    expect(model.calls).toBe(LATENCY_WARMUPS + figure.samples);
    expect(figure.samples).toBeGreaterThanOrEqual(15);
    expect(figure.medianMs).toBeGreaterThanOrEqual(40);
    expect(wall).toBeGreaterThanOrEqual((LATENCY_WARMUPS + 15) * 40);
  });

  it('stops a very slow model at ten windows, but never below 5 predictions', async () => {
    // 40 ms a prediction with a 20 ms window: ten windows (200 ms) hold 5 of them, not 15.
    const model = slowModel(40);
    const figure = await measureLatency(model.predict, test, [PIXELS], { windowMs: 20 });
    expect(model.calls).toBe(LATENCY_WARMUPS + figure.samples);
    expect(figure.samples).toBeGreaterThanOrEqual(LATENCY_FLOOR_SAMPLES);
    expect(figure.samples).toBeLessThan(15);
    // 100 ms a prediction: ten windows hold 2, and the floor still asks for 5.
    const slower = slowModel(100);
    expect((await measureLatency(slower.predict, test, [PIXELS], { windowMs: 20 })).samples).toBe(
      LATENCY_FLOOR_SAMPLES,
    );
  });

  it('lets an abort from a timer in within ~50 ms', async () => {
    const net = denseNet(640);
    try {
      const controller = new AbortController();
      // From when the abort was due: a timer that fires late (work that never yields) counts.
      const abortDue = performance.now() + 150;
      setTimeout(() => controller.abort(), 150);
      const started = performance.now();
      const outcome = await measureLatency(net.predict, test, [PIXELS], {
        windowMs: 10_000,
        signal: controller.signal,
      }).catch((err: unknown) => err);
      const settled = performance.now();
      expect(outcome).toBeInstanceOf(RunCancelledError);
      expect(settled - started).toBeLessThan(2000); // far from the 10 s window
      expect(settled - abortDue).toBeLessThan(250); // one slice and one prediction, under load
    } finally {
      net.dispose();
    }
  });
});

describe('kernel autotuning (Node, wasm)', () => {
  it('lets an abort from a timer in within ~50 ms', async () => {
    await useNodeBackend('wasm');
    // One wide dense layer at 10% density: tfjs's matMul and the CSR kernel are both timed.
    const n = 1024;
    const weights = new Float32Array(n * n).map((_, i) => (i % 10 === 0 ? ((i % 7) - 3) / 7 : 0));
    const spec = { op: 'dense' as const, weights, shape: [n, n], inputShape: [n], batch: 128 };
    clearKernelChoices();
    const unaborted = performance.now();
    (await prepareLayerKernel(spec)).dispose();
    const fullMs = performance.now() - unaborted;
    clearKernelChoices();
    const controller = new AbortController();
    // Into the candidates' timing (before it, building the reference is one unit of work).
    const delay = fullMs * 0.3;
    // From when the abort was due: a timer that fires late (work that never yields) counts.
    const abortDue = performance.now() + delay;
    setTimeout(() => controller.abort(), delay);
    const outcome = await prepareLayerKernel(spec, { signal: controller.signal }).catch(
      (err: unknown) => err,
    );
    const settled = performance.now();
    expect(outcome).toBeInstanceOf(RunCancelledError);
    // ~50 ms slices plus one apply; on a loaded machine every stretch grows alike, so the bound
    // is a share of the unaborted autotune (without the slices it took 85 % of it).
    expect(settled - abortDue, `unaborted ${fullMs.toFixed(0)} ms`).toBeLessThan(
      Math.max(100, fullMs / 4),
    );
  });
});

/** An in-memory PrefixStore: what the page's IndexedDB and the CLI's --cache folder hold. */
function memoryStore(): PrefixStore & { entries: Map<string, Uint8Array> } {
  const entries = new Map<string, Uint8Array>();
  return {
    entries,
    get: async (key) => entries.get(key),
    set: async (key, bytes) => void entries.set(key, bytes),
  };
}

describe('a run and its baseline (Node, wasm)', () => {
  it('are measured in the same window, with spreads, on kernels kept with the model', async () => {
    await useNodeBackend('wasm');
    const store = memoryStore();
    const recipe = parseRecipe('v=1&model=lenet300&seed=1&steps=prune(fraction=0.95)');
    const first = await new Lab({ read: publicAssets, prefixStore: store }).run(recipe);
    for (const [median, spread] of [
      [first.latencyMs, first.latencySpread!],
      [first.baselineLatencyMs, first.baselineLatencySpread!],
    ] as const) {
      expect(spread.samples).toBeGreaterThanOrEqual(5);
      expect(spread.minMs).toBeLessThanOrEqual(spread.lowMs);
      expect(spread.lowMs).toBeLessThanOrEqual(median);
      expect(median).toBeLessThanOrEqual(spread.highMs);
      expect(spread.highMs).toBeLessThanOrEqual(spread.maxMs);
    }
    // Interleaved: one turn each.
    expect(first.latencySpread!.samples).toBe(first.baselineLatencySpread!.samples);

    // The choices are stored with each model (base and pruned), under the model's content.
    const keys = [...store.entries.keys()].filter((k) => k.startsWith('kernels|'));
    expect(keys).toHaveLength(2);
    const lab = new Lab({ read: publicAssets });
    const prunedKey = kernelChoicesKey(encodeModel(await lab.graphOf(recipe)).bytes, 'wasm', 64);
    expect(keys).toContain(prunedKey);
    const kernelOf = (r: typeof first, layer: string) =>
      r.layers.find((l) => l.name === layer)!.kernel!.kernel;
    // Another load (new Lab, the autotuner's own cache forgotten) reads them back: edit one in
    // the store and that edit is what the next load runs.
    const layer = first.layers.find((l) => l.kernel)!.name;
    const stored = {
      key: prunedKey,
      choices: JSON.parse(new TextDecoder().decode(store.entries.get(prunedKey))) as Record<
        string,
        { kernel: string }
      >,
    };
    expect(stored.choices[layer].kernel).toBe(kernelOf(first, layer));
    const other = stored.choices[layer].kernel === 'csr-wasm' ? 'tfjs-matmul' : 'csr-wasm';
    stored.choices[layer] = { kernel: other };
    store.entries.set(stored.key, new TextEncoder().encode(JSON.stringify(stored.choices)));
    clearKernelChoices();
    const second = await new Lab({ read: publicAssets, prefixStore: store }).run(recipe);
    expect(kernelOf(second, layer)).toBe(other);
    expect(second.correct).toBe(first.correct); // accuracy never runs on these kernels
  });
});
