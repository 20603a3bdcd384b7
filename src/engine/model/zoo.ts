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
  nin: {
    id: 'nin',
    name: 'Network in Network (mini)',
    description:
      'Three mlpconv blocks (Lin et al., ICLR 2014): a k x k conv followed by 1x1 convs (the "micro network"), max-pooling between blocks, and global average pooling of the last block\'s 10 maps into the classes: no dense layer. The paper stacks three 192-wide blocks on 32x32 images; this one keeps the block and the global average pooling with 24-64 channels, and adds batch norm before each ReLU (the paper used dropout). Trained with an L1 penalty on its kernels (Han et al. 2015, section 3.1: it leaves a network that loses least when pruned without retraining).',
    inputShape: [28, 28, 1],
  },
  squeezenet: {
    id: 'squeezenet',
    name: 'SqueezeNet (mini)',
    description:
      "Fire modules (Iandola et al. 2016): a 1x1 squeeze conv feeding 1x1 and 3x3 expand convs whose maps are concatenated, with the paper's delayed downsampling (pooling after conv1 and after fire3, not between every module) and a 1x1 conv into 10 classes with global average pooling. The paper has 8 Fire modules (squeeze 16-64, expand 64-256) on 224x224 images; this one has 3 (squeeze 16-32, expand 32-64 each), with batch norm before each ReLU (as later SqueezeNet ports do). Trained with an L1 penalty on its kernels (Han et al. 2015, section 3.1: it leaves a network that loses least when pruned without retraining).",
    inputShape: [28, 28, 1],
  },
  inception: {
    id: 'inception',
    name: 'Inception (mini GoogLeNet)',
    description:
      'Inception modules (Szegedy et al. 2015): 1x1, 1x1->3x3, 1x1->5x5 and 3x3 max-pool->1x1 branches concatenated, the 1x1 reductions keeping the 3x3 and 5x5 convs cheap, then global average pooling and one linear classifier. GoogLeNet stacks 9 modules (up to 832 channels) on 224x224 images; this one has a conv stem and 3 modules (3a and 3b of 56 channels at 13x13, 4a of 144 at 6x6), with batch norm before each ReLU (as in Inception-v2). Trained with an L1 penalty on its kernels (Han et al. 2015, section 3.1: it leaves a network that loses least when pruned without retraining).',
    inputShape: [28, 28, 1],
  },
  resnext: {
    id: 'resnext',
    name: 'ResNeXt (mini, C=4)',
    description:
      "ResNeXt blocks (Xie et al. 2017) of cardinality C=4: each block splits its 3x3 stage into 4 paths of equal width (1x1 reduce, then 3x3), concatenates them (the paper's equivalent form (b) of the grouped conv), expands with a 1x1 conv and adds the shortcut (a 1x1 projection where the width changes). ResNeXt-50 has 16 blocks of C=32 at 224x224; this one has 3 blocks of C=4 (path widths 8, 16, 16) after a conv stem, then global average pooling and one linear classifier; batch norm after every conv, as in the paper. Trained with an L1 penalty on its kernels (Han et al. 2015, section 3.1: it leaves a network that loses least when pruned without retraining).",
    inputShape: [28, 28, 1],
  },
};

/** Cardinality of the mini ResNeXt: the number of equal-width paths in each block's 3x3 stage. */
export const RESNEXT_CARDINALITY = 4;

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

/**
 * Functional-API helpers for the branched models: each conv gets the next per-layer seed, so
 * the initial weights depend only on the model seed and the layer's position in the builder.
 */
class Builder {
  private layerIndex = 0;
  constructor(private readonly seed: number) {}

  /**
   * A conv, then batch norm, then the ReLU when `activation` is relu (conv -> BN -> ReLU, as
   * in Inception-v2 and ResNeXt; without it these small nets fit the 8,000 digits only slowly).
   * `norm: false` leaves a plain conv, for the convs that make the class maps.
   */
  conv(
    x: tf.SymbolicTensor,
    name: string,
    filters: number,
    kernelSize: number,
    options: { padding?: 'same' | 'valid'; activation?: 'relu' | 'linear'; norm?: boolean } = {},
  ): tf.SymbolicTensor {
    const activation = options.activation ?? 'relu';
    const norm = options.norm ?? true;
    let y = tf.layers
      .conv2d({
        name,
        filters,
        kernelSize,
        padding: options.padding ?? 'same',
        activation: norm ? 'linear' : activation,
        kernelInitializer: kernelInit(
          this.seed,
          ++this.layerIndex,
          activation === 'relu' ? 'he' : 'glorot',
        ),
      })
      .apply(x) as tf.SymbolicTensor;
    if (!norm) return y;
    y = tf.layers.batchNormalization({ name: `${name}_bn` }).apply(y) as tf.SymbolicTensor;
    if (activation === 'relu') {
      y = tf.layers.reLU({ name: `${name}_relu` }).apply(y) as tf.SymbolicTensor;
    }
    return y;
  }

  dense(x: tf.SymbolicTensor, name: string, units: number): tf.SymbolicTensor {
    return tf.layers
      .dense({
        name,
        units,
        activation: 'softmax',
        kernelInitializer: kernelInit(this.seed, ++this.layerIndex, 'glorot'),
      })
      .apply(x) as tf.SymbolicTensor;
  }
}

const maxPool = (x: tf.SymbolicTensor, name: string, strides = 2, poolSize = 2) =>
  tf.layers
    .maxPooling2d({ name, poolSize, strides, padding: strides === 1 ? 'same' : 'valid' })
    .apply(x) as tf.SymbolicTensor;
const concat = (xs: tf.SymbolicTensor[], name: string) =>
  tf.layers.concatenate({ name, axis: -1 }).apply(xs) as tf.SymbolicTensor;
const globalAvgPool = (x: tf.SymbolicTensor, name: string) =>
  tf.layers.globalAveragePooling2d({ name }).apply(x) as tf.SymbolicTensor;
const softmax = (x: tf.SymbolicTensor, name: string) =>
  tf.layers.activation({ name, activation: 'softmax' }).apply(x) as tf.SymbolicTensor;
const digitInput = () => tf.input({ name: 'input', shape: [28, 28, 1] });

/**
 * NIN: mlpconv blocks (a k x k conv, then 1x1 convs that act as a small MLP across channels at
 * every position); the last 1x1 conv makes one map per class, averaged globally into the logits.
 */
function buildNin(seed: number): tf.LayersModel {
  const b = new Builder(seed);
  const input = digitInput();
  let x = b.conv(input, 'mlpconv1_conv5x5', 24, 5, { padding: 'valid' }); // 24x24
  x = b.conv(x, 'mlpconv1_cccp1', 24, 1);
  x = maxPool(x, 'pool1'); // 12x12
  x = b.conv(x, 'mlpconv2_conv3x3', 48, 3, { padding: 'valid' }); // 10x10
  x = b.conv(x, 'mlpconv2_cccp1', 48, 1);
  x = maxPool(x, 'pool2'); // 5x5
  x = b.conv(x, 'mlpconv3_conv3x3', 64, 3);
  x = b.conv(x, 'mlpconv3_cccp1', 10, 1, { activation: 'linear', norm: false });
  x = globalAvgPool(x, 'global_avg_pool');
  return tf.model({ name: 'nin', inputs: input, outputs: softmax(x, 'softmax') });
}

/** Fire module: squeeze 1x1, then 1x1 and 3x3 expands side by side, concatenated. */
function fire(
  b: Builder,
  x: tf.SymbolicTensor,
  name: string,
  squeeze: number,
  expand: number,
): tf.SymbolicTensor {
  const s = b.conv(x, `${name}_squeeze1x1`, squeeze, 1);
  const e1 = b.conv(s, `${name}_expand1x1`, expand, 1);
  const e3 = b.conv(s, `${name}_expand3x3`, expand, 3);
  return concat([e1, e3], `${name}_concat`);
}

function buildSqueezeNet(seed: number): tf.LayersModel {
  const b = new Builder(seed);
  const input = digitInput();
  let x = b.conv(input, 'conv1', 32, 3, { padding: 'valid' }); // 26x26
  x = maxPool(x, 'pool1'); // 13x13
  x = fire(b, x, 'fire2', 16, 32);
  x = fire(b, x, 'fire3', 16, 32);
  x = maxPool(x, 'pool3'); // 6x6: downsampling delayed until after two Fire modules
  x = fire(b, x, 'fire4', 32, 64);
  x = b.conv(x, 'conv10', 10, 1, { activation: 'linear', norm: false });
  x = globalAvgPool(x, 'global_avg_pool');
  return tf.model({ name: 'squeezenet', inputs: input, outputs: softmax(x, 'softmax') });
}

/** Inception module: four branches (1x1; 1x1->3x3; 1x1->5x5; 3x3 max-pool->1x1) concatenated. */
function inceptionModule(
  b: Builder,
  x: tf.SymbolicTensor,
  name: string,
  widths: { b1: number; r3: number; b3: number; r5: number; b5: number; pool: number },
): tf.SymbolicTensor {
  const branch1 = b.conv(x, `${name}_1x1`, widths.b1, 1);
  const reduce3 = b.conv(x, `${name}_3x3_reduce`, widths.r3, 1);
  const branch3 = b.conv(reduce3, `${name}_3x3`, widths.b3, 3);
  const reduce5 = b.conv(x, `${name}_5x5_reduce`, widths.r5, 1);
  const branch5 = b.conv(reduce5, `${name}_5x5`, widths.b5, 5);
  const pooled = maxPool(x, `${name}_pool`, 1, 3);
  const branchPool = b.conv(pooled, `${name}_pool_proj`, widths.pool, 1);
  return concat([branch1, branch3, branch5, branchPool], `${name}_concat`);
}

function buildInception(seed: number): tf.LayersModel {
  const b = new Builder(seed);
  const input = digitInput();
  let x = b.conv(input, 'conv1', 32, 3, { padding: 'valid' }); // 26x26
  x = maxPool(x, 'pool1'); // 13x13
  // Two modules at 13x13 before the second pooling (GoogLeNet's 3a and 3b), one at 6x6 (4a):
  // with one module at each scale the same net stayed 0.5 points lower on the test digits.
  x = inceptionModule(b, x, 'inception3a', { b1: 16, r3: 16, b3: 24, r5: 4, b5: 8, pool: 8 });
  x = inceptionModule(b, x, 'inception3b', { b1: 16, r3: 16, b3: 24, r5: 4, b5: 8, pool: 8 });
  x = maxPool(x, 'pool3'); // 6x6
  x = inceptionModule(b, x, 'inception4a', { b1: 48, r3: 32, b3: 48, r5: 12, b5: 24, pool: 24 });
  x = globalAvgPool(x, 'global_avg_pool');
  return tf.model({ name: 'inception', inputs: input, outputs: b.dense(x, 'classifier', 10) });
}

/**
 * ResNeXt block in the paper's form (b): C paths of 1x1 reduce -> 3x3, each `width` channels,
 * concatenated (the same function as one grouped 3x3 conv with C groups), a 1x1 expand, and
 * the shortcut added (projected by a 1x1 conv when the channel count changes).
 */
function resnextBlock(
  b: Builder,
  x: tf.SymbolicTensor,
  name: string,
  width: number,
  outChannels: number,
): tf.SymbolicTensor {
  const inChannels = x.shape[x.shape.length - 1]!;
  const paths: tf.SymbolicTensor[] = [];
  for (let g = 1; g <= RESNEXT_CARDINALITY; g++) {
    const reduced = b.conv(x, `${name}_path${g}_reduce`, width, 1);
    paths.push(b.conv(reduced, `${name}_path${g}_3x3`, width, 3));
  }
  const aggregated = concat(paths, `${name}_concat`);
  const expanded = b.conv(aggregated, `${name}_expand`, outChannels, 1, { activation: 'linear' });
  const shortcut =
    inChannels === outChannels
      ? x
      : b.conv(x, `${name}_shortcut`, outChannels, 1, { activation: 'linear' });
  const sum = tf.layers
    .add({ name: `${name}_add` })
    .apply([expanded, shortcut]) as tf.SymbolicTensor;
  return tf.layers.reLU({ name: `${name}_relu` }).apply(sum) as tf.SymbolicTensor;
}

function buildResNeXt(seed: number): tf.LayersModel {
  const b = new Builder(seed);
  const input = digitInput();
  let x = b.conv(input, 'conv1', 32, 3, { padding: 'valid' }); // 26x26
  x = maxPool(x, 'pool1'); // 13x13
  x = resnextBlock(b, x, 'block1', 8, 32);
  x = maxPool(x, 'pool2'); // 6x6
  x = resnextBlock(b, x, 'block2', 16, 64);
  x = resnextBlock(b, x, 'block3', 16, 64);
  x = globalAvgPool(x, 'global_avg_pool');
  return tf.model({ name: 'resnext', inputs: input, outputs: b.dense(x, 'classifier', 10) });
}

/** A fresh, untrained model of the given architecture; same id + seed => same initial weights. */
export function buildModel(id: ModelId, seed: number): tf.LayersModel {
  switch (id) {
    case 'lenet300':
      return buildLeNet300(seed);
    case 'lenet5':
      return buildLeNet5(seed);
    case 'nin':
      return buildNin(seed);
    case 'squeezenet':
      return buildSqueezeNet(seed);
    case 'inception':
      return buildInception(seed);
    case 'resnext':
      return buildResNeXt(seed);
  }
}
