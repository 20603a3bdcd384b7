import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../node/backend.ts';
import { buildModel, isModelId, MODEL_IDS, MODEL_INFO } from './zoo.ts';

beforeAll(async () => {
  await useNodeBackend('wasm');
});

describe('buildModel', () => {
  it('builds LeNet-300-100 with 266,610 parameters and stable layer names', () => {
    const model = buildModel('lenet300', 1);
    expect(model.countParams()).toBe(266_610);
    expect(model.layers.map((l) => l.name)).toEqual(['fc1', 'fc2', 'fc3']);
    expect(model.inputs[0].shape).toEqual([null, 784]);
    model.dispose();
  });

  it('builds Caffe LeNet-5 with 431,080 parameters and stable layer names', () => {
    const model = buildModel('lenet5', 1);
    expect(model.countParams()).toBe(431_080);
    expect(model.layers.map((l) => l.name)).toEqual([
      'conv1',
      'pool1',
      'conv2',
      'pool2',
      'flatten',
      'fc1',
      'fc2',
    ]);
    expect(model.layers.map((l) => l.outputShape)).toEqual([
      [null, 24, 24, 20],
      [null, 12, 12, 20],
      [null, 8, 8, 50],
      [null, 4, 4, 50],
      [null, 800],
      [null, 500],
      [null, 10],
    ]);
    model.dispose();
  });

  it('gives the same weights for the same seed and different ones for another', () => {
    for (const id of MODEL_IDS) {
      const [a, b, c] = [1, 1, 2].map((seed) => buildModel(id, seed));
      const values = (m: tf.LayersModel) => m.getWeights().map((w) => w.dataSync().slice());
      expect(values(b)).toEqual(values(a));
      expect(values(c)[0]).not.toEqual(values(a)[0]);
      // Layers of one model are seeded apart, so no two kernels start out alike.
      expect(values(a)[2].slice(0, 8)).not.toEqual(values(a)[0].slice(0, 8));
      [a, b, c].forEach((m) => m.dispose());
    }
  });

  it('outputs a probability distribution over the 10 digits', () => {
    for (const id of MODEL_IDS) {
      const model = buildModel(id, 1);
      const shape = [3, ...MODEL_INFO[id].inputShape];
      const sums = tf.tidy(() => (model.predict(tf.randomUniform(shape)) as tf.Tensor).sum(-1));
      expect(sums.shape).toEqual([3]);
      for (const s of sums.dataSync()) expect(s).toBeCloseTo(1, 5);
      sums.dispose();
      model.dispose();
    }
  });

  it('recognises its ids', () => {
    expect(isModelId('lenet5')).toBe(true);
    expect(isModelId('resnet')).toBe(false);
  });
});
