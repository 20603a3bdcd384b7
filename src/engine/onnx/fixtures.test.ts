/**
 * The ONNX fixtures agree with onnxruntime, an implementation independent of the lab: the
 * PyTorch-made MNIST classifiers in test-fixtures/onnx/models/ give PyTorch's own logits and
 * correct counts (models.json) on the lab's mnist test split, and every vendored ONNX backend
 * test (test-fixtures/onnx/node/, pytorch-converted/) gives its expected outputs. The importer's
 * tests can then compare the lab's graph with these figures and trust that they are right.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataSplit } from '../data/load.ts';
import type { DigitSplit } from '../data/digits.ts';
import { publicAssets } from '../test/fixtures.ts';

const fixturesDir = join(import.meta.dirname, '..', '..', '..', 'test-fixtures', 'onnx');
const modelsDir = join(fixturesDir, 'models');

interface ModelFigures {
  readonly opset: number;
  readonly ops: Readonly<Record<string, number>>;
  readonly pytorch: {
    readonly correct: number;
    readonly total: number;
    readonly logitsFirst16: readonly (readonly number[])[];
  };
}

const modelsJson = JSON.parse(readFileSync(join(modelsDir, 'models.json'), 'utf8')) as {
  readonly models: Readonly<Record<string, ModelFigures>>;
};
const modelFiles = Object.keys(modelsJson.models);

const PIXELS = 28 * 28;
const CLASSES = 10;

/** Images [first, first + count) of the split as the models take them: pixel / 255, NCHW. */
function inputBatch(split: DigitSplit, first: number, count: number): ort.Tensor {
  const pixels = split.images.subarray(first * PIXELS, (first + count) * PIXELS);
  return new ort.Tensor(
    'float32',
    Float32Array.from(pixels, (p) => p / 255),
    [count, 1, 28, 28],
  );
}

describe('PyTorch-made ONNX models in onnxruntime', () => {
  let test: DigitSplit;
  beforeAll(async () => {
    // The lab's mnist test split: MNIST's t10k images in their original order (data/load.test.ts),
    // the images PyTorch measured in scripts/fixtures/make_onnx_models.py.
    test = await loadDataSplit(publicAssets, 'mnist', 'test');
  });

  it('has the models the importer is tested on', () => {
    expect(modelFiles).toEqual(
      expect.arrayContaining([
        'bn_cnn_opset11.onnx',
        'bn_cnn_fused_opset11.onnx',
        'mlp_opset13.onnx',
        'resnet_opset13.onnx',
        'resnet_opset17.onnx',
      ]),
    );
  });

  it.each(modelFiles)(
    "%s gives PyTorch's logits and correct count on the mnist test split",
    async (file) => {
      const figures = modelsJson.models[file];
      const session = await ort.InferenceSession.create(join(modelsDir, file));
      try {
        expect(session.inputNames).toEqual(['input']);
        expect(session.outputNames).toEqual(['logits']);
        const first = await session.run({ input: inputBatch(test, 0, 16) });
        const logits = first.logits.data as Float32Array;
        expect(first.logits.dims).toEqual([16, CLASSES]);
        let worst = 0;
        figures.pytorch.logitsFirst16.forEach((row, image) =>
          row.forEach((expected, k) => {
            worst = Math.max(worst, Math.abs(logits[image * CLASSES + k] - expected));
          }),
        );
        expect(worst).toBeLessThan(1e-4);

        let correct = 0;
        const batch = 1000;
        for (let start = 0; start < test.count; start += batch) {
          const count = Math.min(batch, test.count - start);
          const out = await session.run({ input: inputBatch(test, start, count) });
          const data = out.logits.data as Float32Array;
          for (let i = 0; i < count; i++) {
            let best = 0;
            for (let k = 1; k < CLASSES; k++) {
              if (data[i * CLASSES + k] > data[i * CLASSES + best]) best = k;
            }
            if (best === test.labels[start + i]) correct++;
          }
        }
        expect(figures.pytorch.total).toBe(test.count);
        expect(Math.abs(correct - figures.pytorch.correct)).toBeLessThanOrEqual(3);
      } finally {
        await session.release();
      }
    },
  );
});

// ---- A TensorProto reader for the backend tests' .pb files (protobuf wire format). ----

interface TensorProtoValue {
  readonly name: string;
  readonly dataType: number;
  readonly dims: number[];
  readonly values: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;
}

/** TensorProto.DataType codes in the vendored tests and the ort type each becomes. */
const ORT_TYPES: Record<number, 'float32' | 'int64' | 'int32' | 'bool' | 'float64'> = {
  1: 'float32',
  6: 'int32',
  7: 'int64',
  9: 'bool',
  11: 'float64',
};

function readTensorProto(bytes: Uint8Array): TensorProtoValue {
  let at = 0;
  const varint = (): bigint => {
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = bytes[at++];
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return value;
    }
  };
  let name = '';
  let dataType = 0;
  const dims: number[] = [];
  let raw: Uint8Array | undefined;
  const floats: number[] = [];
  const ints: bigint[] = [];
  const doubles: number[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  while (at < bytes.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 0) {
      const value = varint();
      if (field === 1) dims.push(Number(value));
      else if (field === 2) dataType = Number(value);
      else if (field === 5 || field === 7) ints.push(BigInt.asIntN(64, value));
    } else if (wire === 2) {
      const length = Number(varint());
      const end = at + length;
      const chunk = bytes.subarray(at, end);
      if (field === 8) name = new TextDecoder().decode(chunk);
      else if (field === 9) raw = chunk;
      else if (field === 1 || field === 5 || field === 7) {
        // Packed repeated varints.
        while (at < end) {
          const value = BigInt.asIntN(64, varint());
          if (field === 1) dims.push(Number(value));
          else ints.push(value);
        }
      } else if (field === 4) {
        for (let i = at; i < end; i += 4) floats.push(view.getFloat32(i, true));
      } else if (field === 10) {
        for (let i = at; i < end; i += 8) doubles.push(view.getFloat64(i, true));
      }
      at = end;
    } else if (wire === 5) {
      if (field === 4) floats.push(view.getFloat32(at, true));
      at += 4;
    } else if (wire === 1) {
      if (field === 10) doubles.push(view.getFloat64(at, true));
      at += 8;
    } else {
      throw new Error(`TensorProto: wire type ${wire} of field ${field} is not read here`);
    }
  }
  const copy = raw ? raw.slice() : undefined;
  const values = (() => {
    switch (dataType) {
      case 1:
        return copy ? new Float32Array(copy.buffer) : Float32Array.from(floats);
      case 11:
        return copy ? new Float64Array(copy.buffer) : Float64Array.from(doubles);
      case 7:
        return copy ? new BigInt64Array(copy.buffer) : BigInt64Array.from(ints);
      case 6:
        return copy ? new Int32Array(copy.buffer) : Int32Array.from(ints, Number);
      case 9:
        return copy ?? Uint8Array.from(ints, Number);
      default:
        throw new Error(`TensorProto ${name}: data type ${dataType} is not read here`);
    }
  })();
  return { name, dataType, dims, values };
}

function ortTensor(tensor: TensorProtoValue): ort.Tensor {
  const type = ORT_TYPES[tensor.dataType];
  const data = type === 'bool' ? Uint8Array.from(tensor.values as Uint8Array) : tensor.values;
  return new ort.Tensor(type, data as Float32Array, tensor.dims);
}

/** Each backend test folder under test-fixtures/onnx/<suite>/, as [suite/test]. */
const backendTests = ['node', 'pytorch-converted'].flatMap((suite) =>
  readdirSync(join(fixturesDir, suite))
    .sort()
    .map((test) => `${suite}/${test}`),
);

describe('vendored ONNX backend tests in onnxruntime', () => {
  it('are all there', () => {
    expect(backendTests.filter((t) => t.startsWith('node/'))).toHaveLength(144);
    expect(backendTests.filter((t) => t.startsWith('pytorch-converted/'))).toHaveLength(23);
  });

  it.each(backendTests)('%s gives its expected outputs', async (test) => {
    const dir = join(fixturesDir, test);
    const dataDir = join(dir, 'test_data_set_0');
    const files = readdirSync(dataDir);
    const read = (prefix: string) =>
      files
        .filter((f) => f.startsWith(prefix))
        .sort((a, b) => parseInt(a.slice(prefix.length)) - parseInt(b.slice(prefix.length)))
        .map((f) => readTensorProto(new Uint8Array(readFileSync(join(dataDir, f)))));
    const inputs = read('input_');
    const expected = read('output_');
    // Warnings about the opset-6 tests' age are not failures.
    const session = await ort.InferenceSession.create(join(dir, 'model.onnx'), {
      logSeverityLevel: 3,
    });
    try {
      expect(inputs).toHaveLength(session.inputNames.length);
      const feeds: Record<string, ort.Tensor> = {};
      inputs.forEach((tensor, i) => (feeds[session.inputNames[i]] = ortTensor(tensor)));
      const results = await session.run(feeds);
      expect(expected).toHaveLength(session.outputNames.length);
      expected.forEach((want, i) => {
        const got = results[session.outputNames[i]];
        expect(got.dims).toEqual(want.dims);
        expect(got.type).toBe(ORT_TYPES[want.dataType]);
        const gotValues = Array.from(got.data as ArrayLike<number | bigint>);
        const wantValues = Array.from(want.values as ArrayLike<number | bigint>);
        expect(gotValues).toHaveLength(wantValues.length);
        if (want.dataType === 1 || want.dataType === 11) {
          // ONNX's backend test tolerances (onnx/backend/test/runner: rtol 1e-3, atol 1e-7),
          // atol widened to 1e-5 for float32 sums.
          gotValues.forEach((value, j) => {
            const target = wantValues[j] as number;
            expect(Math.abs((value as number) - target)).toBeLessThanOrEqual(
              1e-5 + 1e-3 * Math.abs(target),
            );
          });
        } else {
          expect(gotValues).toEqual(wantValues);
        }
      });
    } finally {
      await session.release();
    }
  });
});
