/**
 * Images that are not 28x28 digits: 3x32x32 colour images in 5 classes (the fashion-colour-32
 * NumPy fixture) through the same data path, trainer and evaluator as MNIST.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { digitsToTensor } from '../data/batches.ts';
import type { DigitSplit } from '../data/digits.ts';
import { evaluateAccuracy } from '../measure/accuracy.ts';
import { LayerGraph } from '../model/graph.ts';
import { createPredictor } from '../model/program.ts';
import { useNodeBackend } from '../node/backend.ts';
import { fineTuneGraph } from './finetune.ts';
import { writeShiftedDigit } from './augment.ts';
import { predictorOf, trainModel } from './train.ts';

const FIXTURE = 'test-fixtures/images/fashion-colour-32-npy';

/** The data of a little-endian, C-order .npy file (format 1.0) and its shape. */
function readNpy(path: string): { data: Uint8Array; shape: number[]; descr: string } {
  const bytes = new Uint8Array(readFileSync(path));
  expect(new TextDecoder().decode(bytes.subarray(1, 6))).toBe('NUMPY');
  expect(bytes[6]).toBe(1);
  const headerLength = bytes[8] | (bytes[9] << 8);
  const header = new TextDecoder().decode(bytes.subarray(10, 10 + headerLength));
  expect(header).toContain("'fortran_order': False");
  const descr = /'descr': '([^']+)'/.exec(header)![1];
  const shape = /'shape': \(([^)]*)\)/
    .exec(header)![1]
    .split(',')
    .filter((s) => s.trim() !== '')
    .map(Number);
  return { data: bytes.subarray(10 + headerLength), shape, descr };
}

let split: DigitSplit;

beforeAll(async () => {
  await useNodeBackend('wasm');
  const images = readNpy(`${FIXTURE}/images.npy`);
  const labels = readNpy(`${FIXTURE}/labels.npy`);
  expect(images.descr).toBe('|u1');
  expect(images.shape).toEqual([100, 32, 32, 3]);
  expect(labels.descr).toBe('<i8');
  const count = labels.shape[0];
  // int64 little-endian labels: the low byte is the class (all are below 5).
  const classes = Uint8Array.from({ length: count }, (_, i) => labels.data[i * 8]);
  split = { count, images: images.data, labels: classes, shape: [32, 32, 3], classCount: 5 };
});

/** A small CNN for 32x32x3 images in 5 classes. */
function tinyConvModel(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [32, 32, 3],
        filters: 4,
        kernelSize: 3,
        strides: 2,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }),
      }),
      tf.layers.flatten(),
      tf.layers.dense({
        units: 5,
        activation: 'softmax',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }),
      }),
    ],
  });
}

describe('3x32x32 colour images in 5 classes', () => {
  it('the fixture holds all five classes', () => {
    const seen = new Set(split.labels);
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('digitsToTensor lays out pixels as H x W x C, channels last, for [32,32,3] and flat inputs', () => {
    const x = digitsToTensor(split, 0, 10, [32, 32, 3]);
    const flat = digitsToTensor(split, 0, 10, [3072]);
    try {
      expect(x.shape).toEqual([10, 32, 32, 3]);
      const values = x.dataSync();
      // Image 7, row 5, column 9, blue (channel 2): byte 7*3072 + 5*96 + 9*3 + 2 = 22013 of
      // the .npy data (rows of 32 pixels x 3 channels = 96 bytes).
      expect(values[((7 * 32 + 5) * 32 + 9) * 3 + 2]).toBe(Math.fround(split.images[22013] / 255));
      // Image 0, row 31, column 0, red: 31*96 = 2976. Image 9's last value: 9*3072 + 3071 = 30719.
      expect(values[31 * 32 * 3]).toBe(Math.fround(split.images[2976] / 255));
      expect(values[9 * 3072 + 3071]).toBe(Math.fround(split.images[30719] / 255));
      // The three channels of one pixel are three different values in this colour set.
      const pixel = Array.from(split.images.subarray(22011, 22014));
      expect(new Set(pixel).size).toBeGreaterThan(1);
      expect(Array.from(flat.dataSync())).toEqual(Array.from(values));
    } finally {
      tf.dispose([x, flat]);
    }
  });

  it('refuses a model input that does not hold one image', () => {
    expect(() => digitsToTensor(split, 0, 2, [32, 32, 1])).toThrow(
      'the model reads [32, 32, 1] per image, but the images are 32x32x3 (H x W x C)',
    );
    expect(() => digitsToTensor(split, 0, 2, [784])).toThrow(/32x32x3/);
  });

  it('trains a CNN: the first loss is the 5-class cross-entropy of its own predictions, and falls', async () => {
    const model = tinyConvModel();
    try {
      // The loss before any update, computed here from the model's own predictions and the
      // labels: -mean log p(true class), with 5 classes.
      const x = tf.tensor(
        Float32Array.from(split.images, (v) => v / 255),
        [100, 32, 32, 3],
      );
      const probabilities = (model.predict(x) as tf.Tensor).arraySync() as number[][];
      x.dispose();
      expect(probabilities[0]).toHaveLength(5);
      let expected = 0;
      for (let i = 0; i < 100; i++)
        expected -= Math.log(Math.max(probabilities[i][split.labels[i]], 1e-7));
      expected /= 100;

      const losses: number[] = [];
      // One batch of all 100 images per epoch: the batch loss does not depend on the order.
      await trainModel(model, split, {
        epochs: 12,
        batchSize: 100,
        learningRate: 0.01,
        seed: 5,
        onBatch: (info) => losses.push(info.loss),
      });
      expect(losses[0]).toBeCloseTo(expected, 4);
      expect(losses.at(-1)!).toBeLessThan(losses[0] * 0.8);
    } finally {
      model.dispose();
    }
  });

  it('refuses to train a 10-class model on 5-class images, and labels outside the classes', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.flatten({ inputShape: [32, 32, 3] }),
        tf.layers.dense({ units: 10, activation: 'softmax' }),
      ],
    });
    try {
      const options = { epochs: 1, batchSize: 50, learningRate: 0.01, seed: 1 };
      const before = tf.memory().numTensors;
      await expect(trainModel(model, split, options)).rejects.toThrow(
        'the model scores 10 classes, but the training images are in 5',
      );
      expect(tf.memory().numTensors).toBe(before);
      const badLabels = Uint8Array.from(split.labels);
      badLabels[17] = 5;
      await expect(
        trainModel(tinyConvModel(), { ...split, labels: badLabels }, options),
      ).rejects.toThrow('image 17 has label 5, outside the 5 classes');
      await expect(evaluateAccuracy(predictorOf(model), split, [32, 32, 3])).rejects.toThrow(
        'the model scores 10 classes, but the images are in 5',
      );
    } finally {
      model.dispose();
    }
  });

  it("evaluateAccuracy counts the images the model's own predict gets right", async () => {
    const model = tinyConvModel();
    try {
      await trainModel(model, split, { epochs: 5, batchSize: 25, learningRate: 0.01, seed: 2 });
      const x = tf.tensor(
        Float32Array.from(split.images, (v) => v / 255),
        [100, 32, 32, 3],
      );
      const classes = (model.predict(x) as tf.Tensor).argMax(-1).dataSync();
      x.dispose();
      let expected = 0;
      for (let i = 0; i < 100; i++) if (classes[i] === split.labels[i]) expected++;
      const result = await evaluateAccuracy(predictorOf(model), split, [32, 32, 3], {
        batchSize: 30,
        keepPredictions: true,
      });
      expect(result.total).toBe(100);
      expect(result.correct).toBe(expected);
      expect(Array.from(result.predicted!)).toEqual(Array.from(classes));
      // Better than chance (20 of 100) after a few epochs on these images.
      expect(result.correct).toBeGreaterThan(30);
    } finally {
      model.dispose();
    }
  });
});

describe('fine-tuning a graph on colour images', () => {
  it("learns with shifted 3-channel images, and its validation figure is the evaluator's", async () => {
    const model = tinyConvModel();
    const graph = await LayerGraph.fromModel(model);
    model.dispose();
    const losses: number[] = [];
    const { epochs } = await fineTuneGraph(graph, split, {
      epochs: 8,
      batchSize: 100,
      learningRate: 0.01,
      seed: 6,
      augment: { maxShift: 2 },
      validation: split,
      onBatch: (info) => losses.push(info.loss),
    });
    expect(graph.inputShape).toEqual([32, 32, 3]);
    expect(losses.at(-1)!).toBeLessThan(losses[0]);
    const predictor = createPredictor(graph);
    try {
      const { accuracy } = await evaluateAccuracy(predictor.predict, split, graph.inputShape);
      expect(epochs.at(-1)!.validationAccuracy).toBe(accuracy);
    } finally {
      predictor.dispose();
    }
  });
});

describe('augmentation of colour images', () => {
  // One 2 x 3 image (2 rows, 3 columns) of 3 channels: pixel (y, x) holds
  // [r, g, b] = [10 * y + 3 * x + 1, ... + 2, ... + 3]: row 0 is 1..9, row 1 is 11..19.
  const tiny: DigitSplit = {
    count: 1,
    images: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19]),
    labels: Uint8Array.from([0]),
    shape: [2, 3, 3],
    classCount: 2,
  };
  const shifted = (shiftX: number, shiftY: number) => {
    const out = new Float32Array(18).fill(-1);
    writeShiftedDigit(tiny, 0, shiftX, shiftY, out, 0);
    return Array.from(out, (v) => Math.round(v * 255));
  };

  it('a shift right by one moves every channel of every pixel one column, zeros in', () => {
    expect(shifted(1, 0)).toEqual([0, 0, 0, 1, 2, 3, 4, 5, 6, 0, 0, 0, 11, 12, 13, 14, 15, 16]);
    expect(shifted(-1, 0)).toEqual([4, 5, 6, 7, 8, 9, 0, 0, 0, 14, 15, 16, 17, 18, 19, 0, 0, 0]);
  });

  it('a shift down by one moves whole rows of pixels', () => {
    expect(shifted(0, 1)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(shifted(2, -1)).toEqual([0, 0, 0, 0, 0, 0, 11, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('no shift writes the image scaled to [0, 1]', () => {
    const out = new Float32Array(18);
    writeShiftedDigit(tiny, 0, 0, 0, out, 0);
    expect(out[4]).toBe(Math.fround(5 / 255));
    expect(shifted(0, 0)).toEqual(Array.from(tiny.images));
  });
});
