/**
 * The wasm gradient kernels against their reference, the cpu backend's kernel of the same name:
 * same inputs, outputs equal up to float32 summation order.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { digitsToTensor, labelsOf } from '../engine/data/batches.ts';
import { loadDigitSplit, type DigitSplit } from '../engine/data/digits.ts';
import { buildModel, type ModelId } from '../engine/model/zoo.ts';
import { fileAssetReader } from '../engine/node/assets.ts';
import { useNodeBackend } from '../engine/node/backend.ts';
import { crossEntropyLoss } from '../engine/train/train.ts';
import { createRng } from '../engine/util/random.ts';
import { registerWasmGradientKernels } from './wasm-gradients.ts';

type Backend = 'wasm' | 'cpu';
interface HostTensor {
  values: Float32Array;
  shape: number[];
}
type Shape4 = [number, number, number, number];
type Padding = 'same' | 'valid' | tf.backend_util.ExplicitPadding;

function randomTensor(shape: number[], seed: number): HostTensor {
  const rng = createRng(seed);
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i++) values[i] = rng() * 2 - 1;
  return { values, shape };
}

/** Runs one kernel on `backend` and returns its output on the host. */
async function runKernelOn(
  backend: Backend,
  kernelName: string,
  inputs: Record<string, HostTensor>,
  attrs: tf.NamedAttrMap,
): Promise<HostTensor> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const tensors: tf.NamedTensorMap = {};
    for (const [name, t] of Object.entries(inputs)) tensors[name] = tf.tensor(t.values, t.shape);
    const out = tf.engine().runKernel(kernelName, tensors, attrs) as tf.Tensor;
    return { values: out.dataSync() as Float32Array, shape: out.shape };
  });
}

/**
 * Float32 sums in a different order differ by a few ulps of the largest partial sums, so the
 * bound is relative to the output's magnitude; any indexing mistake is off by O(1) of it.
 */
function expectClose(actual: HostTensor, expected: HostTensor, relative = 2e-5): void {
  expect(actual.shape).toEqual(expected.shape);
  let scale = 1;
  for (const v of expected.values) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < expected.values.length; i++) {
    worst = Math.max(worst, Math.abs(actual.values[i] - expected.values[i]));
  }
  expect(worst).toBeLessThanOrEqual(relative * scale);
}

/** The kernel on wasm and on cpu; also checks the wasm kernel frees all its intermediates. */
async function compareWithCpu(
  kernelName: string,
  inputs: Record<string, HostTensor>,
  attrs: tf.NamedAttrMap,
): Promise<HostTensor> {
  await tf.setBackend('wasm');
  const dataIdsBefore = (tf.backend() as BackendWasm).numDataIds();
  const onWasm = await runKernelOn('wasm', kernelName, inputs, attrs);
  expect((tf.backend() as BackendWasm).numDataIds()).toBe(dataIdsBefore);
  const onCpu = await runKernelOn('cpu', kernelName, inputs, attrs);
  expectClose(onWasm, onCpu);
  return onWasm;
}

function convOutputShape(
  xShape: Shape4,
  filterShape: Shape4,
  strides: number | [number, number],
  pad: Padding,
  depthwise: boolean,
  dataFormat: 'NHWC' | 'NCHW' = 'NHWC',
): number[] {
  const format = dataFormat === 'NHWC' ? 'channelsLast' : 'channelsFirst';
  return tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    strides,
    1,
    pad,
    undefined,
    depthwise,
    format,
  ).outShape;
}

interface ConvCase {
  name: string;
  x: Shape4;
  filter: Shape4;
  strides: number | [number, number];
  pad: Padding;
  dataFormat?: 'NHWC' | 'NCHW';
}

const CONV_CASES: ConvCase[] = [
  { name: '3x3 stride 1 same', x: [2, 7, 7, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { name: '3x3 stride 2 same', x: [3, 9, 9, 2], filter: [3, 3, 2, 5], strides: 2, pad: 'same' },
  { name: '3x3 stride 2 valid', x: [2, 10, 11, 4], filter: [3, 3, 4, 3], strides: 2, pad: 'valid' },
  { name: '5x5 stride 1 valid', x: [2, 12, 12, 5], filter: [5, 5, 5, 7], strides: 1, pad: 'valid' },
  { name: '5x5 stride 2 same', x: [2, 13, 12, 2], filter: [5, 5, 2, 3], strides: 2, pad: 'same' },
  {
    name: '5x5 strides 2x3, explicit padding',
    x: [2, 11, 10, 2],
    filter: [5, 5, 2, 3],
    strides: [2, 3],
    pad: [
      [0, 0],
      [1, 2],
      [2, 0],
      [0, 0],
    ],
  },
  {
    name: '3x3 stride 2 same, NCHW',
    x: [2, 3, 8, 9],
    filter: [3, 3, 3, 4],
    strides: 2,
    pad: 'same',
    dataFormat: 'NCHW',
  },
];

let digits: DigitSplit;

beforeAll(async () => {
  await useNodeBackend('wasm');
  digits = await loadDigitSplit(fileAssetReader(), 'test');
});

/** `count` real test digits as an NHWC [count, 28, 28, 1] host tensor in [0, 1]. */
function realDigits(count: number): HostTensor {
  const t = digitsToTensor(digits, 0, count, [28, 28, 1]);
  const host = { values: t.dataSync() as Float32Array, shape: t.shape };
  t.dispose();
  return host;
}

describe('wasm gradient kernel registration', () => {
  it('adds the kernels tfjs-wasm lacks and replaces the two slow ones, idempotently', () => {
    const names = [
      tf.Conv2DBackpropFilter,
      tf.Conv2DBackpropInput,
      tf.DepthwiseConv2dNativeBackpropFilter,
      tf.DepthwiseConv2dNativeBackpropInput,
      tf.BatchMatMul,
      tf.MaxPoolGrad,
    ];
    const before = names.map((name) => tf.getKernel(name, 'wasm')?.kernelFunc);
    expect(before.every((f) => f != null)).toBe(true);
    registerWasmGradientKernels();
    registerWasmGradientKernels();
    expect(names.map((name) => tf.getKernel(name, 'wasm')?.kernelFunc)).toEqual(before);
  });
});

describe('Conv2DBackpropFilter on wasm matches cpu', () => {
  it('on real MNIST digits, 5x5 valid like LeNet-5 conv1', async () => {
    const x = realDigits(4);
    const dy = randomTensor(convOutputShape([4, 28, 28, 1], [5, 5, 1, 6], 1, 'valid', false), 7);
    await compareWithCpu(
      tf.Conv2DBackpropFilter,
      { x, dy },
      { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [5, 5, 1, 6] },
    );
  });

  for (const c of CONV_CASES) {
    it(c.name, async () => {
      const dataFormat = c.dataFormat ?? 'NHWC';
      const dyShape = convOutputShape(c.x, c.filter, c.strides, c.pad, false, dataFormat);
      await compareWithCpu(
        tf.Conv2DBackpropFilter,
        { x: randomTensor(c.x, 1), dy: randomTensor(dyShape, 2) },
        { strides: c.strides, pad: c.pad, dataFormat, filterShape: c.filter },
      );
    });
  }
});

describe('Conv2DBackpropInput on wasm matches cpu', () => {
  it('on real MNIST digits, stride 2 same', async () => {
    // The digits serve as dy here: real, mostly-zero data with sharp edges.
    const dy = realDigits(2);
    const filter: Shape4 = [5, 5, 3, 1];
    await compareWithCpu(
      tf.Conv2DBackpropInput,
      { dy, filter: randomTensor(filter, 3) },
      { strides: 2, pad: 'same', dataFormat: 'NHWC', inputShape: [2, 56, 56, 3] },
    );
  });

  for (const c of CONV_CASES) {
    it(c.name, async () => {
      const dataFormat = c.dataFormat ?? 'NHWC';
      const dyShape = convOutputShape(c.x, c.filter, c.strides, c.pad, false, dataFormat);
      await compareWithCpu(
        tf.Conv2DBackpropInput,
        { dy: randomTensor(dyShape, 4), filter: randomTensor(c.filter, 5) },
        { strides: c.strides, pad: c.pad, dataFormat, inputShape: c.x },
      );
    });
  }
});

const DEPTHWISE_CASES: ConvCase[] = [
  {
    name: '3x3 stride 1 same, multiplier 1',
    x: [2, 8, 8, 3],
    filter: [3, 3, 3, 1],
    strides: 1,
    pad: 'same',
  },
  {
    name: '3x3 stride 2 same, multiplier 2',
    x: [2, 9, 9, 3],
    filter: [3, 3, 3, 2],
    strides: 2,
    pad: 'same',
  },
  {
    name: '5x5 stride 2 valid, multiplier 3',
    x: [3, 12, 11, 2],
    filter: [5, 5, 2, 3],
    strides: 2,
    pad: 'valid',
  },
  {
    name: '5x5 stride 1 valid, multiplier 1',
    x: [2, 10, 10, 4],
    filter: [5, 5, 4, 1],
    strides: 1,
    pad: 'valid',
  },
];

describe('depthwise conv gradients on wasm match cpu', () => {
  for (const c of DEPTHWISE_CASES) {
    const dyShape = () => convOutputShape(c.x, c.filter, c.strides, c.pad, true);
    it(`filter: ${c.name}`, async () => {
      await compareWithCpu(
        tf.DepthwiseConv2dNativeBackpropFilter,
        { x: randomTensor(c.x, 11), dy: randomTensor(dyShape(), 12) },
        { strides: c.strides, pad: c.pad, dilations: 1, filterShape: c.filter },
      );
    });
    it(`input: ${c.name}`, async () => {
      await compareWithCpu(
        tf.DepthwiseConv2dNativeBackpropInput,
        { dy: randomTensor(dyShape(), 13), filter: randomTensor(c.filter, 14) },
        { strides: c.strides, pad: c.pad, dilations: 1, inputShape: c.x },
      );
    });
  }

  it('gives the filter gradient of a real MNIST batch', async () => {
    const x = realDigits(3);
    const filterShape: Shape4 = [3, 3, 1, 4];
    const dy = randomTensor(convOutputShape([3, 28, 28, 1], filterShape, 2, 'same', true), 15);
    await compareWithCpu(
      tf.DepthwiseConv2dNativeBackpropFilter,
      { x, dy },
      { strides: 2, pad: 'same', dilations: 1, filterShape },
    );
  });
});

describe('BatchMatMul with transposed operands on wasm matches cpu', () => {
  const cases: [string, number[], number[], boolean, boolean][] = [
    ['transposeA (dense dW)', [16, 30], [16, 20], true, false],
    ['transposeB (dense dx)', [16, 20], [30, 20], false, true],
    ['both', [30, 16], [20, 30], true, true],
    ['batched, transposeB', [3, 5, 7], [3, 6, 7], false, true],
    ['broadcast batch, transposeA', [1, 7, 5], [4, 7, 6], true, false],
    ['untransposed (built-in path)', [16, 30], [30, 20], false, false],
  ];
  for (const [name, aShape, bShape, transposeA, transposeB] of cases) {
    it(name, async () => {
      await compareWithCpu(
        tf.BatchMatMul,
        { a: randomTensor(aShape, 21), b: randomTensor(bShape, 22) },
        { transposeA, transposeB },
      );
    });
  }
});

describe("UnsortedSegmentSum (added for Gather's gradient) on wasm matches cpu", () => {
  const cases: [string, number[], number[], number][] = [
    ['vector, ids out of range dropped', [9], [2, 0, 0, 5, 1, -1, 2, 7, 1], 6],
    ['rows of a matrix', [7, 5], [3, 3, 0, 1, 3, 0, 2], 4],
    ['rows of a 3-D tensor', [6, 3, 4], [1, 0, 1, 2, 2, 0], 3],
  ];
  for (const [name, shape, ids, numSegments] of cases) {
    it(name, async () => {
      const x = randomTensor(shape, 31);
      const on = async (backend: Backend) => {
        await tf.setBackend(backend);
        return tf.tidy(() => {
          const out = tf.unsortedSegmentSum(
            tf.tensor(x.values, x.shape),
            tf.tensor1d(ids, 'int32'),
            numSegments,
          );
          return { values: out.dataSync() as Float32Array, shape: out.shape };
        });
      };
      expectClose(await on('wasm'), await on('cpu'));
    });
  }
});

describe('MaxPoolGrad on wasm matches cpu, negative windows and ties included', () => {
  /** The pool's input, its output (computed on cpu) and a dy, as MaxPoolGrad's inputs. */
  async function poolInputs(input: HostTensor, attrs: tf.NamedAttrMap, seed: number) {
    const output = await runKernelOn('cpu', tf.MaxPool, { x: input }, attrs);
    return { input, output, dy: randomTensor(output.shape, seed) };
  }

  const cases: [string, number[], number | [number, number], number, 'same' | 'valid'][] = [
    ['2x2 stride 2 valid (LeNet-5)', [2, 8, 8, 3], 2, 2, 'valid'],
    ['3x3 stride 2 same (overlapping windows)', [2, 9, 7, 4], 3, 2, 'same'],
    ['3x2 stride 1 same', [1, 6, 6, 2], [3, 2], 1, 'same'],
  ];
  for (const [name, shape, filterSize, strides, pad] of cases) {
    it(name, async () => {
      const attrs = { filterSize, strides, pad };
      await compareWithCpu(
        tf.MaxPoolGrad,
        await poolInputs(randomTensor(shape, 31), attrs, 32),
        attrs,
      );
    });
  }

  it('sends the gradient to the first maximum when a window ties', async () => {
    // Values in {0, 1, 2}: most windows hold several equal maxima, as after a ReLU.
    const input = randomTensor([2, 8, 8, 3], 33);
    input.values = input.values.map((v) => Math.floor((v + 1) * 1.5));
    for (const attrs of [
      { filterSize: 2, strides: 2, pad: 'valid' },
      { filterSize: 3, strides: 1, pad: 'same' },
    ]) {
      await compareWithCpu(tf.MaxPoolGrad, await poolInputs(input, attrs, 34), attrs);
    }
  });

  it('on real digits (many windows of zeros)', async () => {
    const attrs = { filterSize: 2, strides: 2, pad: 'valid' };
    await compareWithCpu(tf.MaxPoolGrad, await poolInputs(realDigits(3), attrs, 35), attrs);
  });
});

describe('AvgPoolGrad (built into tfjs-wasm, kept) matches cpu', () => {
  const cases: [number[], number, number, 'same' | 'valid'][] = [
    [[2, 8, 8, 3], 2, 2, 'valid'],
    [[2, 9, 7, 4], 3, 2, 'same'],
  ];
  for (const [shape, filterSize, strides, pad] of cases) {
    it(`${filterSize}x${filterSize} stride ${strides} ${pad}`, async () => {
      const attrs = { filterSize, strides, pad };
      const output = await runKernelOn('cpu', tf.AvgPool, { x: randomTensor(shape, 41) }, attrs);
      await compareWithCpu(
        tf.AvgPoolGrad,
        { input: randomTensor(shape, 41), dy: randomTensor(output.shape, 42) },
        attrs,
      );
    });
  }
});

describe('property: conv gradients on random small shapes', () => {
  const shapes = fc
    .record({
      batch: fc.integer({ min: 1, max: 3 }),
      height: fc.integer({ min: 1, max: 9 }),
      width: fc.integer({ min: 1, max: 9 }),
      inChannels: fc.integer({ min: 1, max: 3 }),
      outChannels: fc.integer({ min: 1, max: 3 }),
      kh: fc.integer({ min: 1, max: 5 }),
      kw: fc.integer({ min: 1, max: 5 }),
      strideH: fc.integer({ min: 1, max: 3 }),
      strideW: fc.integer({ min: 1, max: 3 }),
      pad: fc.constantFrom<'same' | 'valid'>('same', 'valid'),
      seed: fc.integer({ min: 0, max: 1000 }),
    })
    .filter((s) => s.pad === 'same' || (s.kh <= s.height && s.kw <= s.width));

  it('Conv2DBackpropFilter and Conv2DBackpropInput agree with cpu', async () => {
    await fc.assert(
      fc.asyncProperty(shapes, async (s) => {
        const x: Shape4 = [s.batch, s.height, s.width, s.inChannels];
        const filter: Shape4 = [s.kh, s.kw, s.inChannels, s.outChannels];
        const strides: [number, number] = [s.strideH, s.strideW];
        const dyShape = convOutputShape(x, filter, strides, s.pad, false);
        await compareWithCpu(
          tf.Conv2DBackpropFilter,
          { x: randomTensor(x, s.seed), dy: randomTensor(dyShape, s.seed + 1) },
          { strides, pad: s.pad, dataFormat: 'NHWC', filterShape: filter },
        );
        await compareWithCpu(
          tf.Conv2DBackpropInput,
          { dy: randomTensor(dyShape, s.seed + 2), filter: randomTensor(filter, s.seed + 3) },
          { strides, pad: s.pad, dataFormat: 'NHWC', inputShape: x },
        );
      }),
      { numRuns: 40, seed: 20240601 },
    );
  });

  it('depthwise gradients agree with cpu', async () => {
    await fc.assert(
      fc.asyncProperty(shapes, fc.integer({ min: 1, max: 3 }), async (s, multiplier) => {
        const x: Shape4 = [s.batch, s.height, s.width, s.inChannels];
        const filter: Shape4 = [s.kh, s.kw, s.inChannels, multiplier];
        const strides: [number, number] = [s.strideH, s.strideW];
        const dyShape = convOutputShape(x, filter, strides, s.pad, true);
        await compareWithCpu(
          tf.DepthwiseConv2dNativeBackpropFilter,
          { x: randomTensor(x, s.seed), dy: randomTensor(dyShape, s.seed + 1) },
          { strides, pad: s.pad, dilations: 1, filterShape: filter },
        );
        await compareWithCpu(
          tf.DepthwiseConv2dNativeBackpropInput,
          { dy: randomTensor(dyShape, s.seed + 2), filter: randomTensor(filter, s.seed + 3) },
          { strides, pad: s.pad, dilations: 1, inputShape: x },
        );
      }),
      { numRuns: 25, seed: 20240602 },
    );
  });
});

// LeNet-5, and the compact designs: their branches (Concatenate, Add), 'same' padding, 3x3
// max-pooling at stride 1 and global average pooling all train on wasm through these gradients.
describe('model gradients on wasm match cpu', () => {
  /** Gradients of the mean cross-entropy w.r.t. every trainable weight, in layer order. */
  async function modelGradients(
    id: ModelId,
    backend: Backend,
    weights: tf.Tensor[] | null,
    batch = 16,
  ) {
    await tf.setBackend(backend);
    const model = buildModel(id, 5);
    if (weights) model.setWeights(weights);
    const x = digitsToTensor(digits, 100, batch, [28, 28, 1]);
    const y = tf.oneHot(tf.tensor1d(labelsOf(digits, 100, batch), 'int32'), 10);
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(
      () => crossEntropyLoss(model.apply(x, { training: true }) as tf.Tensor, y),
      variables,
    );
    const result = {
      loss: value.dataSync()[0],
      grads: variables.map((v) => ({
        values: grads[v.name].dataSync() as Float32Array,
        shape: grads[v.name].shape,
      })),
      weights: model.getWeights().map((w) => w.clone()),
    };
    tf.dispose([x, y, value, ...Object.values(grads)]);
    model.dispose();
    return result;
  }

  // nin is not in this list: on this batch whole 2x2 windows of its pool2 input are equal up to
  // a few ulps (the digits' background), and wasm's and cpu's forward sums break those
  // near-ties differently, so the max-pool gradient lands on another, equally valid position
  // and everything upstream of pool2 differs (up to 14%) while the loss and everything after
  // agree to 1e-5. See docs/techniques/compact-architectures.md.
  const ids: ModelId[] = ['lenet5', 'squeezenet', 'inception', 'resnext'];
  // 16 digits for LeNet-5; 4 for the compact designs, whose cpu reference is slower per digit.
  it.each(ids)('%s: for all weights on a batch of real digits', async (id) => {
    const batch = id === 'lenet5' ? 16 : 4;
    const onWasm = await modelGradients(id, 'wasm', null, batch);
    // Same starting weights on cpu, copied rather than trusted to the seed.
    const hostWeights = onWasm.weights.map((w) => ({ values: w.dataSync(), shape: w.shape }));
    tf.dispose(onWasm.weights);
    await tf.setBackend('cpu');
    const cpuWeights = hostWeights.map((w) => tf.tensor(w.values, w.shape));
    const onCpu = await modelGradients(id, 'cpu', cpuWeights, batch);
    tf.dispose([...cpuWeights, ...onCpu.weights]);

    expect(onWasm.loss).toBeCloseTo(onCpu.loss, 5);
    expect(onWasm.grads).toHaveLength(id === 'lenet5' ? 8 : onCpu.grads.length);
    for (let i = 0; i < onCpu.grads.length; i++) {
      // A zero gradient on either side would make the comparison meaningless.
      expect(onCpu.grads[i].values.some((v) => v !== 0)).toBe(true);
      expectClose(onWasm.grads[i], onCpu.grads[i], 1e-4);
    }
    await tf.setBackend('wasm');
  });
});
