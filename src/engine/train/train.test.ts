import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDigitSplit, PIXELS, type DigitSplit } from '../data/digits.ts';
import { buildModel, type ModelId } from '../model/zoo.ts';
import { fileAssetReader } from '../node/assets.ts';
import { useNodeBackend } from '../node/backend.ts';
import { writeShiftedDigit } from './augment.ts';
import { crossEntropyLoss, trainModel, type TrainOptions } from './train.ts';
import { RunCancelledError } from '../cancel.ts';

let train: DigitSplit;

function firstDigits(split: DigitSplit, count: number): DigitSplit {
  return {
    count,
    images: split.images.subarray(0, count * PIXELS),
    labels: split.labels.subarray(0, count),
  };
}

beforeAll(async () => {
  await useNodeBackend('wasm');
  train = await loadDigitSplit(fileAssetReader(), 'train');
});

async function trainedWeights(id: ModelId, digits: DigitSplit, options: TrainOptions) {
  const model = buildModel(id, 3);
  await trainModel(model, digits, options);
  const weights = model.getWeights().map((w) => w.dataSync().slice());
  model.dispose();
  return weights;
}

describe('trainModel', () => {
  const small: TrainOptions = { epochs: 1, batchSize: 32, learningRate: 0.01, seed: 9 };

  it('is bit-for-bit reproducible for a seed, on an MLP and on a CNN with augmentation', async () => {
    const mlpDigits = firstDigits(train, 256);
    const first = await trainedWeights('lenet300', mlpDigits, small);
    const second = await trainedWeights('lenet300', mlpDigits, small);
    expect(second).toEqual(first);

    const cnnDigits = firstDigits(train, 96);
    const cnnOptions: TrainOptions = { ...small, optimizer: 'momentum', augment: { maxShift: 2 } };
    const cnnFirst = await trainedWeights('lenet5', cnnDigits, cnnOptions);
    const cnnSecond = await trainedWeights('lenet5', cnnDigits, cnnOptions);
    expect(cnnSecond).toEqual(cnnFirst);
  });

  it('visits the digits in a different order for another seed', async () => {
    const digits = firstDigits(train, 256);
    const a = await trainedWeights('lenet300', digits, small);
    const b = await trainedWeights('lenet300', digits, { ...small, seed: 10 });
    expect(b[0]).not.toEqual(a[0]);
  });

  it('learns: loss falls and accuracy beats chance by far on 1,000 digits', async () => {
    const model = buildModel('lenet300', 1);
    const result = await trainModel(model, firstDigits(train, 1000), {
      epochs: 3,
      batchSize: 50,
      learningRate: 0.002,
      seed: 1,
      validation: firstDigits(train, 200),
    });
    model.dispose();
    expect(result.epochs).toHaveLength(3);
    expect(result.epochs[2].loss).toBeLessThan(result.epochs[0].loss);
    expect(result.epochs[2].accuracy).toBeGreaterThan(0.8);
    expect(result.epochs[2].validationAccuracy).toBeGreaterThan(0.8);
    expect(result.elapsedMs).toBeGreaterThan(0);
  });

  it('leaves no tensor behind, for every optimizer', async () => {
    for (const optimizer of ['sgd', 'momentum', 'adam'] as const) {
      const model = buildModel('lenet5', 1);
      const before = tf.memory().numTensors;
      await trainModel(model, firstDigits(train, 64), {
        ...small,
        optimizer,
        learningRateDecay: 0.5,
        epochs: 2,
        validation: firstDigits(train, 32),
      });
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    }
  });

  it('stops between batches when its signal is aborted, without leaking tensors', async () => {
    const model = buildModel('lenet300', 1);
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    let batches = 0;
    const run = trainModel(model, firstDigits(train, 320), {
      ...small,
      signal: controller.signal,
      onBatch: () => {
        batches++;
        if (batches === 2) controller.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(RunCancelledError);
    expect(batches).toBe(2);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('reports batches in order with their size-weighted epoch loss', async () => {
    const model = buildModel('lenet300', 1);
    const losses: number[] = [];
    const seen: string[] = [];
    const result = await trainModel(model, firstDigits(train, 100), {
      ...small,
      batchSize: 40, // 40 + 40 + a last batch of 20
      onBatch: (info) => {
        seen.push(`${info.epoch}:${info.batch}/${info.batchesPerEpoch}`);
        losses.push(info.loss);
      },
    });
    model.dispose();
    expect(seen).toEqual(['0:0/3', '0:1/3', '0:2/3']);
    const weighted = (losses[0] * 40 + losses[1] * 40 + losses[2] * 20) / 100;
    expect(result.epochs[0].loss).toBeCloseTo(weighted, 6);
  });
  it('kernelL1 adds lambda * sign(w) to every kernel gradient and leaves biases alone', async () => {
    // One plain SGD step on the same batch, with and without the penalty: by hand, the kernels
    // then differ by learningRate * lambda * sign(w0) and every other weight not at all.
    const digits = firstDigits(train, 32);
    const step: TrainOptions = {
      epochs: 1,
      batchSize: 32,
      learningRate: 0.05,
      seed: 4,
      optimizer: 'sgd',
    };
    const lambda = 0.01;
    const initial = buildModel('lenet5', 3);
    const names = initial.weights.map((w) => w.originalName);
    const start = initial.getWeights().map((w) => w.dataSync().slice());
    initial.dispose();
    const plain = await trainedWeights('lenet5', digits, step);
    const penalized = await trainedWeights('lenet5', digits, { ...step, kernelL1: lambda });
    let checkedKernels = 0;
    for (let k = 0; k < names.length; k++) {
      const isKernel = names[k].endsWith('kernel');
      for (let i = 0; i < start[k].length; i += 97) {
        const expected = isKernel ? -step.learningRate * lambda * Math.sign(start[k][i]) : 0;
        expect(penalized[k][i] - plain[k][i]).toBeCloseTo(expected, 5);
      }
      if (isKernel) checkedKernels++;
    }
    expect(checkedKernels).toBe(4);
  });

  it('refuses a negative kernelL1', async () => {
    const model = buildModel('lenet300', 1);
    await expect(
      trainModel(model, firstDigits(train, 32), { ...small, kernelL1: -1 }),
    ).rejects.toThrow(/kernelL1/);
    model.dispose();
  });
});

describe('crossEntropyLoss', () => {
  it('is the mean negative log-probability of the true class', () => {
    const probabilities = tf.tensor2d([
      [0.7, 0.2, 0.1],
      [0.25, 0.25, 0.5],
    ]);
    const labels = tf.tensor2d([
      [1, 0, 0],
      [0, 0, 1],
    ]);
    const loss = crossEntropyLoss(probabilities, labels);
    expect(loss.dataSync()[0]).toBeCloseTo(-(Math.log(0.7) + Math.log(0.5)) / 2, 5);
    tf.dispose([probabilities, labels, loss]);
  });

  it('stays finite for a confident mistake', () => {
    const loss = crossEntropyLoss(tf.tensor2d([[1, 0]]), tf.tensor2d([[0, 1]]));
    expect(Number.isFinite(loss.dataSync()[0])).toBe(true);
    expect(loss.dataSync()[0]).toBeGreaterThan(10);
    loss.dispose();
  });
});

describe('writeShiftedDigit', () => {
  it('moves the pixels and fills the uncovered border with zeros', () => {
    const images = new Uint8Array(PIXELS);
    images[5 * 28 + 10] = 255; // one white pixel at row 5, column 10
    images[0] = 51; // one at the top-left corner, pushed out by the shift
    const out = new Float32Array(PIXELS + 3).fill(-1);
    writeShiftedDigit({ count: 1, images, labels: new Uint8Array(1) }, 0, 2, -1, out, 3);
    expect(out[3 + 4 * 28 + 12]).toBe(1);
    const nonZero = [...out.subarray(3)].filter((v) => v !== 0);
    expect(nonZero).toEqual([1]);
    expect(out.subarray(0, 3)).toEqual(new Float32Array([-1, -1, -1]));
  });
});
