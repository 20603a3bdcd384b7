/**
 * Training and measuring when something fails half-way: a loss or a regularizer that throws, an
 * optimizer update that throws, a data read that rejects (a lost GPU context), a weight that
 * cannot become a tensor. Each failure reaches the caller, and no tensor is left behind.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadDigitSplit, PIXELS, type DigitSplit } from '../data/digits.ts';
import { evaluateAccuracy } from '../measure/accuracy.ts';
import { measureLatency } from '../measure/latency.ts';
import { modelJsonPath } from '../model/catalog.ts';
import { LayerGraph } from '../model/graph.ts';
import { modelFromArtifacts, readModelArtifacts } from '../model/load.ts';
import { createPredictor } from '../model/program.ts';
import { useNodeBackend } from '../node/backend.ts';
import { pruneGlobalMagnitude } from '../techniques/prune/magnitude.ts';
import { publicAssets } from '../test/fixtures.ts';
import { fineTuneGraph, type FineTuneOptions } from './finetune.ts';
import { trainLoop, type TrainOptions, type TrainTarget } from './train.ts';

let digits: DigitSplit;
let lenet300: LayerGraph;

beforeAll(async () => {
  await useNodeBackend('wasm');
  const train = await loadDigitSplit(publicAssets, 'train');
  digits = { count: 256, images: train.images.subarray(0, 256 * PIXELS), labels: train.labels };
  const model = await modelFromArtifacts(
    await readModelArtifacts(publicAssets, modelJsonPath('lenet300')),
    'lenet300',
  );
  lenet300 = await LayerGraph.fromModel(model);
  model.dispose();
});

afterEach(() => {
  vi.restoreAllMocks();
});

const options: TrainOptions = { epochs: 1, batchSize: 32, learningRate: 0.01, seed: 3 };
const failure = new Error('lost the device');
function throwing(): never {
  throw failure;
}

/** A softmax regression on the digits, with hooks that can be made to fail. */
function regression(hooks: Partial<TrainTarget> = {}) {
  const w = tf.variable(tf.zeros([784, 10]), true, undefined, 'float32');
  const target: TrainTarget = {
    inputShape: [784],
    variables: [w],
    forward: (x) => tf.softmax(tf.matMul(x, w)),
    ...hooks,
  };
  return { target, dispose: () => w.dispose() };
}

/** Runs `action` (expected to reject with `error`) and returns how many tensors it left. */
async function leftBehind(action: () => Promise<unknown>, error: unknown = failure) {
  const before = tf.memory().numTensors;
  await expect(action()).rejects.toBe(error);
  return tf.memory().numTensors - before;
}

/** Makes the nth call of tensor.data() (counting from 1) reject, as after a lost GPU context. */
function rejectNthDataRead(n: number) {
  const original = tf.Tensor.prototype.data;
  let calls = 0;
  vi.spyOn(tf.Tensor.prototype, 'data').mockImplementation(function (this: tf.Tensor) {
    if (++calls === n) return Promise.reject(failure);
    return original.call(this) as never;
  });
}

/** `fn`, except that its nth call (counting from 1) throws after doing its work. */
function failOnCall<A extends unknown[], R>(n: number, fn: (...args: A) => R): (...args: A) => R {
  let calls = 0;
  return (...args) => {
    const result = fn(...args);
    if (++calls === n) throw failure;
    return result;
  };
}

describe('trainLoop when something fails mid-batch', () => {
  it('throws from a forward pass that fails after its ops ran and leaves no tensor behind', async () => {
    const { target, dispose } = regression();
    const failing = { ...target, forward: failOnCall(3, target.forward) };
    expect(await leftBehind(() => trainLoop(failing, digits, options))).toBe(0);
    dispose();
  });

  it('throws from a failing loss term (after the forward pass) and leaves no tensor behind', async () => {
    const { target, dispose } = regression({ penalty: failOnCall(3, () => null) });
    expect(await leftBehind(() => trainLoop(target, digits, options))).toBe(0);
    dispose();
  });

  it('throws from a failing step after the update and leaves no tensor behind', async () => {
    const { target, dispose } = regression({ afterUpdate: failOnCall(3, () => undefined) });
    expect(await leftBehind(() => trainLoop(target, digits, options))).toBe(0);
    dispose();
  });

  it('throws from a failing optimizer update and leaves no tensor behind', async () => {
    const adam = tf.train.adam;
    vi.spyOn(tf.train, 'adam').mockImplementation((lr) => {
      const optimizer = adam(lr);
      const apply = optimizer.applyGradients.bind(optimizer);
      let updates = 0;
      optimizer.applyGradients = (grads) => {
        if (++updates === 3) throw failure;
        apply(grads);
      };
      return optimizer;
    });
    const { target, dispose } = regression();
    expect(await leftBehind(() => trainLoop(target, digits, options))).toBe(0);
    dispose();
  });

  it.each([1, 2, 5])(
    'throws when data read %i rejects (GPU context lost) and leaves no tensor behind',
    async (n) => {
      const { target, dispose } = regression();
      rejectNthDataRead(n);
      expect(await leftBehind(() => trainLoop(target, digits, options))).toBe(0);
      vi.restoreAllMocks();
      dispose();
    },
  );
});

describe('fineTuneGraph when something fails', () => {
  const short: FineTuneOptions = { ...options, learningRate: 0.0001, maxBatchesPerEpoch: 4 };

  it('throws from a failing regularizer and leaves no tensor behind', async () => {
    const graph = lenet300.clone();
    pruneGlobalMagnitude(graph, 0.5); // with masks, so they are disposed too
    const regularizer = { id: 'broken', penalty: () => throwing() };
    const left = await leftBehind(() =>
      fineTuneGraph(graph, digits, { ...short, regularizers: [regularizer] }),
    );
    expect(left).toBe(0);
  });

  it('throws from a failing step after the update and leaves no tensor behind', async () => {
    let updates = 0;
    const left = await leftBehind(() =>
      fineTuneGraph(lenet300.clone(), digits, {
        ...short,
        afterUpdate: () => {
          if (++updates === 2) throwing();
        },
      }),
    );
    expect(left).toBe(0);
  });

  it('throws when a data read rejects mid-training and leaves no tensor behind', async () => {
    rejectNthDataRead(3);
    expect(await leftBehind(() => fineTuneGraph(lenet300.clone(), digits, short))).toBe(0);
  });

  it('throws for a weight that cannot become a tensor and leaves none of the others', async () => {
    const graph = lenet300.clone();
    graph.nodes.at(-1)!.weights[1].values = new Float32Array(3); // fc3/bias holds 10
    const before = tf.memory().numTensors;
    await expect(fineTuneGraph(graph, digits, short)).rejects.toThrow(/3 .*10|10 .*3|shape/i);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leaves the graph as it was after any failure', async () => {
    const graph = lenet300.clone();
    rejectNthDataRead(4);
    await expect(fineTuneGraph(graph, digits, short)).rejects.toBe(failure);
    expect(graph.weights.map((w) => w.values)).toEqual(lenet300.weights.map((w) => w.values));
  });
});

describe('measuring when a data read rejects', () => {
  it.each([1, 2, 4])('evaluateAccuracy: read %i rejects, no tensor left behind', async (n) => {
    const predictor = createPredictor(lenet300);
    rejectNthDataRead(n);
    const left = await leftBehind(() =>
      evaluateAccuracy(predictor.predict, digits, [784], { batchSize: 64 }),
    );
    vi.restoreAllMocks();
    predictor.dispose();
    expect(left).toBe(0);
  });

  it.each([1, 3])('measureLatency: read %i rejects, no tensor left behind', async (n) => {
    const predictor = createPredictor(lenet300);
    rejectNthDataRead(n);
    const left = await leftBehind(() => measureLatency(predictor.predict, digits, [784]));
    vi.restoreAllMocks();
    predictor.dispose();
    expect(left).toBe(0);
  });

  it('evaluateAccuracy and measureLatency: a prediction that throws leaves no tensor', async () => {
    let calls = 0;
    const predictor = createPredictor(lenet300);
    const predict = (x: tf.Tensor) => {
      if (++calls === 2) throw failure;
      return predictor.predict(x);
    };
    expect(
      await leftBehind(() => evaluateAccuracy(predict, digits, [784], { batchSize: 64 })),
    ).toBe(0);
    calls = 0;
    expect(await leftBehind(() => measureLatency(predict, digits, [784]))).toBe(0);
    predictor.dispose();
  });

  it('createPredictor: a transform that does not exist leaves no weight tensor behind', () => {
    const graph = lenet300.clone();
    graph.nodes.at(-1)!.weights[0].transform = { id: 'no-such-transform', params: {} };
    const before = tf.memory().numTensors;
    expect(() => createPredictor(graph)).toThrow(/unknown tensor transform "no-such-transform"/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
