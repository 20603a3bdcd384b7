import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeModel, encodeModel } from '../../encode/model-file.ts';
import { Lab } from '../../lab.ts';
import { applyTransform } from '../../model/program.ts';
import { getTransform } from '../../model/transforms.ts';
import { useNodeBackend } from '../../node/backend.ts';
import { normalizeRecipe } from '../../recipe/recipe.ts';
import { parseShareState } from '../../recipe/share.ts';
import { publicAssets } from '../../test/fixtures.ts';
import { stageRatios } from './stages.ts';
import { kmeans1d } from './kmeans.ts';
import { roundHalfEven } from './transforms.ts';
import { weightedEntropyLevels } from './weighted-entropy.ts';

beforeAll(async () => {
  await useNodeBackend('wasm');
});

const recipe = (text: string) => normalizeRecipe(parseShareState(text).recipe);

/** What the transform computes on the backend, for host values. */
async function applied(
  id: string,
  values: Float32Array,
  shape: number[],
  params: Record<string, number>,
  tensors: Record<string, Float32Array> = {},
) {
  const made = Object.fromEntries(Object.entries(tensors).map(([k, v]) => [k, tf.tensor(v)]));
  const x = tf.tensor(values, shape);
  const y = applyTransform({ id, params }, x, made);
  const out = new Float32Array(await y.data());
  tf.dispose([x, y, ...Object.values(made)]);
  return out;
}

const sameBits = (a: Float32Array, b: Float32Array) =>
  a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

describe('k-means weight sharing', () => {
  it("finds Deep Compression's Figure 3 clusters from linear and density-based starts", () => {
    // The paper's 4x4 example: 4 clusters with centroids 2.00, 1.50, 0.00 and -1.00.
    const weights = Float32Array.from([
      2.09, -0.98, 1.48, 0.09, 0.05, -0.14, -1.08, 2.12, -0.91, 1.92, 0, -1.03, 1.87, 0, 1.53, 1.49,
    ]);
    for (const init of ['linear', 'density'] as const) {
      const { centroids, assignment } = kmeans1d(weights, 4, init);
      expect(Array.from(centroids).map((c) => Number(c.toFixed(2)))).toEqual([-1, 0, 1.5, 2]);
      // The paper's cluster index matrix (its indices 3, 0, 2, 1 are our -1, 2, 1.5, 0 order).
      expect(Array.from(assignment)).toEqual([3, 0, 2, 1, 1, 1, 0, 3, 0, 3, 1, 0, 3, 1, 2, 2]);
    }
    const random = kmeans1d(weights, 4, 'random', 7);
    expect(random.centroids.length).toBeLessThanOrEqual(4);
    random.assignment.forEach((k, i) =>
      expect(Math.abs(weights[i] - random.centroids[k])).toBeLessThan(1.1),
    );
  });
});

describe('linear fixed point', () => {
  it('rounds half to even as tf.round does, by hand on a 2-bit symmetric tensor', async () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2]);
    // scale = 1 / (2^1 - 1) = 1: -1 -> -1, 0.5 -> 0 (half to even), 1 -> 1.
    const values = Float32Array.from([-1, 0, 0.5, 1]);
    const params = { bits: 2, symmetric: 1, perChannel: 0 };
    const coding = getTransform('fixed-point').coding!(values, [4], params, {}, undefined);
    expect(Array.from(coding.values)).toEqual([-1, 0, 0, 1]);
    expect(Array.from(await applied('fixed-point', values, [4], params))).toEqual([-1, 0, 0, 1]);
  });

  it('stores exactly the floats the layer computes with, for every width and mode', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 16 }),
        fc.boolean(),
        fc.boolean(),
        fc.array(fc.float({ min: -3, max: 3, noNaN: true }), { minLength: 12, maxLength: 12 }),
        async (bits, symmetric, perChannel, raw) => {
          if (symmetric && bits < 2) return;
          const values = Float32Array.from(raw);
          const params = { bits, symmetric: symmetric ? 1 : 0, perChannel: perChannel ? 1 : 0 };
          const host = getTransform('fixed-point').coding!(values, [4, 3], params, {}, undefined);
          const device = await applied('fixed-point', values, [4, 3], params);
          expect(sameBits(host.values, device)).toBe(true);
          const c = host.coding;
          if (c.kind !== 'fixed') throw new Error('not fixed');
          expect(c.scales.length).toBe(perChannel ? 3 : 1);
          expect(c.levels.every((q) => q < 2 ** bits)).toBe(true);
          // At most 2^bits distinct values per channel.
          for (let ch = 0; ch < c.scales.length; ch++) {
            const seen = new Set(
              host.values.filter((_, i) => c.scales.length === 1 || i % 3 === ch),
            );
            expect(seen.size).toBeLessThanOrEqual(2 ** bits);
          }
        },
      ),
      { numRuns: 80 },
    );
  });
});

describe('activation quantizers', () => {
  it('linear: clip(round(x / s), 0, 2^bits - 1) s, by hand', async () => {
    // bits 2, max 3: s = 1; 1.5 and 2.5 round half to even.
    const x = Float32Array.from([-1, 0.4, 1.5, 2.5, 7]);
    expect(Array.from(await applied('act-linear', x, [5], { bits: 2, max: 3 }))).toEqual([
      0, 0, 2, 2, 3,
    ]);
  });

  it('log: 0 or 2^(e0 + i d), i = round((log2 x - e0) / d) capped at 2^bits - 2, by hand', async () => {
    // bits 2, e0 0, d 1: levels 0, 1, 2, 4. 0.5 gives i = -1 (zero); 0.8 gives round(-0.32) = 0.
    const x = Float32Array.from([-1, 0.5, 0.8, 1, 1.5, 3, 10]);
    expect(Array.from(await applied('act-log', x, [7], { bits: 2, e0: 0, d: 1 }))).toEqual([
      0, 0, 1, 1, 2, 4, 4,
    ]);
  });
});

describe('weighted-entropy levels', () => {
  it('with one bit, every weight becomes +-its root mean square (by hand)', () => {
    const { levels, bounds } = weightedEntropyLevels(Float32Array.from([1, -2, 3]), 1);
    expect(levels[0]).toBeCloseTo(Math.sqrt(14 / 3), 6);
    expect(Array.from(bounds)).toEqual([0]);
  });

  it('with two bits, puts the one boundary where a brute-force search of S puts it', () => {
    const weights = Float32Array.from({ length: 30 }, (_, i) => ((i * 37) % 29) / 29 - 0.5);
    const s = Array.from(weights, (w) => w * w).sort((a, b) => a - b);
    const n = s.length;
    // S = -sum_k wp_k ln(P_k / 2) over the two clusters [0, b) and [b, n).
    const entropy = (b: number) =>
      [
        [0, b],
        [b, n],
      ].reduce((sum, [from, to]) => {
        const wp = s.slice(from, to).reduce((a, v) => a + v, 0) / n;
        return sum - wp * Math.log((to - from) / n / 2);
      }, 0);
    let best = 1;
    for (let b = 1; b < n; b++) if (entropy(b) > entropy(best)) best = b;
    const { levels, bounds } = weightedEntropyLevels(weights, 2);
    expect(bounds[1]).toBeCloseTo(Math.sqrt(s[best]), 6);
    const mean = (from: number, to: number) =>
      s.slice(from, to).reduce((a, v) => a + v, 0) / (to - from);
    expect(levels[0]).toBeCloseTo(Math.sqrt(mean(0, best)), 6);
    expect(levels[1]).toBeCloseTo(Math.sqrt(mean(best, n)), 6);
  });

  it('gives 2^(bits-1) increasing magnitudes whose transform matches its stored codebook', async () => {
    const values = Float32Array.from(
      { length: 500 },
      (_, i) => Math.sin(i * 12.9898) * (i % 7) * 0.1,
    );
    const { levels, bounds } = weightedEntropyLevels(values, 3);
    expect(levels.length).toBe(4);
    for (let k = 1; k < 4; k++) {
      expect(levels[k]).toBeGreaterThan(levels[k - 1]);
      expect(bounds[k]).toBeGreaterThan(bounds[k - 1]);
      // Each boundary lies between the levels on either side.
      expect(bounds[k]).toBeGreaterThanOrEqual(levels[k - 1]);
      expect(bounds[k]).toBeLessThanOrEqual(levels[k]);
    }
    const tensors = { levels, bounds };
    const host = getTransform('wq-levels').coding!(values, [500], { bits: 3 }, tensors, undefined);
    const device = await applied('wq-levels', values, [500], { bits: 3 }, tensors);
    expect(sameBits(host.values, device)).toBe(true);
    expect(new Set(host.values).size).toBeLessThanOrEqual(8);
  });
});

describe('quantization recipes in the lab', () => {
  const lab = new Lab({ read: publicAssets });

  it('k-means + Huffman on pruned lenet300: sizes fall at each stage and the file decodes to the same accuracy', async () => {
    const result = await lab.run(
      recipe(
        'model=lenet300&steps=prune-density(density=fc1:0.08|fc2:0.09|fc3:0.26);kmeans(bits=*:5);huffman()',
      ),
    );
    const [pruned, shared, coded] = result.steps;
    // k-means keeps what the layers compute close: at most 0.5 points from the pruned network.
    expect(Math.abs(shared.accuracy - pruned.accuracy)).toBeLessThanOrEqual(0.005);
    expect(coded.accuracy).toBe(shared.accuracy);
    expect(shared.sizeBytes).toBeLessThan(pruned.sizeBytes / 3);
    expect(coded.sizeBytes).toBeLessThan(shared.sizeBytes);
    expect(stageRatios(result.steps, result.baselineSizeBytes).map((s) => s.stage)).toEqual([
      'pruning',
      'quantization',
      'huffman',
    ]);
    const fc1 = result.layers.find((l) => l.name === 'fc1')!;
    expect(fc1.layout).toBe('codebook');
    expect(fc1.storage?.codebook?.length).toBeLessThanOrEqual(32);
    expect(fc1.storage?.huffman).toBe(true);
    expect(fc1.storage!.valueBits).toBeLessThan(5);
    // The compact file is the size reported, and decodes to the same predictions.
    const graph = await lab.graphOf(result.recipe);
    const file = encodeModel(graph).bytes;
    expect(file.length).toBe(result.sizeBytes);
    const fileLab = new Lab({
      read: publicAssets,
      resolveModel: () => ({ read: publicAssets, modelJsonPath: 'x', compactFile: file }),
    });
    const fromFile = await fileLab.run(recipe('model=./file.clw'));
    expect(fromFile.correct).toBe(result.correct);
    expect(fromFile.sizeBytes).toBe(file.length);
    expect(decodeModel(file).node('fc1').weights[0].coding?.kind).toBe('codebook');
  });

  it('WQ(8,8) linear fixed point keeps lenet5 within 0.1 points without fine-tuning', async () => {
    const result = await lab.run(
      recipe('model=lenet5&steps=quantize-linear(weightBits=*:8,activationBits=8)'),
    );
    expect(result.steps[0].report?.quantization).toMatchObject({ name: 'WQ(8,8)' });
    expect(result.baselineAccuracy - result.accuracy).toBeLessThanOrEqual(0.001);
    // 8-bit levels with per-channel scales: a bit over a quarter of the float size.
    expect(result.compressionRatio).toBeGreaterThan(3.5);
  });

  it('names what a layer cannot take', async () => {
    await expect(lab.run(recipe('model=lenet300&steps=kmeans(bits=fc3:11)'))).rejects.toThrow(
      /kmeans: layer fc3 keeps 1000 weights, fewer than the 2048 clusters of 11 bits/,
    );
    await expect(
      lab.run(recipe('model=lenet300&steps=quantize-linear(weightBits=*:1,mode=symmetric)')),
    ).rejects.toThrow(/symmetric fixed point needs at least 2 bits/);
    await expect(lab.run(recipe('model=lenet300&steps=huffman()'))).rejects.toThrow(
      /huffman: no layer shares weights yet/,
    );
    expect(() => recipe('model=lenet300&steps=kmeans(bits=*:17)')).toThrow(/17/);
  });
});
