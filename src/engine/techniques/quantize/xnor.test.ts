import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { digitsToTensor } from '../../data/batches.ts';
import { loadDigitSplit, type DigitSplit } from '../../data/digits.ts';
import { Lab } from '../../lab.ts';
import { prepareGraphKernels } from '../../measure/kernels.ts';
import { removeChannels } from '../../model/edit.ts';
import { LayerGraph, makeWeight, type GraphNode } from '../../model/graph.ts';
import { binarizeActivations, binarizeFilters } from '../../model/binary-arithmetic.ts';
import { createPredictor } from '../../model/program.ts';
import { deserializeGraph, serializeGraph } from '../../model/serialize.ts';
import { useNodeBackend } from '../../node/backend.ts';
import { normalizeStep } from '../../recipe/recipe.ts';
import { parseRecipe } from '../../recipe/share.ts';
import { publicAssets } from '../../test/fixtures.ts';
import { branchyModel, userCnn } from '../../test/models.ts';
import type { TechniqueContext } from '../technique.ts';
import { bipolarRegularizer, clipLatent } from './tang.ts';
import { xnor } from './xnor.ts';

const lab = new Lab({ read: publicAssets });
let test: DigitSplit;

beforeAll(async () => {
  await useNodeBackend('wasm');
  test = await loadDigitSplit(publicAssets, 'test');
});

const sign = (v: number) => (v < 0 ? -1 : 1);
/** Deterministic values in [-1.5, 1.5] (some beyond the STE's |x| <= 1 band). */
const wave = (n: number, phase: number) =>
  Float32Array.from({ length: n }, (_, i) => 1.5 * Math.sin(1.7 * i + phase));

/** alpha per output filter (last axis), by hand. */
function alphas(w: Float32Array, out: number): number[] {
  const sums = new Array<number>(out).fill(0);
  w.forEach((v, i) => (sums[i % out] += Math.abs(v)));
  return sums.map((s) => s / (w.length / out));
}

/**
 * XNOR-Net's conv as the paper writes it, in plain loops: for each of m residual
 * binarizations E (E_0 = x), dot(sign(E) window, sign(W)) * alpha * K, K = the mean over the
 * window (in-image taps, divided by kh*kw) of A = mean |E| over channels; then the bias.
 */
function referenceConv(
  x: Float32Array,
  [n, h, w, c]: number[],
  weights: Float32Array,
  [kh, kw, , k]: number[],
  bias: Float32Array,
  stride: number,
  m: number,
): Float32Array {
  const oh = Math.ceil(h / stride);
  const ow = Math.ceil(w / stride);
  const padTop = Math.floor(Math.max((oh - 1) * stride + kh - h, 0) / 2);
  const padLeft = Math.floor(Math.max((ow - 1) * stride + kw - w, 0) / 2);
  const alpha = alphas(weights, k);
  const out = new Float32Array(n * oh * ow * k);
  let e = Float64Array.from(x);
  for (let round = 0; round < m; round++) {
    const a = new Float64Array(n * h * w);
    for (let p = 0; p < a.length; p++) {
      for (let ch = 0; ch < c; ch++) a[p] += Math.abs(e[p * c + ch]) / c;
    }
    for (let b = 0; b < n; b++) {
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          let kSum = 0;
          const dots = new Array<number>(k).fill(0);
          for (let ky = 0; ky < kh; ky++) {
            for (let kx = 0; kx < kw; kx++) {
              const iy = oy * stride - padTop + ky;
              const ix = ox * stride - padLeft + kx;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              const pixel = (b * h + iy) * w + ix;
              kSum += a[pixel];
              for (let ch = 0; ch < c; ch++) {
                for (let o = 0; o < k; o++) {
                  dots[o] +=
                    sign(e[pixel * c + ch]) * sign(weights[((ky * kw + kx) * c + ch) * k + o]);
                }
              }
            }
          }
          for (let o = 0; o < k; o++) {
            out[((b * oh + oy) * ow + ox) * k + o] += (dots[o] * alpha[o] * kSum) / (kh * kw);
          }
        }
      }
    }
    e = e.map((v, i) => v - a[Math.floor(i / c)] * sign(v));
  }
  return out.map((v, i) => v + bias[i % k]);
}

/** XNOR-Net's dense layer in plain loops: dot(sign(E), sign(W)) * alpha * mean |E|, summed. */
function referenceDense(
  x: Float32Array,
  batch: number,
  weights: Float32Array,
  inputs: number,
  units: number,
  bias: Float32Array,
  m: number,
): Float32Array {
  const alpha = alphas(weights, units);
  const out = new Float32Array(batch * units);
  let e = Float64Array.from(x);
  for (let round = 0; round < m; round++) {
    const beta = Array.from({ length: batch }, (_, b) => {
      let s = 0;
      for (let i = 0; i < inputs; i++) s += Math.abs(e[b * inputs + i]);
      return s / inputs;
    });
    for (let b = 0; b < batch; b++) {
      for (let o = 0; o < units; o++) {
        let dot = 0;
        for (let i = 0; i < inputs; i++) {
          dot += sign(e[b * inputs + i]) * sign(weights[i * units + o]);
        }
        out[b * units + o] += dot * alpha[o] * beta[b];
      }
    }
    e = e.map((v, i) => v - beta[Math.floor(i / inputs)] * sign(v));
  }
  return out.map((v, i) => v + bias[i % units]);
}

function oneLayerGraph(inputShape: number[], layer: Omit<GraphNode, 'inbound'>): LayerGraph {
  return new LayerGraph(
    [
      {
        name: 'in',
        className: 'InputLayer',
        config: { batchInputShape: [null, ...inputShape] },
        inbound: [],
        weights: [],
      },
      { ...layer, inbound: ['in'] },
    ],
    layer.name,
  );
}

async function predict(graph: LayerGraph, x: tf.Tensor): Promise<Float32Array> {
  const predictor = createPredictor(graph);
  const y = predictor.predict(x);
  const values = new Float32Array(await y.data());
  y.dispose();
  predictor.dispose();
  return values;
}

function expectClose(got: Float32Array, want: Float32Array, tolerance = 1e-5) {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
  }
  expect(worst).toBeLessThan(tolerance);
}

describe('binary layers (XNOR-Net, Rastegari et al. 2016)', () => {
  it.each([
    [1, 1],
    [2, 1],
    [1, 2],
  ])(
    'BinaryConv2D: alpha and K on a small conv match the paper in plain loops (%i binarization(s), stride %i)',
    async (m, stride) => {
      const shape = [2, 5, 6, 3];
      const kernelShape = [3, 3, 3, 4];
      const x = wave(2 * 5 * 6 * 3, 0.3);
      const weights = wave(3 * 3 * 3 * 4, 1.1).map((v) => v * 0.1);
      const bias = Float32Array.from([0.1, -0.2, 0.05, 0]);
      const graph = oneLayerGraph(shape.slice(1), {
        name: 'b',
        className: 'BinaryConv2D',
        config: {
          filters: 4,
          kernelSize: [3, 3],
          strides: [stride, stride],
          padding: 'same',
          activation: 'linear',
          activationBits: m,
        },
        weights: [
          makeWeight('b', 'kernel', kernelShape, weights),
          makeWeight('b', 'bias', [4], bias),
        ],
      });
      const input = tf.tensor(x, shape);
      const got = await predict(graph, input);
      input.dispose();
      expectClose(got, referenceConv(x, shape, weights, kernelShape, bias, stride, m));
    },
  );

  it.each([1, 2])(
    'BinaryDense matches the paper in plain loops (%i binarization(s))',
    async (m) => {
      const x = wave(3 * 37, 0.7);
      const weights = wave(37 * 5, 2.3).map((v) => v * 0.05);
      const bias = Float32Array.from([0.3, 0, -0.1, 0.2, 0.01]);
      const graph = oneLayerGraph([37], {
        name: 'd',
        className: 'BinaryDense',
        config: { units: 5, activation: 'linear', activationBits: m },
        weights: [makeWeight('d', 'kernel', [37, 5], weights), makeWeight('d', 'bias', [5], bias)],
      });
      const input = tf.tensor(x, [3, 37]);
      const got = await predict(graph, input);
      input.dispose();
      expectClose(got, referenceDense(x, 3, weights, 37, 5, bias, m));
    },
  );

  it('has straight-through gradients: the paper’s for weights, BinaryNet’s for inputs', () => {
    // W = [0.5, -3] (one filter, n = 2): alpha = 1.75; dC/dW = dC/dW~ (1/n + alpha 1_{|W|<=1}).
    const w = tf.tensor2d([0.5, -3], [2, 1]);
    const dw = tf.grad((v: tf.Tensor) => tf.sum(binarizeFilters(v)))(w);
    expect(Array.from(dw.dataSync())).toEqual([2.25, 0.5]);
    // Inputs: dy where |x| <= 1, 0 elsewhere.
    const x = tf.tensor1d([0.5, -2, 1, 0]);
    const c = tf.tensor1d([1, 2, 3, 4]);
    const dx = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(binarizeActivations(v), c)))(x);
    expect(Array.from(dx.dataSync())).toEqual([1, 0, 3, 4]);
    tf.dispose([w, dw, x, c, dx]);
  });

  it('Tang’s training terms: latent weights clipped to [-1, 1], bipolar gradient -2 lambda w', () => {
    const v = tf.variable(tf.tensor1d([1.5, -0.2, -4]));
    const weights = new Map([['k', v]]);
    const penalty = bipolarRegularizer(['k'], 0.1);
    // lambda * sum(1 - w^2) = 0.1 * ((1 - 2.25) + (1 - 0.04) + (1 - 16)).
    expect(penalty.penalty(weights).dataSync()[0]).toBeCloseTo(0.1 * (3 - 18.29), 5);
    const byName = tf.variableGrads(() => penalty.penalty(weights), [v]);
    const gradient = Array.from(Object.values(byName.grads)[0].dataSync());
    [-0.3, 0.04, 0.8].forEach((want, i) => expect(gradient[i]).toBeCloseTo(want, 5));
    clipLatent(['k'])(weights);
    expect(Array.from(v.dataSync()).map((x) => Math.fround(x))).toEqual(
      [1, -0.2, -1].map(Math.fround),
    );
    tf.dispose([v, ...Object.values(byName.grads), byName.value]);
  });
});

describe('the xnor step on lenet5', () => {
  it('makes binary layers behind batch norms, keeps the first and last float, stores +-alpha', async () => {
    const recipe = parseRecipe('model=lenet5&steps=xnor(epochs=0)');
    const graph = await lab.graphOf(recipe);
    const base = await lab.baseGraph('lenet5');
    expect(graph.nodes.map((n) => `${n.name}:${n.className}`)).toEqual([
      'conv1_input:InputLayer',
      'conv1:Conv2D',
      'pool1:MaxPooling2D',
      'conv2_bn:BatchNormalization',
      'conv2:BinaryConv2D',
      'pool2:MaxPooling2D',
      'fc1_bn:BatchNormalization',
      'flatten:Flatten',
      'fc1:BinaryDense',
      'fc2:Dense',
    ]);
    for (const [name, out] of [
      ['conv2', 50],
      ['fc1', 500],
    ] as const) {
      const w = graph.node(name).weights[0];
      const latent = base.node(name).weights[0].values;
      const alpha = alphas(latent, out);
      if (w.coding?.kind !== 'binary') throw new Error(`${name} is not binary`);
      const { scales } = w.coding;
      expect(scales.length).toBe(out);
      scales.forEach((s, o) => expect(s).toBeCloseTo(alpha[o], 7));
      // Every stored weight is exactly +-alpha of its filter, with the latent weight's sign.
      expect(w.values).toEqual(Float32Array.from(latent, (v, i) => sign(v) * scales[i % out]));
    }
    expect(graph.node('conv1').weights[0].coding).toBeUndefined();
    expect(graph.node('fc2').weights[0].coding).toBeUndefined();
  });

  it('predicts what float layers predict with sign(W) * alpha set by hand on inputs binarized by hand', async () => {
    const graph = await lab.graphOf(parseRecipe('model=lenet5&steps=xnor(epochs=1,batches=3)'));
    const upTo = (name: string) =>
      new LayerGraph(graph.nodes.slice(0, graph.nodes.findIndex((n) => n.name === name) + 1), name);
    const digits = digitsToTensor(test, 0, 16, [28, 28, 1]);
    // conv2: its input (after conv2_bn), binarized by hand, through a plain Conv2D whose
    // kernel is sign(W) * alpha computed here; then K and the bias by hand, then ReLU.
    const conv2 = graph.node('conv2');
    const x = await predict(upTo('conv2_bn'), digits);
    const signs = x.map(sign);
    const latent = conv2.weights[0].values;
    const alpha = alphas(latent, 50);
    const handKernel = latent.map((v, i) => sign(v) * alpha[i % 50]);
    const plain = oneLayerGraph([12, 12, 20], {
      name: 'p',
      className: 'Conv2D',
      config: { filters: 50, kernelSize: [5, 5], padding: 'valid', activation: 'linear' },
      weights: [makeWeight('p', 'kernel', [5, 5, 20, 50], handKernel)],
    });
    const signTensor = tf.tensor(signs, [16, 12, 12, 20]);
    const dots = await predict(plain, signTensor);
    signTensor.dispose();
    const bias = conv2.weights[1].values;
    const want = new Float32Array(dots.length);
    for (let b = 0; b < 16; b++) {
      for (let oy = 0; oy < 8; oy++) {
        for (let ox = 0; ox < 8; ox++) {
          let k = 0;
          for (let ky = 0; ky < 5; ky++) {
            for (let kx = 0; kx < 5; kx++) {
              const p = ((b * 12 + oy + ky) * 12 + ox + kx) * 20;
              for (let ch = 0; ch < 20; ch++) k += Math.abs(x[p + ch]) / 20 / 25;
            }
          }
          for (let o = 0; o < 50; o++) {
            const i = ((b * 8 + oy) * 8 + ox) * 50 + o;
            want[i] = Math.max(0, dots[i] * k + bias[o]);
          }
        }
      }
    }
    expectClose(await predict(upTo('conv2'), digits), want, 1e-4);
    // fc1 likewise: sign(x) . (sign(W) alpha) through a plain Dense, times mean |x|, + bias.
    const fc1 = graph.node('fc1');
    const flat = await predict(upTo('flatten'), digits);
    const w1 = fc1.weights[0].values;
    const a1 = alphas(w1, 500);
    const dense = oneLayerGraph([800], {
      name: 'q',
      className: 'Dense',
      config: { units: 500, activation: 'linear', useBias: false },
      weights: [
        makeWeight(
          'q',
          'kernel',
          [800, 500],
          w1.map((v, i) => sign(v) * a1[i % 500]),
        ),
      ],
    });
    const flatSigns = tf.tensor(flat.map(sign), [16, 800]);
    const d1 = await predict(dense, flatSigns);
    flatSigns.dispose();
    const b1 = fc1.weights[1].values;
    const want1 = d1.map((v, i) => {
      const b = Math.floor(i / 500);
      let beta = 0;
      for (let j = 0; j < 800; j++) beta += Math.abs(flat[b * 800 + j]) / 800;
      return Math.max(0, v * beta + b1[i % 500]);
    });
    expectClose(await predict(upTo('fc1'), digits), want1, 1e-4);
    digits.dispose();
  });

  it('measures latency on the XNOR kernels, which compute what the layers compute', async () => {
    for (const activations of [1, 2]) {
      const graph = await lab.graphOf(
        parseRecipe(`model=lenet5&steps=xnor(epochs=0,activations=${activations})`),
      );
      const kernels = await prepareGraphKernels(graph, 64);
      expect(kernels.get('conv2')?.kernel).toBe('xnor-wasm');
      expect(kernels.get('fc1')?.kernel).toBe('xnor-wasm');
      const digits = digitsToTensor(test, 0, 64, [28, 28, 1]);
      const fast = createPredictor(graph, kernels);
      const y = fast.predict(digits);
      const got = new Float32Array(await y.data());
      tf.dispose([y]);
      fast.dispose();
      kernels.forEach((k) => k.dispose());
      expectClose(got, await predict(graph, digits), 1e-4);
      digits.dispose();
    }
    const result = await lab.run(parseRecipe('model=lenet5&steps=xnor(epochs=0)'));
    const table = Object.fromEntries(result.layers.map((l) => [l.name, l]));
    expect(table.conv2.className).toBe('BinaryConv2D');
    expect(table.conv2.kernel?.kernel).toBe('xnor-wasm');
    expect(table.fc1.kernel?.kernel).toBe('xnor-wasm');
  });

  it('Tang’s toggles: PReLU, a scale before the softmax, two binarizations; the graph file keeps them', async () => {
    const recipe = parseRecipe(
      'model=lenet5&steps=xnor(prelu=true,scale=true,activations=2,bipolar=0.00001,lowLr=true,epochs=1,batches=3)',
    );
    const graph = await lab.graphOf(recipe);
    expect(graph.nodes.map((n) => n.className).slice(1)).toEqual([
      'Conv2D',
      'MaxPooling2D',
      'BatchNormalization',
      'BinaryConv2D',
      'PReLU',
      'MaxPooling2D',
      'BatchNormalization',
      'Flatten',
      'BinaryDense',
      'PReLU',
      'Dense',
      'Scale',
      'Activation',
    ]);
    expect(graph.output).toBe('fc2_softmax');
    expect(graph.node('conv2').config.activationBits).toBe(2);
    // Trained: the slopes and the class scales moved from 0.25 and 1.
    expect(graph.node('conv2_prelu').weights[0].values.some((v) => v !== 0.25)).toBe(true);
    expect(graph.node('fc2_scale').weights[0].values.some((v) => v !== 1)).toBe(true);
    const { graph: back } = deserializeGraph(serializeGraph(graph));
    const digits = digitsToTensor(test, 0, 32, [28, 28, 1]);
    expect(await predict(back, digits)).toEqual(await predict(graph, digits));
    digits.dispose();
    expect(graph.info().get('conv2_prelu')!.outputShape).toEqual([8, 8, 50]);
    expect(graph.info().get('conv2')!.macs).toBe(8 * 8 * 50 * 5 * 5 * 20);
  });

  it('edits reach through binary layers, batch norms and PReLUs', async () => {
    const graph = (
      await lab.graphOf(parseRecipe('model=lenet5&steps=xnor(prelu=true,epochs=0)'))
    ).clone();
    removeChannels(graph, [
      { producer: 'conv1', channels: [0, 3] },
      { producer: 'conv2', channels: [1] },
      { producer: 'fc1', channels: [7, 8] },
    ]);
    expect(graph.node('conv2_bn').weights[0].shape).toEqual([18]);
    expect(graph.node('conv2').weights[0].shape).toEqual([5, 5, 18, 49]);
    expect(graph.node('conv2').config.filters).toBe(49);
    expect(graph.node('conv2_prelu').weights[0].shape).toEqual([49]);
    expect(graph.node('fc1').weights[0].shape).toEqual([784, 498]);
    expect(graph.node('fc1').config.units).toBe(498);
    expect(graph.node('fc1_prelu').weights[0].shape).toEqual([498]);
  });

  it('puts a shared input’s batch norm on the binary layer’s edge only, and the scale on the logits', async () => {
    const model = branchyModel();
    const graph = await LayerGraph.fromModel(model);
    model.dispose();
    const train = await loadDigitSplit(publicAssets, 'train');
    const context: TechniqueContext = {
      seed: 1,
      trainDigits: () => Promise.resolve(train),
      validationAccuracy: () => Promise.reject(new Error('not asked for')),
      train: () => Promise.reject(new Error('epochs=0 trains nothing')),
      progress: () => {},
    };
    const step = normalizeStep('xnor', {
      targets: { res_a: 1, branch_1x1: 1, '*': 0 },
      scale: true,
      epochs: 0,
    });
    await xnor.apply(graph, step.params, context);
    // stem feeds res_a and the shortcut: only res_a reads the new batch norm.
    // (res_a_bn is taken by the model's own batch norm after res_a.)
    expect(graph.node('res_a_bn_2').inbound).toEqual(['stem']);
    expect(graph.node('res_a').inbound).toEqual(['res_a_bn_2']);
    expect(graph.node('res_add').inbound).toContain('stem');
    expect(graph.node('branch_1x1').inbound).toEqual(['branch_1x1_bn']);
    expect(graph.node('pad').inbound).toEqual(['pool']);
    // fc2 gives logits to a Softmax layer: the scale goes between them.
    expect(graph.node('fc2_scale').inbound).toEqual(['fc2']);
    expect(graph.node('probabilities').inbound).toEqual(['fc2_scale']);
    expect(graph.output).toBe('probabilities');
    expect(graph.node('res_a').className).toBe('BinaryConv2D');
    expect(graph.node('res_b').className).toBe('Conv2D');
  });

  it('refuses a layer it cannot binarize, naming it', async () => {
    const model = userCnn();
    const graph = await LayerGraph.fromModel(model);
    model.dispose();
    const unused = new Proxy({} as TechniqueContext, {
      get: () => () => Promise.reject(new Error('the step should have stopped first')),
    });
    const step = normalizeStep('xnor', { targets: { dw: 1, '*': 1 } });
    await expect(async () => xnor.apply(graph, step.params, unused)).rejects.toThrow(
      /layer "dw" is a DepthwiseConv2D; XNOR-Net binarizes Conv2D and Dense layers/,
    );
    await expect(
      lab.run(parseRecipe('model=lenet5&steps=xnor(targets=fc2:0|conv1:0|conv2:0|fc1:0)')),
    ).rejects.toThrow(/step 1 \(xnor\): no layer is left to quantize/);
  });
});
