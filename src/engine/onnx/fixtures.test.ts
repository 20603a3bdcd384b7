/**
 * The ONNX fixtures agree with onnxruntime, an implementation independent of the lab: the
 * PyTorch-made MNIST classifiers in test-fixtures/onnx/models/ give PyTorch's own logits and
 * correct counts (models.json) on the lab's mnist test split, the colour classifier PyTorch's
 * logits on its image folder, and every backend test (ONNX's own in test-fixtures/onnx/node/ and
 * pytorch-converted/, PyTorch-made ones in pytorch-ops/) its expected outputs. The importer's
 * tests can then compare the lab's graph with these figures and trust that they are right.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataSplit } from '../data/load.ts';
import type { DigitSplit } from '../data/digits.ts';
import { publicAssets } from '../test/fixtures.ts';
import { decodeOnnxTensor } from './decode.ts';
import { ONNX_DATA_TYPES, type OnnxTensor } from './onnx-model.ts';

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

interface ColourFigures {
  readonly classes: readonly string[];
  readonly models: Readonly<
    Record<
      string,
      {
        readonly pytorch: {
          readonly correct: number;
          readonly total: number;
          readonly logits: Readonly<Record<string, readonly number[]>>;
        };
      }
    >
  >;
}

/**
 * The pixels (RGB, row-major) of a PNG as scripts/fixtures/make_colour_images.py writes them:
 * 8-bit RGB, no interlace, filter type 0 on every row. Nothing more general: the lab's own
 * image decoding is tested elsewhere.
 */
function readFixturePng(path: string): { width: number; height: number; rgb: Uint8Array } {
  const file = readFileSync(path);
  expect(file.subarray(0, 8)).toEqual(
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  );
  let at = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (at < file.length) {
    const length = file.readUInt32BE(at);
    const kind = file.toString('latin1', at + 4, at + 8);
    const body = file.subarray(at + 8, at + 8 + length);
    if (kind === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      expect([body[8], body[9], body[12]]).toEqual([8, 2, 0]); // 8-bit, RGB, no interlace
    } else if (kind === 'IDAT') idat.push(body);
    at += 12 + length;
  }
  const rows = inflateSync(Buffer.concat(idat));
  const stride = 1 + 3 * width;
  expect(rows.length).toBe(height * stride);
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    expect(rows[y * stride]).toBe(0);
    rgb.set(rows.subarray(y * stride + 1, (y + 1) * stride), y * width * 3);
  }
  return { width, height, rgb };
}

/** A .npy file's dtype, shape and data bytes (format versions 1 and 2, C order only). */
function readNpy(path: string): { descr: string; shape: number[]; data: Uint8Array } {
  const file = readFileSync(path);
  expect(file.toString('latin1', 0, 6)).toBe('\x93NUMPY');
  const version = file[6];
  const headerLength = version === 1 ? file.readUInt16LE(8) : file.readUInt32LE(8);
  const start = version === 1 ? 10 : 12;
  const header = file.toString('latin1', start, start + headerLength);
  expect(header).toContain("'fortran_order': False");
  const descr = /'descr': '([^']+)'/.exec(header)![1];
  const shape = /'shape': \(([^)]*)\)/
    .exec(header)![1]
    .split(',')
    .filter((d) => d.trim() !== '')
    .map(Number);
  return { descr, shape, data: new Uint8Array(file.subarray(start + headerLength)) };
}

describe('the colour image fixtures', () => {
  it('hold the same test images as PNGs and as a NumPy pair, in ImageFolder order', () => {
    const folder = join(fixturesDir, '..', 'images', 'fashion-colour-32');
    const pair = join(fixturesDir, '..', 'images', 'fashion-colour-32-npy');
    const classes = readdirSync(join(folder, 'test')).sort();
    expect(readFileSync(join(pair, 'classes.txt'), 'utf8')).toBe(
      classes.map((name) => `${name}\n`).join(''),
    );
    const images = readNpy(join(pair, 'images.npy'));
    const labels = readNpy(join(pair, 'labels.npy'));
    expect(images.descr).toBe('|u1');
    expect(labels.descr).toBe('<i8');
    const count = images.shape[0];
    expect(images.shape).toEqual([count, 32, 32, 3]);
    expect(labels.shape).toEqual([count]);
    const labelValues = Array.from(new BigInt64Array(labels.data.slice().buffer, 0, count), Number);
    let n = 0;
    classes.forEach((name, label) => {
      for (const file of readdirSync(join(folder, 'test', name)).sort()) {
        const { rgb } = readFixturePng(join(folder, 'test', name, file));
        expect(
          Buffer.compare(rgb, images.data.subarray(n * rgb.length, (n + 1) * rgb.length)),
        ).toBe(0);
        expect(labelValues[n]).toBe(label);
        n++;
      }
    });
    expect(n).toBe(count);
  });
});

describe('the colour classifier in onnxruntime', () => {
  it("gives PyTorch's logits and correct count on its image folder's test images", async () => {
    const folder = join(fixturesDir, '..', 'images', 'fashion-colour-32');
    const figures = JSON.parse(
      readFileSync(join(modelsDir, 'fashion_colour.json'), 'utf8'),
    ) as ColourFigures;
    // ImageFolder's labels: class folders sorted by name.
    const classes = readdirSync(join(folder, 'test')).sort();
    expect(classes).toEqual(figures.classes);
    const names = classes.flatMap((name) =>
      readdirSync(join(folder, 'test', name))
        .sort()
        .map((file) => `test/${name}/${file}`),
    );
    const size = 32;
    const input = new Float32Array(names.length * 3 * size * size);
    names.forEach((name, n) => {
      const { width, height, rgb } = readFixturePng(join(folder, name));
      expect([width, height]).toEqual([size, size]);
      // HWC bytes to NCHW floats, pixel / 255.
      for (let c = 0; c < 3; c++) {
        for (let i = 0; i < size * size; i++) {
          input[(n * 3 + c) * size * size + i] = rgb[i * 3 + c] / 255;
        }
      }
    });
    const [file, model] = Object.entries(figures.models)[0];
    const session = await ort.InferenceSession.create(join(modelsDir, file));
    try {
      const out = await session.run({
        input: new ort.Tensor('float32', input, [names.length, 3, size, size]),
      });
      const logits = out.logits.data as Float32Array;
      const k = classes.length;
      expect(out.logits.dims).toEqual([names.length, k]);
      expect(names).toHaveLength(model.pytorch.total);
      let correct = 0;
      let worst = 0;
      names.forEach((name, n) => {
        const row = Array.from(logits.subarray(n * k, (n + 1) * k));
        model.pytorch.logits[name].forEach((expected, j) => {
          worst = Math.max(worst, Math.abs(row[j] - expected));
        });
        if (row.indexOf(Math.max(...row)) === classes.indexOf(name.split('/')[1])) correct++;
      });
      expect(worst).toBeLessThan(1e-4);
      expect(correct).toBe(model.pytorch.correct);
    } finally {
      await session.release();
    }
  });
});

/** The tensor types of the vendored backend tests' inputs and outputs, as onnxruntime names them. */
const ORT_TYPES: Record<number, 'float32' | 'int64' | 'int32' | 'bool'> = {
  [ONNX_DATA_TYPES.float]: 'float32',
  [ONNX_DATA_TYPES.int32]: 'int32',
  [ONNX_DATA_TYPES.int64]: 'int64',
  [ONNX_DATA_TYPES.bool]: 'bool',
};

function ortTensor(tensor: OnnxTensor): ort.Tensor {
  const ints = tensor.ints ?? [];
  switch (ORT_TYPES[tensor.dataType]) {
    case 'float32':
      return new ort.Tensor('float32', tensor.floats ?? new Float32Array(0), tensor.dims);
    case 'int64':
      return new ort.Tensor('int64', BigInt64Array.from(ints, BigInt), tensor.dims);
    case 'int32':
      return new ort.Tensor('int32', Int32Array.from(ints), tensor.dims);
    case 'bool':
      return new ort.Tensor('bool', Uint8Array.from(ints), tensor.dims);
    default:
      throw new Error(`${tensor.name}: data type ${tensor.dataType} is not fed here`);
  }
}

/**
 * Each backend test folder under test-fixtures/onnx/<suite>/, as [suite/test]: ONNX's own
 * (node, pytorch-converted) and the PyTorch-made ones in their layout (pytorch-ops; refused,
 * valid models the importer must refuse).
 */
const backendTests = ['node', 'pytorch-converted', 'pytorch-ops', 'refused'].flatMap((suite) =>
  readdirSync(join(fixturesDir, suite))
    .sort()
    .map((test) => `${suite}/${test}`),
);

describe('ONNX backend tests (vendored and PyTorch-made) in onnxruntime', () => {
  it('are all there', () => {
    expect(backendTests.filter((t) => t.startsWith('node/'))).toHaveLength(144);
    expect(backendTests.filter((t) => t.startsWith('pytorch-converted/'))).toHaveLength(23);
    expect(backendTests.filter((t) => t.startsWith('pytorch-ops/'))).toHaveLength(36);
    expect(backendTests.filter((t) => t.startsWith('refused/'))).toHaveLength(2);
  });

  it.each(backendTests)('%s gives its expected outputs', async (test) => {
    const dir = join(fixturesDir, test);
    const dataDir = join(dir, 'test_data_set_0');
    const files = readdirSync(dataDir);
    const read = (prefix: string) =>
      files
        .filter((f) => f.startsWith(prefix))
        .sort((a, b) => parseInt(a.slice(prefix.length)) - parseInt(b.slice(prefix.length)))
        .map((f) => decodeOnnxTensor(new Uint8Array(readFileSync(join(dataDir, f))), f));
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
        const gotValues = Array.from(got.data as ArrayLike<number | bigint>, Number);
        if (want.floats) {
          expect(gotValues).toHaveLength(want.floats.length);
          // ONNX's backend test tolerances (onnx/backend/test/runner: rtol 1e-3, atol 1e-7),
          // atol widened to 1e-5 for float32 sums.
          gotValues.forEach((value, j) => {
            const target = want.floats![j];
            expect(Math.abs(value - target)).toBeLessThanOrEqual(1e-5 + 1e-3 * Math.abs(target));
          });
        } else {
          expect(gotValues).toEqual(want.ints);
        }
      });
    } finally {
      await session.release();
    }
  });
});
