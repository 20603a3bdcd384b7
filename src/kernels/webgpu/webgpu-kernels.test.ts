/**
 * The WebGPU kernels in Node through Dawn on SwiftShader (a CPU Vulkan driver: correct, slow,
 * so shapes are tiny), each against its reference twin and against tfjs's own op on the cpu
 * backend. Skipped, with the reason, where no WebGPU adapter can be had.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convGeometry } from '../geometry.ts';
import { mecConv2dReference, loweredSizes } from '../mec/mec.ts';
import { MecGpuConv2d } from '../mec/mec-webgpu.ts';
import { csrMatMulReference } from '../sparse/csr.ts';
import { CsrGpuDense } from '../sparse/csr-webgpu.ts';
import {
  cpuConv2d,
  mismatches,
  onCpu,
  randomValues,
  relativeError,
  type ConvCase,
} from '../test-util.ts';
import { winogradConv2dReference } from '../winograd/reference.ts';
import { WINOGRAD_VARIANTS, winogradMatrices } from '../winograd/transforms.ts';
import { WinogradGpuConv2d } from '../winograd/winograd-webgpu.ts';
import { filterAlpha } from '../xnor/binarize.ts';
import { xnorConv2dReference, xnorDenseReference } from '../xnor/reference.ts';
import { XnorGpuKernel } from '../xnor/xnor-webgpu.ts';
import { registerGpuKernel, type GpuKernel } from './gpu.ts';
import { installNodeWebGpu } from './node-dawn.ts';
import { prepareLayerKernel } from '../select.ts';

const webgpu = await installNodeWebGpu();
let device: GPUDevice;

beforeAll(async () => {
  if (webgpu.reason) return;
  await import('@tensorflow/tfjs-backend-webgpu');
  expect(await tf.setBackend('webgpu')).toBe(true);
  device = (tf.backend() as unknown as { device: GPUDevice }).device;
});

afterAll(async () => {
  if (!webgpu.reason) await tf.setBackend('cpu');
});

/** Runs a GPU kernel as a tfjs kernel on the webgpu backend and reads its output. */
async function runGpu(kernel: GpuKernel, x: Float32Array, shape: number[]): Promise<Float32Array> {
  const registered = registerGpuKernel(kernel);
  try {
    const input = tf.tensor(x, shape);
    const y = registered.apply(input);
    const values = (await y.data()) as Float32Array;
    input.dispose();
    y.dispose();
    return values;
  } finally {
    registered.dispose();
  }
}

function convCase(c: ConvCase) {
  const g = convGeometry(
    [c.h, c.w, c.c],
    c.n,
    [c.kh, c.kw, c.c, c.k],
    c.strides,
    c.padding,
    c.dilation,
  );
  return g;
}

describe.skipIf(webgpu.reason != null)(`WebGPU kernels (${webgpu.adapter})`, () => {
  const conv3: ConvCase[] = [
    { n: 1, h: 5, w: 7, c: 3, k: 5, kh: 3, kw: 3, strides: [1, 1], padding: 'same' },
    { n: 2, h: 6, w: 5, c: 17, k: 6, kh: 3, kw: 3, strides: [1, 1], padding: 'valid' },
    { n: 8, h: 4, w: 4, c: 2, k: 3, kh: 3, kw: 3, strides: [1, 1], padding: 'same' },
  ];
  const conv5: ConvCase[] = [
    { n: 1, h: 8, w: 9, c: 2, k: 4, kh: 5, kw: 5, strides: [1, 1], padding: 'valid' },
    { n: 2, h: 6, w: 6, c: 3, k: 3, kh: 5, kw: 5, strides: [1, 1], padding: 'same' },
  ];

  for (const variant of WINOGRAD_VARIANTS) {
    const cases = variant.r === 3 ? conv3 : conv5;
    for (const [i, c] of cases.entries()) {
      it(`${variant.name} ${c.n}x${c.h}x${c.w}x${c.c} -> ${c.k} '${c.padding}'`, async () => {
        const g = convCase(c);
        const x = randomValues(c.n * c.h * c.w * c.c, 10 + i);
        const w = randomValues(c.kh * c.kw * c.c * c.k, 20 + i);
        const bias = randomValues(c.k, 30 + i);
        const kernel = new WinogradGpuConv2d(device, g, variant, w, true, bias);
        const actual = await runGpu(kernel, x, [c.n, c.h, c.w, c.c]);
        const mats = winogradMatrices(variant.m, variant.r, variant.points);
        expect(relativeError(actual, winogradConv2dReference(x, g, w, mats, bias))).toBeLessThan(
          1e-4,
        );
        expect(relativeError(actual, await cpuConv2d(x, c, w, bias))).toBeLessThan(1e-4);
      });
    }
  }

  const mecCases: ConvCase[] = [
    { n: 1, h: 7, w: 7, c: 3, k: 4, kh: 3, kw: 3, strides: [1, 1], padding: 'valid' },
    { n: 2, h: 9, w: 6, c: 5, k: 7, kh: 3, kw: 3, strides: [2, 2], padding: 'same' },
    { n: 8, h: 6, w: 5, c: 2, k: 3, kh: 5, kw: 5, strides: [1, 1], padding: 'same' },
    { n: 1, h: 8, w: 11, c: 4, k: 3, kh: 3, kw: 2, strides: [2, 1], padding: 'valid' },
  ];
  for (const [i, c] of mecCases.entries()) {
    it(`mec ${c.n}x${c.h}x${c.w}x${c.c} -> ${c.k} ${c.kh}x${c.kw} s${c.strides} '${c.padding}'`, async () => {
      const g = convCase(c);
      const x = randomValues(c.n * c.h * c.w * c.c, 40 + i);
      const w = randomValues(c.kh * c.kw * c.c * c.k, 50 + i);
      const bias = randomValues(c.k, 60 + i);
      const actual = await runGpu(new MecGpuConv2d(device, g, w, true, bias), x, [
        c.n,
        c.h,
        c.w,
        c.c,
      ]);
      expect(relativeError(actual, mecConv2dReference(x, g, w, bias))).toBeLessThan(1e-4);
      expect(relativeError(actual, await cpuConv2d(x, c, w, bias))).toBeLessThan(1e-4);
    });
  }

  it("mec's lowered matrix of the paper's example: 5 x 21 against im2col's 25 x 9", () => {
    // Cho & Brand's Figure: 7x7 input, 3x3 kernel, stride 1, one channel.
    const g = convGeometry([7, 7, 1], 1, [3, 3, 1, 1]);
    expect(loweredSizes(g)).toEqual({ mec: 5 * 21, im2col: 25 * 9, ratio: (25 * 9) / (5 * 21) });
  });

  const xnorCases: ConvCase[] = [
    { n: 1, h: 5, w: 6, c: 3, k: 5, kh: 3, kw: 3, strides: [1, 1], padding: 'same' },
    { n: 2, h: 7, w: 5, c: 40, k: 4, kh: 3, kw: 3, strides: [2, 2], padding: 'same' },
    { n: 8, h: 6, w: 6, c: 33, k: 3, kh: 5, kw: 5, strides: [1, 1], padding: 'valid' },
    // Several 64 x 64 tiles both ways, partial ones at the edges, and 27 words of reduction
    // (not a multiple of the 8 a step loads).
    { n: 2, h: 10, w: 9, c: 70, k: 67, kh: 3, kw: 3, strides: [1, 1], padding: 'same' },
    {
      n: 1,
      h: 9,
      w: 9,
      c: 64,
      k: 2,
      kh: 3,
      kw: 3,
      strides: [1, 1],
      padding: 'same',
      dilation: [2, 2],
    },
  ];
  for (const [i, c] of xnorCases.entries()) {
    it(`xnor conv ${c.n}x${c.h}x${c.w}x${c.c} -> ${c.k} ${c.kh}x${c.kw} s${c.strides} '${c.padding}'`, async () => {
      const g = convCase(c);
      const x = randomValues(c.n * c.h * c.w * c.c, 70 + i);
      x[0] = 0; // sign(0) = +1
      const w = randomValues(c.kh * c.kw * c.c * c.k, 80 + i);
      const bias = randomValues(c.k, 90 + i);
      const alpha = filterAlpha(w, c.k);
      const shape = [c.n, c.h, c.w, c.c];
      const dots = await runGpu(new XnorGpuKernel(device, g, w, bias, true), x, shape);
      expect(mismatches(dots, xnorConv2dReference(x, g, w, alpha, bias, false))).toBe(0);
      const scaled = await runGpu(new XnorGpuKernel(device, g, w, bias), x, shape);
      expect(relativeError(scaled, xnorConv2dReference(x, g, w, alpha, bias))).toBeLessThan(1e-6);
    });
  }

  it('xnor dense 3 x 100 -> 7 and csr dense 5 x 37 -> 11 at 30% density', async () => {
    const x = randomValues(3 * 100, 100);
    const w = randomValues(100 * 7, 101);
    const bias = randomValues(7, 102);
    const dense = await runGpu(XnorGpuKernel.dense(device, w, 100, 7, bias), x, [3, 100]);
    const expected = xnorDenseReference(x, 3, w, 100, 7, filterAlpha(w, 7), bias);
    expect(relativeError(dense, expected)).toBeLessThan(1e-6);

    const xs = randomValues(5 * 37, 103);
    const ws = randomValues(37 * 11, 104, 0.3);
    const bs = randomValues(11, 105);
    const kernel = new CsrGpuDense(device, ws, 37, 11, bs);
    const sparse = await runGpu(kernel, xs, [5, 37]);
    expect(relativeError(sparse, csrMatMulReference(xs, 5, kernel.csr, bs))).toBeLessThan(1e-6);
    const viaMatMul = await onCpu(() =>
      tf.tidy(() =>
        tf
          .add(tf.matMul(tf.tensor2d(xs, [5, 37]), tf.tensor2d(ws, [37, 11])), tf.tensor1d(bs))
          .dataSync(),
      ),
    );
    expect(relativeError(sparse, viaMatMul)).toBeLessThan(1e-5);
  });
});

describe.skipIf(webgpu.reason != null)('prepareLayerKernel on webgpu', () => {
  it('autotunes a 3x3 conv over tfjs, Winograd and MEC; the winner computes tf.conv2d', async () => {
    const c: ConvCase = {
      n: 2,
      h: 6,
      w: 6,
      c: 4,
      k: 4,
      kh: 3,
      kw: 3,
      strides: [1, 1],
      padding: 'same',
    };
    const w = randomValues(3 * 3 * 4 * 4, 120);
    const bias = randomValues(4, 121);
    const prepared = await prepareLayerKernel({
      op: 'conv2d',
      weights: w,
      shape: [3, 3, 4, 4],
      bias,
      strides: [1, 1],
      padding: 'same',
      dilation: [1, 1],
      inputShape: [6, 6, 4],
      batch: 2,
    });
    const timed = prepared.candidates.filter((r) => r.timeMs != null).map((r) => r.kernel);
    expect(timed).toEqual(
      expect.arrayContaining([
        'tfjs-conv2d',
        'winograd-f2x2-3x3',
        'winograd-f4x4-3x3',
        'mec-webgpu',
      ]),
    );
    expect(prepared.candidates.find((r) => r.kernel === 'winograd-f2x2-5x5')?.reason).toBe(
      'needs a 5x5 filter',
    );
    const x = randomValues(2 * 6 * 6 * 4, 122);
    const y = prepared.apply(tf.tensor(x, [2, 6, 6, 4]));
    expect(
      relativeError((await y.data()) as Float32Array, await cpuConv2d(x, c, w, bias)),
    ).toBeLessThan(1e-4);
    y.dispose();
    prepared.dispose();
  });

  it('a stride-2 conv has no Winograd candidate, and says so', async () => {
    const prepared = await prepareLayerKernel(
      {
        op: 'conv2d',
        weights: randomValues(3 * 3 * 2 * 3, 123),
        shape: [3, 3, 2, 3],
        strides: [2, 2],
        padding: 'valid',
        inputShape: [7, 7, 2],
        batch: 1,
      },
      { autotune: false },
    );
    expect(prepared.kernel).toBe('tfjs-conv2d');
    expect(prepared.reason).toMatch(/rule keeps tfjs/);
    expect(prepared.candidates.find((r) => r.kernel === 'winograd-f2x2-3x3')?.reason).toBe(
      'needs stride 1',
    );
    prepared.dispose();
  });
});

it.runIf(webgpu.reason != null)('WebGPU unavailable here', () => {
  console.warn(`WebGPU kernel tests skipped: ${webgpu.reason}`);
});
