/**
 * The kernels in a real page (bundled by e2e/kernels-*.spec.ts and run in headless Chromium):
 * the WebAssembly SIMD kernels, and the WebGPU ones straight on a GPUDevice (no tfjs), each
 * against its reference twin on small random shapes. Returns the worst error per kernel.
 */
import { mismatches, relativeError } from './compare.ts';
import { convGeometry, type ConvGeometry } from './geometry.ts';
import { mecConv2dReference } from './mec/mec.ts';
import { MecGpuConv2d } from './mec/mec-webgpu.ts';
import { randomValues } from './random-values.ts';
import { csrMatMulReference } from './sparse/csr.ts';
import { CsrWasmDense } from './sparse/csr-wasm.ts';
import { CsrGpuDense } from './sparse/csr-webgpu.ts';
import type { GpuKernel } from './webgpu/gpu.ts';
import { winogradConv2dReference } from './winograd/reference.ts';
import { WINOGRAD_VARIANTS, winogradMatrices } from './winograd/transforms.ts';
import { WinogradGpuConv2d } from './winograd/winograd-webgpu.ts';
import { filterAlpha } from './xnor/binarize.ts';
import { xnorConv2dReference, xnorDenseReference } from './xnor/reference.ts';
import { XnorWasmConv2d, XnorWasmDense } from './xnor/xnor-wasm.ts';
import { XnorGpuKernel } from './xnor/xnor-webgpu.ts';

/** Exact checks count mismatches; float checks give max |error| / max |expected|. */
export type CheckResults = Record<string, number>;

const xnorShape = (n: number, padding: 'same' | 'valid') =>
  convGeometry([7, 6, 40], n, [3, 3, 40, 9], [1, 1], padding);

export async function checkWasmKernels(): Promise<CheckResults> {
  const results: CheckResults = {};
  for (const [n, padding] of [
    [1, 'same'],
    [8, 'valid'],
  ] as const) {
    const g = xnorShape(n, padding);
    const x = randomValues(n * 7 * 6 * 40, n);
    const w = randomValues(9 * 40 * 9, 2);
    const bias = randomValues(9, 3);
    const kernel = await XnorWasmConv2d.create(g, w, bias);
    const out = new Float32Array(n * g.oh * g.ow * 9);
    kernel.run(x, n, out);
    results[`xnor-wasm conv ${n} ${padding}`] = mismatches(
      out,
      xnorConv2dReference(x, g, w, filterAlpha(w, 9), bias),
    );
  }
  const x = randomValues(3 * 200, 4);
  const w = randomValues(200 * 30, 5, 0.1);
  const dense = await XnorWasmDense.create(w, 200, 30);
  const out = new Float32Array(3 * 30);
  dense.run(x, 3, out);
  results['xnor-wasm dense'] = mismatches(
    out,
    xnorDenseReference(x, 3, w, 200, 30, filterAlpha(w, 30)),
  );
  const csr = await CsrWasmDense.create(w, 200, 30);
  csr.run(x, 3, out);
  results['csr-wasm'] = mismatches(out, csrMatMulReference(x, 3, csr.csr));
  return results;
}

async function runOnDevice(
  device: GPUDevice,
  kernel: GpuKernel,
  x: Float32Array,
  batch: number,
): Promise<Float32Array> {
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const input = device.createBuffer({ size: x.byteLength, usage });
  device.queue.writeBuffer(input, 0, x.buffer as ArrayBuffer, x.byteOffset, x.byteLength);
  const size = kernel.outputShape(batch).reduce((a, b) => a * b, 1) * 4;
  const output = device.createBuffer({ size, usage });
  const read = device.createBuffer({
    size,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const encoder = device.createCommandEncoder();
  kernel.encode(encoder, input, output, batch);
  encoder.copyBufferToBuffer(output, 0, read, 0, size);
  device.queue.submit([encoder.finish()]);
  await read.mapAsync(GPUMapMode.READ);
  const values = new Float32Array(read.getMappedRange().slice(0));
  read.unmap();
  for (const b of [input, output, read]) b.destroy();
  kernel.dispose();
  return values;
}

export async function checkWebGpuKernels(): Promise<CheckResults | string> {
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) return 'no WebGPU adapter';
  const device = await adapter.requestDevice();
  const results: CheckResults = {};
  const conv = (
    n: number,
    h: number,
    w: number,
    c: number,
    k: number,
    r: number,
    padding: 'same' | 'valid',
  ): ConvGeometry => convGeometry([h, w, c], n, [r, r, c, k], [1, 1], padding);
  for (const variant of WINOGRAD_VARIANTS) {
    const g = conv(2, 7, 6, 5, 4, variant.r, 'same');
    const x = randomValues(2 * 7 * 6 * 5, 6);
    const w = randomValues(variant.r * variant.r * 5 * 4, 7);
    const mats = winogradMatrices(variant.m, variant.r, variant.points);
    const actual = await runOnDevice(
      device,
      new WinogradGpuConv2d(device, g, variant, w, false),
      x,
      2,
    );
    results[variant.name] = relativeError(actual, winogradConv2dReference(x, g, w, mats));
  }
  const g = convGeometry([9, 8, 3], 1, [3, 3, 3, 5], [2, 2], 'same');
  const x = randomValues(9 * 8 * 3, 8);
  const w = randomValues(9 * 3 * 5, 9);
  const mec = await runOnDevice(device, new MecGpuConv2d(device, g, w, false), x, 1);
  results['mec-webgpu'] = relativeError(mec, mecConv2dReference(x, g, w));
  const gx = xnorShape(2, 'same');
  const xx = randomValues(2 * 7 * 6 * 40, 10);
  const wx = randomValues(9 * 40 * 9, 11);
  const dots = await runOnDevice(device, new XnorGpuKernel(device, gx, wx, undefined, true), xx, 2);
  results['xnor-webgpu conv dots'] = mismatches(
    dots,
    xnorConv2dReference(xx, gx, wx, filterAlpha(wx, 9), undefined, false),
  );
  const xd = randomValues(3 * 100, 12);
  const wd = randomValues(100 * 7, 13, 0.2);
  const sparse = new CsrGpuDense(device, wd, 100, 7);
  const csr = sparse.csr;
  results['csr-webgpu'] = relativeError(
    await runOnDevice(device, sparse, xd, 3),
    csrMatMulReference(xd, 3, csr),
  );
  device.destroy();
  return results;
}
