/**
 * Batch norm in training mode with the lab's closed-form gradient, against two independent
 * references: a plain float64 implementation of the forward pass differentiated by central
 * differences, and tfjs's own composition (tf.moments + tf.batchNorm, differentiated by tfjs)
 * on the cpu backend. The wasm kernels and the tf-ops path (cpu) are both checked.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { digitsToTensor, labelsOf } from '../data/batches.ts';
import { loadDigitSplit, type DigitSplit } from '../data/digits.ts';
import { buildModel } from '../model/zoo.ts';
import { fileAssetReader } from '../node/assets.ts';
import { useNodeBackend } from '../node/backend.ts';
import { createRng } from '../util/random.ts';
import { batchNormInTraining, useFastBatchNorm } from './batch-norm.ts';
import { crossEntropyLoss } from './train.ts';

interface Case {
  shape: number[];
  values: Float64Array;
  gamma: Float64Array;
  beta: Float64Array;
  /** The loss is sum(y * weights): its gradient in y is `weights`. */
  weights: Float64Array;
  epsilon: number;
}

function randomCase(shape: number[], seed: number, offset: number): Case {
  const rng = createRng(seed);
  const channels = shape.at(-1)!;
  const size = shape.reduce((a, b) => a * b, 1);
  const draw = (n: number, scale: number, shift: number) =>
    Float64Array.from({ length: n }, () => shift + scale * (rng() * 2 - 1));
  return {
    shape,
    // Channels of different means and spreads, offset away from zero (a centred sum matters).
    values: draw(size, 1, offset).map((v, i) => v * (1 + (i % channels))),
    gamma: draw(channels, 1, 0.5),
    beta: draw(channels, 1, 0),
    weights: draw(size, 1, 0),
    epsilon: 1e-3,
  };
}

/** sum(y * weights) of batch norm in training mode, in float64, by the definition. */
function referenceLoss(c: Case, x: Float64Array, gamma: Float64Array, beta: Float64Array) {
  const channels = c.shape.at(-1)!;
  const n = x.length / channels;
  let loss = 0;
  for (let ch = 0; ch < channels; ch++) {
    let mean = 0;
    for (let r = 0; r < n; r++) mean += x[r * channels + ch];
    mean /= n;
    let variance = 0;
    for (let r = 0; r < n; r++) variance += (x[r * channels + ch] - mean) ** 2;
    variance /= n;
    for (let r = 0; r < n; r++) {
      const i = r * channels + ch;
      const y = (gamma[ch] * (x[i] - mean)) / Math.sqrt(variance + c.epsilon) + beta[ch];
      loss += y * c.weights[i];
    }
  }
  return loss;
}

/** Central differences of referenceLoss in every entry of x, gamma and beta. */
function numericGradients(c: Case) {
  const h = 1e-4;
  const derivative = (which: 0 | 1 | 2, index: number) => {
    const args = [c.values, c.gamma, c.beta].map((a) => a.slice());
    args[which][index] += h;
    const up = referenceLoss(c, args[0], args[1], args[2]);
    args[which][index] -= 2 * h;
    const down = referenceLoss(c, args[0], args[1], args[2]);
    return (up - down) / (2 * h);
  };
  return [c.values, c.gamma, c.beta].map((a, which) =>
    Float64Array.from(a, (_, i) => derivative(which as 0 | 1 | 2, i)),
  );
}

/** The lab's op on the active backend: output, statistics and gradients, on the host. */
function labResult(c: Case) {
  return tf.tidy(() => {
    const x = tf.tensor(Float32Array.from(c.values), c.shape);
    const gamma = tf.tensor1d(Float32Array.from(c.gamma));
    const beta = tf.tensor1d(Float32Array.from(c.beta));
    const w = tf.tensor(Float32Array.from(c.weights), c.shape);
    let stats: tf.Tensor[] = [];
    const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const r = batchNormInTraining(a, g as tf.Tensor1D, b as tf.Tensor1D, c.epsilon);
      stats = [r.mean, r.variance];
      return tf.sum(tf.mul(r.output, w));
    })([x, gamma, beta]);
    const r = batchNormInTraining(x, gamma, beta, c.epsilon);
    const out = {
      y: r.output.dataSync(),
      mean: r.mean.dataSync(),
      variance: r.variance.dataSync(),
      grads: grads.map((g) => g.dataSync()),
    };
    tf.dispose([r.mean, r.variance, ...stats]);
    return out;
  });
}

/** tfjs's own composition and gradient (what tfjs-layers trains with), on the active backend. */
function tfjsResult(c: Case) {
  return tf.tidy(() => {
    const x = tf.tensor(Float32Array.from(c.values), c.shape);
    const gamma = tf.tensor1d(Float32Array.from(c.gamma));
    const beta = tf.tensor1d(Float32Array.from(c.beta));
    const w = tf.tensor(Float32Array.from(c.weights), c.shape);
    const axes = c.shape.slice(0, -1).map((_, i) => i);
    const forward = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const { mean, variance } = tf.moments(a, axes);
      return tf.batchNorm(a, mean, variance, b as tf.Tensor1D, g as tf.Tensor1D, c.epsilon);
    };
    const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(forward(a, g, b), w)),
    )([x, gamma, beta]);
    const { mean, variance } = tf.moments(x, axes);
    return {
      y: forward(x, gamma, beta).dataSync(),
      mean: mean.dataSync(),
      variance: variance.dataSync(),
      grads: grads.map((g) => g.dataSync()),
    };
  });
}

/** Largest difference relative to the reference's largest magnitude (at least 1). */
function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let scale = 1;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  }
  return worst / scale;
}

const cases = [
  { name: '4-D conv activations', shape: [3, 4, 5, 6], offset: 2 },
  { name: '2-D dense activations', shape: [16, 5], offset: -3 },
  { name: 'one row per channel pair', shape: [2, 3], offset: 0.5 },
];

let digits: DigitSplit;
beforeAll(async () => {
  await useNodeBackend('wasm');
  digits = await loadDigitSplit(fileAssetReader(), 'train');
});

describe.each(['wasm', 'cpu'] as const)('batchNormInTraining on %s', (backend) => {
  it.each(cases)('matches float64 central differences: $name', async ({ shape, offset }) => {
    await tf.setBackend(backend);
    const c = randomCase(shape, 11, offset);
    const numeric = numericGradients(c);
    const lab = labResult(c);
    for (let k = 0; k < 3; k++) expect(relativeError(lab.grads[k], numeric[k])).toBeLessThan(2e-3);
    // A mistake in the statistics' own gradient (the usual bug) is O(1) of dx, not 1e-3.
    expect(relativeError(lab.grads[0], new Float64Array(numeric[0].length))).toBeGreaterThan(0.1);
    await tf.setBackend('wasm');
  });

  it.each(cases)('matches tfjs moments + batchNorm on cpu: $name', async ({ shape, offset }) => {
    const c = randomCase(shape, 23, offset);
    await tf.setBackend('cpu');
    const reference = tfjsResult(c);
    await tf.setBackend(backend);
    const before = tf.memory().numTensors;
    const lab = labResult(c);
    expect(tf.memory().numTensors).toBe(before);
    expect(relativeError(lab.y, reference.y)).toBeLessThan(1e-5);
    expect(relativeError(lab.mean, reference.mean)).toBeLessThan(1e-5);
    expect(relativeError(lab.variance, reference.variance)).toBeLessThan(1e-5);
    for (let k = 0; k < 3; k++) {
      expect(relativeError(lab.grads[k], reference.grads[k])).toBeLessThan(1e-4);
    }
    await tf.setBackend('wasm');
  });
});

describe('batchNormInTraining by hand', () => {
  it('normalizes [1, 2, 3, 6] with mean 3 and variance 3.5', async () => {
    await tf.setBackend('wasm');
    const r = batchNormInTraining(
      tf.tensor2d([1, 2, 3, 6], [4, 1]),
      tf.tensor1d([2]),
      tf.tensor1d([0.5]),
      0,
    );
    const expected = [1, 2, 3, 6].map((v) => (2 * (v - 3)) / Math.sqrt(3.5) + 0.5);
    expect(relativeError(r.output.dataSync(), expected)).toBeLessThan(1e-6);
    expect(r.mean.dataSync()[0]).toBeCloseTo(3, 6);
    expect(r.variance.dataSync()[0]).toBeCloseTo(3.5, 6);
    tf.dispose([r.output, r.mean, r.variance]);
  });

  it('refuses scales that do not match the channels', () => {
    expect(() =>
      tf.tidy(
        () => batchNormInTraining(tf.zeros([2, 3]), tf.ones([2]), tf.zeros([3]), 1e-3).output,
      ),
    ).toThrow('input of shape [2, 3] does not match 2 scales and 3 offsets');
  });
});

describe('useFastBatchNorm on a model', () => {
  it('trains resnext on wasm with the gradients tfjs computes on cpu, moving averages included', async () => {
    // Weights and a batch of real digits; the reference is tfjs's own layer on cpu.
    const run = async (backend: 'wasm' | 'cpu', fast: boolean, weights?: tf.Tensor[]) => {
      await tf.setBackend(backend);
      const model = buildModel('resnext', 3);
      if (weights) model.setWeights(weights);
      const initial = model.getWeights().map((w) => w.clone());
      const restore = fast ? useFastBatchNorm(model) : () => {};
      const x = digitsToTensor(digits, 0, 4, [28, 28, 1]);
      const y = tf.oneHot(tf.tensor1d(labelsOf(digits, 0, 4), 'int32'), 10);
      const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(
        () => crossEntropyLoss(model.apply(x, { training: true }) as tf.Tensor, y),
        variables,
      );
      restore();
      const result = {
        loss: value.dataSync()[0],
        grads: variables.map((v) => grads[v.name].dataSync()),
        // Moving averages after one training step, gamma/beta untouched.
        weights: model.getWeights().map((w) => w.dataSync().slice()),
        initial,
      };
      tf.dispose([x, y, value, ...Object.values(grads)]);
      model.dispose();
      return result;
    };
    const onWasm = await run('wasm', true);
    const host = onWasm.initial.map((w) => ({ values: w.dataSync(), shape: w.shape }));
    tf.dispose(onWasm.initial);
    await tf.setBackend('cpu');
    const cpuWeights = host.map((w) => tf.tensor(w.values, w.shape));
    const onCpu = await run('cpu', false, cpuWeights);
    tf.dispose([...cpuWeights, ...onCpu.initial]);

    expect(onWasm.loss).toBeCloseTo(onCpu.loss, 5);
    expect(onWasm.grads.length).toBe(onCpu.grads.length);
    for (let i = 0; i < onCpu.grads.length; i++) {
      expect(onCpu.grads[i].some((v) => v !== 0)).toBe(true);
      expect(relativeError(onWasm.grads[i], onCpu.grads[i])).toBeLessThan(1e-4);
    }
    // The moving means and variances moved, as tfjs-layers moves them.
    for (let i = 0; i < onCpu.weights.length; i++) {
      expect(relativeError(onWasm.weights[i], onCpu.weights[i])).toBeLessThan(1e-5);
    }
    await tf.setBackend('wasm');
  });

  it('restores the layers: afterwards training mode runs tfjs-layers code again', async () => {
    await tf.setBackend('wasm');
    const model = buildModel('nin', 1);
    const norm = model.getLayer('mlpconv1_conv5x5_bn') as unknown as { call: unknown };
    const original = norm.call;
    const restore = useFastBatchNorm(model);
    expect(norm.call).not.toBe(original);
    restore();
    expect(norm.call).toBe(original);
    model.dispose();
  });
});
