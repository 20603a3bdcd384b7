/**
 * prepareLayerKernel on the wasm backend: whatever it picks computes what tfjs's op computes
 * (checked here against tf ops on the cpu backend), unsupported layers fall back to tfjs with a
 * reason, choices are cached per shape, and autotune off picks by the documented rule.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LayerKernelSpec } from './geometry.ts';
import { binarizedWeights, clearKernelChoices, prepareLayerKernel } from './select.ts';
import { onCpu, randomValues, relativeError, useWasmBackend } from './test-util.ts';

beforeAll(useWasmBackend);

function conv(over: Partial<LayerKernelSpec> = {}): LayerKernelSpec {
  const shape = over.shape ?? [3, 3, 8, 6];
  return {
    op: 'conv2d',
    weights: randomValues(
      shape.reduce((a, b) => a * b, 1),
      5,
    ),
    shape,
    bias: randomValues(shape[3], 6),
    strides: [1, 1],
    padding: 'same',
    dilation: [1, 1],
    inputShape: [7, 7, shape[2]],
    batch: 2,
    ...over,
  };
}

function dense(n: number, outputs: number, d: number, over: Partial<LayerKernelSpec> = {}) {
  const spec: LayerKernelSpec = {
    op: 'dense',
    weights: randomValues(n * outputs, 9, d),
    shape: [n, outputs],
    bias: randomValues(outputs, 10),
    inputShape: [n],
    batch: 4,
    ...over,
  };
  return spec;
}

/** tf ops on cpu: conv2d / matMul (+ bias) of the effective weights, XNOR scaling if binary. */
function expected(spec: LayerKernelSpec, x: Float32Array, batch: number): Promise<Float32Array> {
  return onCpu(() =>
    tf.tidy(() => {
      const k = spec.shape[spec.shape.length - 1];
      const w = spec.binary?.weights ? binarizedWeights(spec.weights, k) : spec.weights;
      const xt = tf.tensor(x, [batch, ...spec.inputShape]);
      const input = spec.binary?.inputs ? tf.where(tf.greaterEqual(xt, 0), 1, -1).toFloat() : xt;
      let y: tf.Tensor;
      if (spec.op === 'conv2d') {
        y = tf.conv2d(
          input as tf.Tensor4D,
          tf.tensor4d(w, spec.shape as never),
          spec.strides!,
          spec.padding!,
        );
        if (spec.binary?.inputs) {
          const a = tf.mean(tf.abs(xt), 3, true) as tf.Tensor4D;
          const [kh, kw] = spec.shape;
          y = tf.mul(
            y,
            tf.conv2d(
              a,
              tf.fill([kh, kw, 1, 1], 1 / (kh * kw)) as tf.Tensor4D,
              spec.strides!,
              spec.padding!,
            ),
          );
        }
      } else {
        y = tf.matMul(input as tf.Tensor2D, tf.tensor2d(w, spec.shape as [number, number]));
        if (spec.binary?.inputs) y = tf.mul(y, tf.mean(tf.abs(xt), 1, true));
      }
      return (spec.bias ? tf.add(y, spec.bias) : y).dataSync() as Float32Array;
    }),
  );
}

async function check(spec: LayerKernelSpec, batch: number, tolerance = 1e-4) {
  const prepared = await prepareLayerKernel(spec);
  const x = randomValues(batch * spec.inputShape.reduce((a, b) => a * b, 1), 77);
  const y = prepared.apply(tf.tensor(x, [batch, ...spec.inputShape]));
  const actual = (await y.data()) as Float32Array;
  y.dispose();
  expect(relativeError(actual, await expected(spec, x, batch))).toBeLessThan(tolerance);
  return prepared;
}

describe('prepareLayerKernel on wasm', () => {
  it('binary conv: autotuned between xnor-wasm and tfjs, either way the XNOR-Net product', async () => {
    const spec = conv({ binary: { weights: true, inputs: true } });
    const prepared = await check(spec, 2, 1e-5);
    expect(['xnor-wasm', 'tfjs-xnor']).toContain(prepared.kernel);
    expect(prepared.candidates.find((c) => c.kernel === 'xnor-wasm')?.timeMs).toBeGreaterThan(0);
    expect(prepared.timeMs).toBeGreaterThan(0);
    await check(spec, 1, 1e-5); // another batch through the same kernel
    prepared.dispose();
  });

  it('binary dense and binary-weights-only conv', async () => {
    (await check(dense(70, 9, 1, { binary: { weights: true, inputs: true } }), 4, 1e-5)).dispose();
    const bwn = await check(conv({ binary: { weights: true, inputs: false } }), 2);
    expect(bwn.kernel).toBe('tfjs-conv2d');
    bwn.dispose();
  });

  it('float conv falls back to tfjs, saying why each fast kernel does not apply', async () => {
    const prepared = await check(conv({ padding: 'valid', strides: [2, 1] }), 3);
    expect(prepared.kernel).toBe('tfjs-conv2d');
    expect(prepared.reason).toMatch(/winograd-f2x2-3x3: needs the webgpu backend \(active: wasm\)/);
    expect(prepared.reason).toMatch(/mec-webgpu: needs the webgpu backend/);
    prepared.dispose();
  });

  it('sparse dense: csr-wasm is a timed candidate at 10% density, left out at 80%', async () => {
    const sparse = await check(dense(300, 40, 0.1), 4);
    expect(sparse.candidates.find((c) => c.kernel === 'csr-wasm')?.timeMs).toBeGreaterThan(0);
    sparse.dispose();
    const full = await check(dense(30, 8, 0.8), 4);
    expect(full.kernel).toBe('tfjs-matmul');
    expect(full.candidates.find((c) => c.kernel === 'csr-wasm')?.reason).toMatch(
      /density \d+% > 50%/,
    );
    full.dispose();
  });

  it('caches the choice per shape: a second layer of the same shape is not timed again', async () => {
    clearKernelChoices();
    const spec = dense(64, 16, 0.05);
    const first = await prepareLayerKernel(spec);
    const second = await prepareLayerKernel({ ...spec, weights: spec.weights.map((v) => v * 2) });
    expect(second.kernel).toBe(first.kernel);
    expect(second.timeMs).toBe(first.timeMs);
    first.dispose();
    second.dispose();
  });

  it('autotune off: the rule picks XNOR for binary layers and CSR at <= 10% density', async () => {
    clearKernelChoices();
    const binary = await prepareLayerKernel(conv({ binary: { weights: true, inputs: true } }), {
      autotune: false,
    });
    expect(binary.kernel).toBe('xnor-wasm');
    expect(binary.timeMs).toBeUndefined();
    binary.dispose();
    const sparse = await prepareLayerKernel(dense(50, 10, 0.05), { autotune: false });
    expect(sparse.kernel).toBe('csr-wasm');
    sparse.dispose();
    const floatConv = await prepareLayerKernel(conv(), { autotune: false });
    expect(floatConv.kernel).toBe('tfjs-conv2d');
    floatConv.dispose();
  });

  it('binary inputs with float weights: tfjs, with the reason', async () => {
    const prepared = await check(conv({ binary: { weights: false, inputs: true } }), 2, 1e-5);
    expect(prepared.kernel).toBe('tfjs-xnor');
    expect(prepared.reason).toMatch(/no fast kernel/);
    prepared.dispose();
  });

  it('leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    const prepared = await prepareLayerKernel(
      dense(40, 8, 0.1, { binary: { weights: true, inputs: true } }),
    );
    const y = prepared.apply(tf.zeros([4, 40]));
    expect(y.shape).toEqual([4, 8]);
    tf.dispose([y]);
    prepared.dispose();
    // the zeros input was created inline: it and nothing else is left
    expect(tf.memory().numTensors).toBe(before + 1);
  });
});
