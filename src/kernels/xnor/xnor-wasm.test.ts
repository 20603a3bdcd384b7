/**
 * XNOR kernels in WebAssembly SIMD: bit for bit equal to the reference twin on many shapes, and
 * equal (to float rounding) to XNOR-Net's product written with tfjs ops on the cpu backend.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { convGeometry } from '../geometry.ts';
import { mismatches, onCpu, randomValues, relativeError, type ConvCase } from '../test-util.ts';
import { filterAlpha, packConvFilters, paddingCorrection } from './binarize.ts';
import { absMean, xnorConv2dReference, xnorDenseReference } from './reference.ts';
import { XnorWasmConv2d, XnorWasmDense } from './xnor-wasm.ts';

const sign = (x: tf.Tensor) =>
  tf.where(tf.greaterEqual(x, 0), tf.onesLike(x), tf.onesLike(x).neg());

/** XNOR-Net's conv, written independently with tf ops: conv(sign x, alpha sign W) * K + b. */
function tfXnorConv(x: Float32Array, c: ConvCase, w: Float32Array, bias: Float32Array) {
  return onCpu(() =>
    tf.tidy(() => {
      const xt = tf.tensor4d(x, [c.n, c.h, c.w, c.c]);
      const wt = tf.tensor4d(w, [c.kh, c.kw, c.c, c.k]);
      const alpha = tf.mean(tf.abs(wt), [0, 1, 2]);
      const dil = c.dilation ?? [1, 1];
      const y = tf.conv2d(
        sign(xt) as tf.Tensor4D,
        tf.mul(sign(wt), alpha) as tf.Tensor4D,
        c.strides,
        c.padding,
        'NHWC',
        dil,
      );
      const a = tf.mean(tf.abs(xt), 3, true) as tf.Tensor4D;
      const k = tf.conv2d(
        a,
        tf.fill([c.kh, c.kw, 1, 1], 1 / (c.kh * c.kw)) as tf.Tensor4D,
        c.strides,
        c.padding,
        'NHWC',
        dil,
      );
      return tf.add(tf.mul(y, k), bias).dataSync() as Float32Array;
    }),
  );
}

const cases: ConvCase[] = [
  { n: 1, h: 5, w: 5, c: 1, k: 1, kh: 3, kw: 3, strides: [1, 1], padding: 'same' },
  { n: 1, h: 7, w: 6, c: 3, k: 5, kh: 3, kw: 3, strides: [1, 1], padding: 'same' },
  { n: 8, h: 6, w: 7, c: 31, k: 7, kh: 3, kw: 3, strides: [1, 1], padding: 'valid' },
  { n: 1, h: 9, w: 9, c: 32, k: 9, kh: 3, kw: 3, strides: [2, 2], padding: 'same' },
  { n: 8, h: 5, w: 8, c: 33, k: 6, kh: 3, kw: 3, strides: [1, 2], padding: 'same' },
  { n: 2, h: 12, w: 12, c: 20, k: 50, kh: 5, kw: 5, strides: [1, 1], padding: 'valid' },
  { n: 1, h: 11, w: 10, c: 64, k: 3, kh: 5, kw: 5, strides: [1, 1], padding: 'same' },
  {
    n: 1,
    h: 9,
    w: 8,
    c: 100,
    k: 4,
    kh: 3,
    kw: 3,
    strides: [1, 1],
    padding: 'same',
    dilation: [2, 2],
  },
  { n: 3, h: 4, w: 4, c: 129, k: 10, kh: 1, kw: 1, strides: [1, 1], padding: 'valid' },
  { n: 1, h: 6, w: 6, c: 8, k: 4, kh: 2, kw: 2, strides: [1, 1], padding: 'same' },
];

describe('xnor conv (wasm simd)', () => {
  for (const [i, c] of cases.entries()) {
    const name = `${c.n}x${c.h}x${c.w}x${c.c} -> ${c.k}, ${c.kh}x${c.kw} s${c.strides} d${c.dilation ?? [1, 1]} '${c.padding}'`;
    it(name, async () => {
      const g = convGeometry(
        [c.h, c.w, c.c],
        c.n,
        [c.kh, c.kw, c.c, c.k],
        c.strides,
        c.padding,
        c.dilation,
      );
      const x = randomValues(c.n * c.h * c.w * c.c, 1 + i);
      x[1] = 0; // sign(0) = +1 on both sides
      const w = randomValues(c.kh * c.kw * c.c * c.k, 100 + i);
      w[0] = 0;
      const bias = randomValues(c.k, 200 + i);
      const kernel = await XnorWasmConv2d.create(g, w, bias);
      const out = new Float32Array(c.n * g.oh * g.ow * c.k);
      kernel.run(x, c.n, out);
      expect(mismatches(out, xnorConv2dReference(x, g, w, filterAlpha(w, c.k), bias))).toBe(0);
      expect(relativeError(out, await tfXnorConv(x, c, w, bias))).toBeLessThan(1e-5);
      // Another batch through the same prepared kernel.
      const one = new Float32Array(g.oh * g.ow * c.k);
      kernel.run(x.subarray(0, c.h * c.w * c.c), 1, one);
      expect(mismatches(one, out.subarray(0, one.length))).toBe(0);
    });
  }
});

describe('xnor dense (wasm simd)', () => {
  for (const [batch, n, outputs] of [
    [1, 1, 1],
    [3, 100, 7],
    [8, 128, 13],
    [1, 1024, 33],
    [5, 257, 64],
  ]) {
    it(`${batch} x ${n} -> ${outputs}`, async () => {
      const x = randomValues(batch * n, n + outputs);
      const w = randomValues(n * outputs, n * outputs);
      const bias = randomValues(outputs, 3);
      const kernel = await XnorWasmDense.create(w, n, outputs, bias);
      const out = new Float32Array(batch * outputs);
      kernel.run(x, batch, out);
      const alpha = filterAlpha(w, outputs);
      expect(mismatches(out, xnorDenseReference(x, batch, w, n, outputs, alpha, bias))).toBe(0);
      const viaTf = await onCpu(() =>
        tf.tidy(() => {
          const xt = tf.tensor2d(x, [batch, n]);
          const wt = tf.tensor2d(w, [n, outputs]);
          const y = tf.matMul(
            sign(xt) as tf.Tensor2D,
            tf.mul(sign(wt), tf.mean(tf.abs(wt), 0)) as tf.Tensor2D,
          );
          return tf.add(tf.mul(y, tf.mean(tf.abs(xt), 1, true)), bias).dataSync();
        }),
      );
      expect(relativeError(out, viaTf)).toBeLessThan(1e-5);
    });
  }
});

describe('xnor building blocks, by hand', () => {
  it('alpha is mean |W| per output filter', () => {
    // HWIO [1, 1, 2, 2]: filter 0 = (1, -3), filter 1 = (-2, 0).
    expect(Array.from(filterAlpha(Float32Array.from([1, -2, -3, 0]), 2))).toEqual([2, 1]);
  });

  it('packs negative weights as 1 bits, tap-major, padded rows', () => {
    const g = convGeometry([3, 3, 2], 1, [1, 2, 2, 1]);
    // taps (0,0): channels (-1, 2); (0,1): (3, -4) -> bits: tap 0 word 0 = 0b01, tap 1 word 1 = 0b10
    const rows = packConvFilters(Float32Array.from([-1, 2, 3, -4]), g, 4);
    expect(Array.from(rows)).toEqual([1, 2, 0, 0]);
  });

  it('corrects the taps that fall in the zero padding', () => {
    // 2x2 input, one channel, 3x3 'same': output (0,0) sees taps (1,1),(1,2),(2,1),(2,2) inside.
    const w = Float32Array.from([1, -1, 1, -1, 1, 1, 1, 1, -1]); // HWIO [3,3,1,1]
    const g = convGeometry([2, 2, 1], 1, [3, 3, 1, 1], [1, 1], 'same');
    const corr = paddingCorrection(w, g)!;
    // Padded taps of output (0,0): row 0 (1, -1, 1) and column 0 of rows 1, 2 (-1, 1) -> sum 1.
    expect(corr[0]).toBe(1);
    expect(paddingCorrection(w, convGeometry([4, 4, 1], 1, [3, 3, 1, 1]))).toBeNull();
  });

  it('the twin agrees with a hand-computed output', () => {
    // 1x2x2x1 input, 2x2 'valid' filter, one output: dot = 1*1 + (-1)(-1) + 1*(-1) + (-1)(1) = 0
    // with signs x (1, -1, 1, -1)... use x = (0.5, -0.5, 1, 2): signs (1, -1, 1, 1).
    const x = Float32Array.from([0.5, -0.5, 1, 2]);
    const w = Float32Array.from([1, -1, -1, 1]);
    const g = convGeometry([2, 2, 1], 1, [2, 2, 1, 1]);
    // dot = 1 + 1 - 1 + 1 = 2; alpha = 1; K = (0.5 + 0.5 + 1 + 2) / 4 = 1; y = 2 + 0.25.
    const y = xnorConv2dReference(x, g, w, filterAlpha(w, 1), Float32Array.from([0.25]));
    expect(Array.from(y)).toEqual([2.25]);
    expect(absMean(Float32Array.from([-1, 2, -3]), 0, 3)).toBe(2);
  });
});
