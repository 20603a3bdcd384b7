/**
 * The baseline architectures the lab trains and compresses, built with seeded initializers so
 * the same seed always gives the same starting weights. Layer names are part of the contract:
 * recipes, masks and the shipped model.json files refer to layers by these names.
 */
import * as tf from '@tensorflow/tfjs';
import { SHIPPED_MODELS, isShippedModel, type ShippedModelId } from './catalog.ts';

// The zoo builds exactly the shipped models; catalog.ts owns their ids (it stays tfjs-free
// for the page bundle).
export const MODEL_IDS = SHIPPED_MODELS;
export type ModelId = ShippedModelId;
export const isModelId = isShippedModel;

export interface ModelInfo {
  readonly id: ModelId;
  readonly name: string;
  readonly description: string;
  /** Input shape of one digit, without the batch dimension. */
  readonly inputShape: readonly number[];
}

export const MODEL_INFO: Readonly<Record<ModelId, ModelInfo>> = {
  lenet300: {
    id: 'lenet300',
    name: 'LeNet-300-100',
    description:
      'Fully connected 784-300-100-10 network with ReLU, the MLP baseline of Deep Compression (266,610 parameters).',
    inputShape: [784],
  },
  lenet5: {
    id: 'lenet5',
    name: 'LeNet-5 (Caffe)',
    description:
      'Caffe LeNet-5 as used by Deep Compression: conv 20@5x5, max-pool, conv 50@5x5, max-pool, dense 500 ReLU, dense 10 (431,080 parameters). ReLU after each conv.',
    inputShape: [28, 28, 1],
  },
};

/**
 * Each weighted layer gets its own seed derived from the model seed, so two layers of the same
 * shape do not start identical and changing one layer does not reshuffle the others.
 */
function kernelInit(seed: number, layerIndex: number, scheme: 'glorot' | 'he') {
  const layerSeed = (seed * 1009 + layerIndex * 7919) >>> 0;
  return scheme === 'he'
    ? tf.initializers.heNormal({ seed: layerSeed })
    : tf.initializers.glorotUniform({ seed: layerSeed });
}

function buildLeNet300(seed: number): tf.LayersModel {
  const model = tf.sequential({ name: 'lenet300' });
  model.add(
    tf.layers.dense({
      name: 'fc1',
      inputShape: [784],
      units: 300,
      activation: 'relu',
      kernelInitializer: kernelInit(seed, 1, 'he'),
    }),
  );
  model.add(
    tf.layers.dense({
      name: 'fc2',
      units: 100,
      activation: 'relu',
      kernelInitializer: kernelInit(seed, 2, 'he'),
    }),
  );
  model.add(
    tf.layers.dense({
      name: 'fc3',
      units: 10,
      activation: 'softmax',
      kernelInitializer: kernelInit(seed, 3, 'glorot'),
    }),
  );
  return model;
}

function buildLeNet5(seed: number): tf.LayersModel {
  const model = tf.sequential({ name: 'lenet5' });
  model.add(
    tf.layers.conv2d({
      name: 'conv1',
      inputShape: [28, 28, 1],
      filters: 20,
      kernelSize: 5,
      padding: 'valid',
      activation: 'relu',
      kernelInitializer: kernelInit(seed, 1, 'he'),
    }),
  );
  model.add(tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2, strides: 2 }));
  model.add(
    tf.layers.conv2d({
      name: 'conv2',
      filters: 50,
      kernelSize: 5,
      padding: 'valid',
      activation: 'relu',
      kernelInitializer: kernelInit(seed, 2, 'he'),
    }),
  );
  model.add(tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2, strides: 2 }));
  model.add(tf.layers.flatten({ name: 'flatten' }));
  model.add(
    tf.layers.dense({
      name: 'fc1',
      units: 500,
      activation: 'relu',
      kernelInitializer: kernelInit(seed, 3, 'he'),
    }),
  );
  model.add(
    tf.layers.dense({
      name: 'fc2',
      units: 10,
      activation: 'softmax',
      kernelInitializer: kernelInit(seed, 4, 'glorot'),
    }),
  );
  return model;
}

/** A fresh, untrained model of the given architecture; same id + seed => same initial weights. */
export function buildModel(id: ModelId, seed: number): tf.LayersModel {
  switch (id) {
    case 'lenet300':
      return buildLeNet300(seed);
    case 'lenet5':
      return buildLeNet5(seed);
  }
}
