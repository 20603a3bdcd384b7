import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../node/backend.ts';
import { MODEL_GROUPS, MODEL_PAPERS, SHIPPED_MODELS } from './catalog.ts';
import { buildModel, isModelId, MODEL_IDS, MODEL_INFO, RESNEXT_CARDINALITY } from './zoo.ts';

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

  it('builds NIN with mlpconv blocks and global average pooling, and no dense layer', () => {
    const model = buildModel('nin', 1);
    const classes = model.layers.map((l) => l.getClassName());
    expect(classes).not.toContain('Dense');
    expect(classes).not.toContain('Flatten');
    expect(classes).toContain('GlobalAveragePooling2D');
    // Each mlpconv block: a k x k conv, then a 1x1 conv ("cccp") over its channels.
    const kernels = model.layers
      .filter((l) => l.getClassName() === 'Conv2D')
      .map((l) => (l.getConfig().kernelSize as number[])[0]);
    expect(kernels).toEqual([5, 1, 3, 1, 3, 1]);
    // At most 1/4 of LeNet-5's 431,080 parameters.
    expect(model.countParams()).toBeLessThanOrEqual(107_770);
    model.dispose();
  });

  it('builds SqueezeNet from Fire modules with at most 1/10 of LeNet-5 parameters', () => {
    const model = buildModel('squeezenet', 1);
    expect(model.countParams()).toBeLessThanOrEqual(43_108);
    for (const fire of ['fire2', 'fire3', 'fire4']) {
      const concat = model.getLayer(`${fire}_concat`);
      const inputs = concat.inboundNodes[0].inboundLayers.map((l) => l.name);
      expect(inputs).toEqual([`${fire}_expand1x1_relu`, `${fire}_expand3x3_relu`]);
      const squeeze = model.getLayer(`${fire}_squeeze1x1`);
      expect(squeeze.getConfig().kernelSize).toEqual([1, 1]);
      // conv -> batch norm -> ReLU, and both expands read the squeeze's ReLU.
      for (const e of ['expand1x1', 'expand3x3']) {
        const conv = model.getLayer(`${fire}_${e}`);
        expect(conv.inboundNodes[0].inboundLayers[0].name).toBe(`${squeeze.name}_relu`);
      }
    }
    // Delayed downsampling: two Fire modules run at 13x13 before the second pooling.
    expect(model.getLayer('fire3_concat').outputShape).toEqual([null, 13, 13, 64]);
    model.dispose();
  });

  it('builds Inception modules of four concatenated branches', () => {
    const model = buildModel('inception', 1);
    for (const m of ['inception3a', 'inception3b', 'inception4a']) {
      const inputs = model.getLayer(`${m}_concat`).inboundNodes[0].inboundLayers.map((l) => l.name);
      expect(inputs).toEqual(
        [`${m}_1x1`, `${m}_3x3`, `${m}_5x5`, `${m}_pool_proj`].map((n) => `${n}_relu`),
      );
      expect(model.getLayer(`${m}_3x3`).inboundNodes[0].inboundLayers[0].name).toBe(
        `${m}_3x3_reduce_relu`,
      );
      expect(model.getLayer(`${m}_5x5`).inboundNodes[0].inboundLayers[0].name).toBe(
        `${m}_5x5_reduce_relu`,
      );
      expect(model.getLayer(`${m}_pool_proj`).inboundNodes[0].inboundLayers[0].name).toBe(
        `${m}_pool`,
      );
    }
    model.dispose();
  });

  it(`builds ResNeXt blocks of cardinality ${RESNEXT_CARDINALITY} with equal-width paths`, () => {
    const model = buildModel('resnext', 1);
    for (const block of ['block1', 'block2', 'block3']) {
      const paths = model
        .getLayer(`${block}_concat`)
        .inboundNodes[0].inboundLayers.map((l) => l.name);
      expect(paths).toHaveLength(RESNEXT_CARDINALITY);
      const widths = paths.map((p) => model.getLayer(p.replace(/_relu$/, '')).getConfig().filters);
      expect(new Set(widths).size).toBe(1);
      const added = model.getLayer(`${block}_add`).inboundNodes[0].inboundLayers.map((l) => l.name);
      expect(added[0]).toBe(`${block}_expand_bn`);
      expect(added[1]).toBe(
        block === 'block1' ? 'pool1' : block === 'block2' ? `${block}_shortcut_bn` : 'block2_relu',
      );
    }
    model.dispose();
  });

  it('groups every shipped model in the picker once and names its paper', () => {
    const grouped = MODEL_GROUPS.flatMap((g) => g.ids);
    expect([...grouped].sort()).toEqual([...SHIPPED_MODELS].sort());
    for (const id of SHIPPED_MODELS) expect(MODEL_PAPERS[id].length).toBeGreaterThan(0);
  });

  it('recognises its ids', () => {
    expect(isModelId('lenet5')).toBe(true);
    expect(isModelId('resnet')).toBe(false);
  });
});
