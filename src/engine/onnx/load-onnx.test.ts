import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { dataSetInfo } from '../data/datasets.ts';
import { loadBaseModel } from '../lab/loading.ts';
import { useNodeBackend } from '../node/backend.ts';
import { publicAssets } from '../test/fixtures.ts';
import { floatTensor, onnxModel } from './build-model.ts';
import { encodeOnnx } from './encode.ts';

beforeAll(async () => {
  await useNodeBackend('cpu');
});

/** A linear classifier of [N, C, H, W] images into `classes` classes, as ONNX bytes. */
function linearClassifier(c: number, h: number, w: number, classes: number): Uint8Array {
  const features = c * h * w;
  return encodeOnnx(
    onnxModel({
      input: { name: 'images', shape: ['batch', c, h, w] },
      initializers: [floatTensor('w', [features, classes], new Float32Array(features * classes))],
      nodes: [
        { op: 'Flatten', inputs: ['images'], outputs: ['f'] },
        { op: 'MatMul', inputs: ['f', 'w'], outputs: ['scores'] },
      ],
    }),
  );
}

describe('loadBaseModel of an ONNX file', () => {
  it('imports it, fingerprinted by the SHA-256 of its bytes', async () => {
    const bytes = linearClassifier(1, 28, 28, 10);
    const base = await loadBaseModel(
      { read: publicAssets, modelJsonPath: 'linear.onnx', onnxFile: bytes },
      dataSetInfo('mnist'),
    );
    expect(base.graph.inputShape).toEqual([28, 28, 1]);
    expect(base.graph.outputShapeOf(base.graph.output)).toEqual([10]);
    expect(base.fingerprint).toBe(createHash('sha256').update(bytes).digest('hex').slice(0, 16));
  });

  it('refuses a model whose input or output does not fit the data set, naming both', async () => {
    const load = (bytes: Uint8Array) =>
      loadBaseModel(
        { read: publicAssets, modelJsonPath: 'cifar.onnx', onnxFile: bytes },
        dataSetInfo('mnist'),
      );
    await expect(load(linearClassifier(3, 32, 32, 10))).rejects.toThrow(
      /cifar\.onnx maps \[32, 32, 3\] to \[10\], but data set mnist has 28x28x1 images in 10 classes/,
    );
    await expect(load(linearClassifier(1, 28, 28, 7))).rejects.toThrow(
      /to \[7\], but data set mnist/,
    );
  });
});
