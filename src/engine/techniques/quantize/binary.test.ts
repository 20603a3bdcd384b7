import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { digitsToTensor } from '../../data/batches.ts';
import { loadDigitSplit } from '../../data/digits.ts';
import { Lab } from '../../lab.ts';
import { createPredictor } from '../../model/program.ts';
import { getTransform } from '../../model/transforms.ts';
import { useNodeBackend } from '../../node/backend.ts';
import { parseRecipe } from '../../recipe/share.ts';
import { publicAssets } from '../../test/fixtures.ts';
import { BINARY_CONNECT_TRANSFORM, BINARY_FILTERS_TRANSFORM, binaryOf } from './binary.ts';
import { codingSummary } from './binary-common.ts';

const lab = new Lab({ read: publicAssets });

beforeAll(async () => {
  await useNodeBackend('wasm');
});

describe('BinaryConnect (Courbariaux et al. 2015)', () => {
  it('binarizes to sign(w) times mean |w|, sign(0) = +1, with a clipped straight-through gradient', async () => {
    const transform = getTransform(BINARY_CONNECT_TRANSFORM);
    const w = tf.tensor1d([0.3, -0.1, 0, -0.2]); // mean |w| = 0.15
    const y = tf.tidy(() => transform.apply(w, {}, {}));
    expect(Array.from(await y.data())).toEqual([0.15, -0.15, 0.15, -0.15].map(Math.fround));
    const host = binaryOf(Float32Array.from([0.3, -0.1, 0, -0.2]), [4], false);
    expect(Array.from(host.values)).toEqual([0.15, -0.15, 0.15, -0.15].map(Math.fround));
    expect(Array.from(host.coding.scales)).toEqual([Math.fround(0.15)]);
    // dL/dw = dL/dw_b where |w| <= 1, else 0.
    const latent = tf.tensor1d([2, -0.5, 0.3, -1]);
    const c = tf.tensor1d([1, 2, 3, 4]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(transform.apply(v, {}, {}), c)))(latent);
    expect(Array.from(g.dataSync())).toEqual([0, 2, 3, 4]);
    tf.dispose([w, y, latent, c, g]);
  });

  it('per output channel on the host: one scale per filter', () => {
    // [2 inputs, 2 outputs]: column 0 holds 0.2, -0.4; column 1 holds -1, 3.
    const { values, coding } = binaryOf(Float32Array.from([0.2, -1, -0.4, 3]), [2, 2], true);
    expect(Array.from(coding.scales)).toEqual([0.3, 2].map(Math.fround));
    expect(Array.from(values)).toEqual([0.3, -2, -0.3, 2].map(Math.fround));
  });

  it('fine-tunes lenet300 binary: 1 bit a weight and one scale, the layer computing the stored floats', async () => {
    const recipe = parseRecipe('model=lenet300&steps=binaryconnect(epochs=1,batches=4)');
    const result = await lab.run(recipe);
    const graph = await lab.graphOf(recipe);
    let expectedBytes = 0;
    for (const node of graph.nodes.filter((n) => n.weights.length)) {
      const [w, bias] = node.weights;
      if (w.coding?.kind !== 'binary') throw new Error(`${node.name} is not binary`);
      const [s] = w.coding.scales;
      expect(w.coding.scales.length).toBe(1);
      expect(w.values.every((v) => v === s || v === -s)).toBe(true);
      expectedBytes += Math.ceil(w.values.length / 8) + 4 + 4 * bias.values.length;
    }
    expect(codingSummary(graph).bytes).toBe(expectedBytes);
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
    expect(result.accuracy).toBeGreaterThan(0.8);
  });

  it("scale=filter is XNOR-Net's binary-weight network: alpha per output filter, first and last float", async () => {
    // Forward by hand: [2 inputs, 2 filters], filter 0 holds 0.2, -0.4 (alpha 0.3), filter 1
    // holds -1, 3 (alpha 2).
    const transform = getTransform(BINARY_FILTERS_TRANSFORM);
    const w = tf.tensor2d([0.2, -1, -0.4, 3], [2, 2]);
    const y = tf.tidy(() => transform.apply(w, {}, {}));
    expect(Array.from(await y.data())).toEqual([0.3, -2, -0.3, 2].map(Math.fround));
    tf.dispose([w, y]);

    const recipe = parseRecipe(
      'model=lenet300&steps=binaryconnect(scale=filter,keepFirst=true,keepLast=true,epochs=1,batches=4)',
    );
    const result = await lab.run(recipe);
    const graph = await lab.graphOf(recipe);
    const kernels = graph.nodes.filter((n) => n.weights.length).map((n) => n.weights[0]);
    expect(kernels.map((k) => k.coding?.kind)).toEqual([undefined, 'binary', undefined]);
    const fc2 = kernels[1];
    if (fc2.coding?.kind !== 'binary') throw new Error('fc2 is not binary');
    const { scales } = fc2.coding;
    const filters = fc2.shape[1];
    expect(scales.length).toBe(filters);
    // Each stored weight is +-alpha of its own filter (the last axis).
    expect(fc2.values.every((v, i) => Math.abs(v) === scales[i % filters])).toBe(true);
    expect(result.accuracy).toBeGreaterThan(0.8);
  });
});
