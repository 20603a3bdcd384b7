import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../lab.ts';
import { createPredictor } from '../../model/program.ts';
import { getTransform } from '../../model/transforms.ts';
import { useNodeBackend } from '../../node/backend.ts';
import { parseRecipe } from '../../recipe/share.ts';
import { publicAssets } from '../../test/fixtures.ts';
import { digitsToTensor } from '../../data/batches.ts';
import { loadDigitSplit } from '../../data/digits.ts';
import { codingSummary } from './binary-common.ts';
import { checkThreshold, initialScales, TTQ_TRANSFORM, ternaryOf } from './ttq.ts';

const f = Math.fround;
const lab = new Lab({ read: publicAssets });

beforeAll(async () => {
  await useNodeBackend('wasm');
});

// max|w| = 1, so with t = 0.05 the zero band is |w| <= 0.05 (-0.06 falls outside it).
const latent = Float32Array.from([0.9, -0.02, 0.3, -0.5, 0.01, -1.0, 0.04, -0.06]);
const [wp, wn] = [0.7, 0.4];
const byHand = [wp, 0, wp, -wn, 0, -wn, 0, -wn].map(f);

function applyTtq(w: tf.Tensor, p: tf.Tensor, n: tf.Tensor): tf.Tensor {
  return getTransform(TTQ_TRANSFORM).apply(w, { threshold: 0.05 }, { positive: p, negative: n });
}

describe('trained ternary quantization (Zhu et al. 2017)', () => {
  it('ternarizes a small tensor as by hand, on the device and on the host alike', async () => {
    const y = tf.tidy(() => applyTtq(tf.tensor1d(latent), tf.tensor1d([wp]), tf.tensor1d([wn])));
    const computed = Array.from(await y.data());
    y.dispose();
    expect(computed).toEqual(byHand);
    const host = getTransform(TTQ_TRANSFORM).coding!(
      latent,
      [8],
      { threshold: 0.05 },
      { positive: Float32Array.of(wp), negative: Float32Array.of(wn) },
      undefined,
    );
    expect(Array.from(host.values)).toEqual(byHand);
    expect(host.coding).toEqual({ kind: 'ternary', positive: f(wp), negative: f(wn) });
    // Scales start at the mean magnitude above and below the threshold: (0.9 + 0.3) / 2 and
    // (0.5 + 1 + 0.06) / 3.
    const [p0, n0] = initialScales(latent, 0.05);
    expect(p0).toBeCloseTo(0.6, 6);
    expect(n0).toBeCloseTo(0.52, 6);
  });

  it("has the paper's gradients for the latent weights and both scales", () => {
    // L = sum(c * w_t): dL/dWp = sum of c over w > delta = 1 + 3; dL/dWn = -(4 + 6 + 8);
    // dL/dw = Wp c above the band, c inside it, Wn c below it.
    const c = tf.tensor1d([1, 2, 3, 4, 5, 6, 7, 8]);
    const inputs = [tf.tensor1d(latent), tf.tensor1d([wp]), tf.tensor1d([wn])];
    const grads = tf.grads((w: tf.Tensor, p: tf.Tensor, n: tf.Tensor) =>
      tf.sum(tf.mul(applyTtq(w, p, n), c)),
    )(inputs);
    const [dw, dp, dn] = grads.map((g) => Array.from(g.dataSync()));
    [0.7, 2, 2.1, 1.6, 5, 2.4, 7, 3.2].forEach((v, i) => expect(dw[i]).toBeCloseTo(v, 5));
    expect(dp).toEqual([4]);
    expect(dn).toEqual([-18]);
    tf.dispose([c, ...inputs, ...grads]);
  });

  it('refuses a threshold outside (0, 1), naming the step', async () => {
    expect(() => checkThreshold(0)).toThrow(/threshold must lie strictly between 0 and 1/);
    expect(() => checkThreshold(1)).toThrow(/got 1/);
    expect(() => parseRecipe('model=lenet5&steps=ttq(threshold=1.5)')).toThrow(
      /ttq threshold must be between 0.01 and 0.5/,
    );
    await expect(
      lab.run(parseRecipe('model=lenet5&steps=ttq(targets=pool1:1,epochs=0)')),
    ).rejects.toThrow(/step 1 \(ttq\): layer "pool1" has no conv or dense kernel/);
  });

  it('fine-tunes lenet300 ternary: learned scales, 3 values per layer, stored as 2 bits', async () => {
    const recipe = parseRecipe('model=lenet300&steps=ttq(epochs=1,batches=4)');
    const result = await lab.run(recipe);
    const graph = await lab.graphOf(recipe);
    const base = await lab.baseGraph('lenet300');
    let expectedBytes = 0;
    for (const name of ['fc1', 'fc2', 'fc3']) {
      const w = graph.node(name).weights[0];
      const coding = w.coding;
      if (coding?.kind !== 'ternary') throw new Error(`${name} is not ternary`);
      const { positive, negative } = coding;
      // Trained: the scales moved from where they started.
      const [p0, n0] = initialScales(base.node(name).weights[0].values, 0.05);
      expect(Math.abs(positive - p0) + Math.abs(negative - n0)).toBeGreaterThan(1e-4);
      // Written as 2-bit codes (0: zero, 1: +Wp, 2: -Wn), read back: the same floats, bit for bit.
      const packed = new Uint8Array(Math.ceil(w.values.length / 4));
      w.values.forEach((v, i) => {
        const code = v === 0 ? 0 : v === positive ? 1 : v === -negative ? 2 : 3;
        expect(code).not.toBe(3);
        packed[i >> 2] |= code << (2 * (i & 3));
      });
      const decoded = Float32Array.from(w.values, (_, i) => {
        const code = (packed[i >> 2] >> (2 * (i & 3))) & 3;
        return code === 0 ? 0 : code === 1 ? positive : -negative;
      });
      expect(decoded).toEqual(w.values);
      expectedBytes += packed.length + 8 + 4 * graph.node(name).weights[1].values.length;
    }
    expect(codingSummary(graph).bytes).toBe(expectedBytes);
    expect(codingSummary(graph, base).ratio).toBeGreaterThan(15);
    // The layer computes with exactly the stored floats: the transform, kept for later steps,
    // gives them back unchanged.
    const plain = graph.clone();
    for (const w of plain.weights) w.transform = undefined;
    const test = await loadDigitSplit(publicAssets, 'test');
    const x = digitsToTensor(test, 0, 100, [784]);
    const [a, b] = [createPredictor(graph), createPredictor(plain)];
    const [ya, yb] = [a.predict(x), b.predict(x)];
    expect(await ya.data()).toEqual(await yb.data());
    tf.dispose([x, ya, yb]);
    a.dispose();
    b.dispose();
    expect(result.accuracy).toBeGreaterThan(0.9);
    expect(graph.node('fc1').weights[0].transform?.id).toBe(TTQ_TRANSFORM);
  });

  it('computes on the host exactly what the device computes, for real weights', async () => {
    const w = (await lab.baseGraph('lenet5')).node('conv2').weights[0];
    const [p, n] = initialScales(w.values, 0.05);
    const y = tf.tidy(() =>
      applyTtq(tf.tensor(w.values, w.shape as number[]), tf.tensor1d([p]), tf.tensor1d([n])),
    );
    const device = new Float32Array(await y.data());
    y.dispose();
    expect(ternaryOf(w.values, 0.05, p, n).values).toEqual(device);
  });
});
