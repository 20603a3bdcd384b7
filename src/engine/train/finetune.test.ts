import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { RunCancelledError } from '../cancel.ts';
import { digitsToTensor } from '../data/batches.ts';
import { loadDigitSplit, PIXELS, type DigitSplit } from '../data/digits.ts';
import { LayerGraph } from '../model/graph.ts';
import { createPredictor } from '../model/program.ts';
import { registerTransform } from '../model/transforms.ts';
import { useNodeBackend } from '../node/backend.ts';
import { pruneGlobalMagnitude } from '../techniques/prune/magnitude.ts';
import { publicAssets, shippedGraph } from '../test/fixtures.ts';
import { branchyModel, twoDenseGraph } from '../test/models.ts';
import { fineTuneGraph, weightDecay, type FineTuneOptions } from './finetune.ts';
import { groupLasso } from './group-lasso.ts';
import { trainModel } from './train.ts';

let train: DigitSplit;

const firstDigits = (split: DigitSplit, count: number): DigitSplit => ({
  count,
  images: split.images.subarray(0, count * PIXELS),
  labels: split.labels.subarray(0, count),
});

beforeAll(async () => {
  await useNodeBackend('wasm');
  train = await loadDigitSplit(publicAssets, 'train');
});

const short: FineTuneOptions = {
  epochs: 1,
  batchSize: 32,
  learningRate: 0.001,
  seed: 4,
  maxBatchesPerEpoch: 6,
};

describe('fine-tuning a graph', () => {
  it('keeps pruned weights at exactly zero while the others learn', async () => {
    const graph = await shippedGraph('lenet300');
    pruneGlobalMagnitude(graph, 0.7);
    const before = graph.clone();
    await fineTuneGraph(graph, train, short);
    let changed = 0;
    for (const [k, w] of graph.prunableWeights().entries()) {
      const old = before.prunableWeights()[k];
      for (let i = 0; i < w.values.length; i++) {
        if (!w.mask![i]) expect(Object.is(w.values[i], 0)).toBe(true);
        else if (w.values[i] !== old.values[i]) changed++;
      }
    }
    expect(changed).toBeGreaterThan(1000);
    expect(graph.nonzeroParams).toBe(before.nonzeroParams);
  });

  it('trains exactly like tfjs-layers trains the same model (batch norm statistics included)', async () => {
    // The reference: the LayersModel itself, trained by the same loop through model.apply.
    const model = branchyModel();
    const graph = await LayerGraph.fromModel(model);
    const initialMean = graph
      .node('res_a_bn')
      .weights.find((w) => w.role === 'moving_mean')!
      .values.slice();
    const digits = firstDigits(train, 48);
    const options = {
      epochs: 1,
      batchSize: 32,
      learningRate: 0.01,
      seed: 2,
      optimizer: 'momentum',
    } as const;
    await trainModel(model, digits, options);
    await fineTuneGraph(graph, digits, options);
    const reference = new Map(model.weights.map((w) => [w.originalName, w.read().dataSync()]));
    let compared = 0;
    for (const w of graph.weights) {
      const expected = reference.get(w.name)!;
      for (let i = 0; i < expected.length; i++) {
        expect(Math.abs(w.values[i] - expected[i])).toBeLessThan(1e-4);
      }
      compared++;
    }
    expect(compared).toBe(model.weights.length);
    // The moving statistics really moved (momentum 0.99 over three batches).
    const mean = graph.node('res_a_bn').weights.find((w) => w.role === 'moving_mean')!;
    expect(mean.values.every((v, i) => v !== initialMean[i])).toBe(true);
    model.dispose();
  });

  it('passes gradients straight through a rounding transform (and not without it)', async () => {
    // The same rounding, once with the straight-through estimator and once as plain tf.round,
    // whose gradient is zero: only the first lets the raw weights learn.
    registerTransform({
      id: 'test-round-no-ste',
      apply: (x, p) => tf.tidy(() => tf.mul(tf.round(tf.div(x, p.step)), p.step)),
    });
    const step = 0.05;
    const trained = async (id: string) => {
      const graph = await shippedGraph('lenet300');
      for (const w of graph.prunableWeights()) {
        w.transform = id === 'uniform' ? { id, params: { bits: 4 } } : { id, params: { step } };
      }
      const before = graph.prunableWeights().map((w) => w.values.slice());
      await fineTuneGraph(graph, train, short);
      return graph
        .prunableWeights()
        .reduce((n, w, k) => n + w.values.filter((v, i) => v !== before[k][i]).length, 0);
    };
    expect(await trained('uniform')).toBeGreaterThan(1000);
    expect(await trained('test-round-no-ste')).toBe(0);
  });

  it('evaluates with the transform applied: 4-bit weights predict as hand-quantized ones do', async () => {
    const graph = await shippedGraph('lenet300');
    const byHand = graph.clone();
    for (const [k, w] of graph.prunableWeights().entries()) {
      w.transform = { id: 'uniform', params: { bits: 4 } };
      const target = byHand.prunableWeights()[k];
      const scale = target.values.reduce((m, v) => Math.max(m, Math.abs(v)), 0) / 7;
      target.values = target.values.map((v) => Math.round(v / scale) * scale);
    }
    const x = digitsToTensor(firstDigits(train, 50), 0, 50, [784]);
    const [a, b] = [createPredictor(graph), createPredictor(byHand)];
    const [ya, yb] = [a.predict(x), b.predict(x)];
    const [va, vb] = [await ya.data(), await yb.data()];
    for (let i = 0; i < va.length; i++) expect(Math.abs(va[i] - vb[i])).toBeLessThan(1e-5);
    tf.dispose([x, ya, yb]);
    a.dispose();
    b.dispose();
  });

  it("trains a transform's own tensors: a shared codebook learns, its indices and the pruned zeros stay", async () => {
    // Weight sharing as Deep Compression fine-tunes it: every kept weight of fc2 is one of 4
    // codebook entries chosen by a fixed index; training moves only the codebook.
    registerTransform({
      id: 'test-codebook',
      apply: (x, _p, t) =>
        tf.tidy(() => tf.reshape(tf.gather(t.codebook, tf.cast(t.indices, 'int32')), x.shape)),
    });
    const graph = await shippedGraph('lenet300');
    pruneGlobalMagnitude(graph, 0.5);
    const w = graph.node('fc2').weights[0];
    const codebook = Float32Array.from([-0.1, -0.03, 0.03, 0.1]);
    const indices = Float32Array.from(w.values, (v) =>
      v < -0.05 ? 0 : v < 0 ? 1 : v < 0.05 ? 2 : 3,
    );
    w.transform = {
      id: 'test-codebook',
      params: {},
      tensors: {
        codebook: { shape: [4], values: codebook.slice(), trainable: true },
        indices: { shape: w.shape, values: indices.slice(), trainable: false },
      },
    };
    const mask = w.mask!.slice();
    await fineTuneGraph(graph, train, { ...short, learningRate: 0.01 });
    const tensors = w.transform.tensors!;
    expect(tensors.indices.values).toEqual(indices);
    expect([...tensors.codebook.values].some((v, k) => Math.abs(v - codebook[k]) > 1e-3)).toBe(
      true,
    );
    // What fc2 computes with: its codebook entries at the kept positions, exact zeros elsewhere.
    const byHand = graph.clone();
    const target = byHand.node('fc2').weights[0];
    target.transform = undefined;
    target.values = Float32Array.from(indices, (k, i) =>
      mask[i] ? tensors.codebook.values[k] : 0,
    );
    const x = digitsToTensor(firstDigits(train, 40), 0, 40, [784]);
    const [a, b] = [createPredictor(graph), createPredictor(byHand)];
    const [ya, yb] = [a.predict(x), b.predict(x)];
    const [va, vb] = [await ya.data(), await yb.data()];
    for (let i = 0; i < va.length; i++) expect(Math.abs(va[i] - vb[i])).toBeLessThan(1e-5);
    tf.dispose([x, ya, yb]);
    a.dispose();
    b.dispose();
  });

  it('sums the gradients of a gathered codebook per cluster (centroid fine-tuning)', () => {
    // Han et al. 2016, section 3.1: dL/dC_k = sum over weights in cluster k of dL/dW.
    const codebook = tf.tensor1d([0.5, -1, 2]);
    const indices = [2, 0, 0, 1, 2, 2];
    const upstream = [0.1, -0.2, 0.3, 0.4, -0.5, 0.6];
    const grad = tf.grad((c: tf.Tensor) =>
      tf.sum(tf.mul(tf.gather(c, tf.tensor1d(indices, 'int32')), tf.tensor1d(upstream))),
    )(codebook);
    const byHand = [-0.2 + 0.3, 0.4, 0.1 - 0.5 + 0.6];
    const got = grad.dataSync();
    byHand.forEach((g, k) => expect(got[k]).toBeCloseTo(g, 6));
    tf.dispose([codebook, grad]);
  });

  it('adds a regularizer to the loss: group lasso drives whole filters down', async () => {
    const graph = await shippedGraph('lenet5');
    const norms = (g: LayerGraph) => {
      const w = g.node('conv2').weights[0];
      let total = 0;
      for (let n = 0; n < 50; n++) {
        let sum = 0;
        for (let i = n; i < w.values.length; i += 50) sum += w.values[i] ** 2;
        total += Math.sqrt(sum);
      }
      return total;
    };
    const plain = graph.clone();
    const lasso = graph.clone();
    await fineTuneGraph(plain, train, short);
    await fineTuneGraph(lasso, train, {
      ...short,
      regularizers: [groupLasso([{ weight: 'conv2/kernel', kind: 'filters', lambda: 0.05 }])],
    });
    expect(norms(lasso)).toBeLessThan(norms(plain) * 0.98);
  });

  it('weight decay adds l2/2 times the squared kernel weights, biases left out', async () => {
    const graph = await twoDenseGraph();
    const weights = new Map(
      graph.weights.map((w) => [w.name, tf.variable(tf.tensor(w.values, w.shape as number[]))]),
    );
    const penalty = weightDecay(graph, 0.1).penalty(weights);
    // Kernels hold magnitudes 1..12 and 13..18: (650 + 1459) * 0.1 / 2.
    expect((await penalty.data())[0]).toBeCloseTo(105.45, 4);
    tf.dispose([penalty, ...weights.values()]);
  });

  it('stops within a batch when cancelled, leaves the graph untouched and no tensor behind', async () => {
    const graph = await shippedGraph('lenet300');
    const before = graph.clone();
    const tensors = tf.memory().numTensors;
    const controller = new AbortController();
    let batches = 0;
    await expect(
      fineTuneGraph(graph, train, {
        ...short,
        maxBatchesPerEpoch: 50,
        signal: controller.signal,
        onBatch: () => {
          if (++batches === 3) controller.abort();
        },
      }),
    ).rejects.toBeInstanceOf(RunCancelledError);
    expect(batches).toBe(3);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(
      graph.weights.every((w, k) => w.values.every((v, i) => v === before.weights[k].values[i])),
    ).toBe(true);
  });

  it('is reproducible for a seed, dropout included', async () => {
    const run = async () => {
      const graph = await shippedGraph('lenet300');
      await fineTuneGraph(graph, train, { ...short, dropout: 0.5 });
      return graph.weights.map((w) => Array.from(w.values));
    };
    expect(await run()).toEqual(await run());
  });
});
