/**
 * `npm run bench:kernels [-- --backend wasm|webgpu] [--json [file]] [--quick] [--batch 1,32]`
 *
 * Times each fast kernel against tfjs's own conv2d / matMul at the same shape, in the same run,
 * at LeNet-5's and LeNet-300-100's layers, VGG-style 3x3 layers (56x56x64->64, 28x28x128->128,
 * 14x14x256->256) and a 1024x1024 dense layer, batch 1 and 32, on random weights:
 *   - XNOR (binary weights and inputs) against the float layer: the speedup binarization buys;
 *   - CSR at 10% density against the dense matMul of the same (pruned) weights;
 *   - Winograd and MEC against tfjs's float conv2d (WebGPU only).
 * Each kernel's output is also checked against tfjs's op computing the same thing (error
 * column). Times are medians of applies with the result read back, after a warm-up.
 * Prints a table; --json also writes [{kernel, backend, shape, ms, baselineMs, speedup, ...}]
 * (default bench/results/kernels-bench.json, or $OUT/kernels-bench.json where OUT is set).
 *
 * WebGPU runs in Node through Dawn (the `webgpu` package): here on SwiftShader (correct, far too
 * slow to time: use --quick), on a GPU machine by bench/gpu-kernels.sh.
 */
import * as tf from '@tensorflow/tfjs';
import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { specMacs, specGeometry, type LayerKernelSpec } from '../src/kernels/geometry.ts';
import { relativeError } from '../src/kernels/compare.ts';
import { loweredSizes } from '../src/kernels/mec/mec.ts';
import { randomValues } from '../src/kernels/random-values.ts';
import { activeGpuDevice, startPassTiming, stopPassTiming } from '../src/kernels/webgpu/gpu.ts';
import {
  onGpuDeviceLost,
  prepareNamedKernel,
  timeApply,
  type PreparedLayerKernel,
} from '../src/kernels/select.ts';

interface Layer {
  name: string;
  op: 'conv2d' | 'dense';
  input: number[];
  shape: number[];
  padding?: 'same' | 'valid';
}

const LAYERS: Layer[] = [
  {
    name: 'lenet5 conv1',
    op: 'conv2d',
    input: [28, 28, 1],
    shape: [5, 5, 1, 20],
    padding: 'valid',
  },
  {
    name: 'lenet5 conv2',
    op: 'conv2d',
    input: [12, 12, 20],
    shape: [5, 5, 20, 50],
    padding: 'valid',
  },
  { name: 'vgg 56', op: 'conv2d', input: [56, 56, 64], shape: [3, 3, 64, 64], padding: 'same' },
  { name: 'vgg 28', op: 'conv2d', input: [28, 28, 128], shape: [3, 3, 128, 128], padding: 'same' },
  { name: 'vgg 14', op: 'conv2d', input: [14, 14, 256], shape: [3, 3, 256, 256], padding: 'same' },
  { name: 'lenet5 ip1', op: 'dense', input: [800], shape: [800, 500] },
  { name: 'lenet5 ip2', op: 'dense', input: [500], shape: [500, 10] },
  { name: 'lenet300 ip1', op: 'dense', input: [784], shape: [784, 300] },
  { name: 'lenet300 ip2', op: 'dense', input: [300], shape: [300, 100] },
  { name: 'dense 1024', op: 'dense', input: [1024], shape: [1024, 1024] },
];

const KERNELS: Record<string, Record<Layer['op'], string[]>> = {
  wasm: { conv2d: ['xnor-wasm'], dense: ['xnor-wasm', 'csr-wasm'] },
  webgpu: {
    conv2d: [
      'winograd-f2x2-3x3',
      'winograd-f4x4-3x3',
      'winograd-f2x2-5x5',
      'mec-webgpu',
      'xnor-webgpu',
    ],
    dense: ['xnor-webgpu', 'csr-webgpu'],
  },
};

/** Float32 peak of known cards, GFLOP/s (non-tensor-core FMA rate); GPU_PEAK_GFLOPS overrides. */
const PEAK_GFLOPS: Array<[RegExp, number]> = [
  [/H200/i, 66900],
  [/H100/i, 66900],
  [/A100/i, 19500],
  [/hopper/i, 66900], // an adapter that names only its architecture: H100 / H200 SXM
];

/** The card as the driver names it (nvidia-smi), for the figures' provenance. */
function nvidiaSmi(): string | undefined {
  try {
    return execSync(
      'nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader',
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    ).trim();
  } catch {
    return undefined;
  }
}

export interface Row {
  kernel: string;
  backend: string;
  shape: string;
  ms: number | null;
  baselineMs: number;
  speedup: number | null;
  layer: string;
  batch: number;
  baseline: string;
  /** max |kernel - tfjs op computing the same| / max |tfjs op| */
  error: number | null;
  /** Direct-algorithm GFLOP/s (2 x MACs / time). */
  gflops: number | null;
  percentOfPeak?: number;
  /**
   * WebGPU only: ms per apply when applies are queued back to back and only the last is read
   * back, as layers run inside a network (no per-layer readback), and the baseline's the same way.
   */
  pipelinedMs?: number;
  pipelinedBaselineMs?: number;
  pipelinedSpeedup?: number;
  pipelinedPercentOfPeak?: number;
  /**
   * WebGPU with timestamp queries: GPU time of the kernel's passes (per pass in `passes`) and of
   * tfjs's programs for the baseline (tf.time's kernelMs), medians, no CPU or readback in them.
   */
  gpuMs?: number;
  gpuBaselineMs?: number;
  gpuSpeedup?: number;
  gpuPercentOfPeak?: number;
  passes?: string;
  notes?: string;
  failed?: string;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  if (i < 0) return undefined;
  const next = process.argv[i + 1];
  return next && !next.startsWith('--') ? next : '';
}

const only = arg('--backend');
const quick = process.argv.includes('--quick');
const batches = (arg('--batch') || (quick ? '1' : '1,32')).split(',').map(Number);
const backends = only ? [only] : ['webgpu', 'wasm'];
for (const b of backends) {
  if (!(b in KERNELS)) throw new Error(`--backend must be wasm or webgpu, not ${b}`);
}

function shapeText(layer: Layer, batch: number): string {
  if (layer.op === 'dense') return `${batch}x${layer.shape[0]}->${layer.shape[1]}`;
  const [kh, kw, , k] = layer.shape;
  return `${batch}x${layer.input.join('x')}->${k} ${kh}x${kw} ${layer.padding}`;
}

function specOf(layer: Layer, batch: number, kernel: string): LayerKernelSpec {
  const size = layer.shape.reduce((a, b) => a * b, 1);
  const sparse = kernel.startsWith('csr');
  return {
    op: layer.op,
    weights: randomValues(size, 1, sparse ? 0.1 : 1),
    shape: layer.shape,
    bias: randomValues(layer.shape[layer.shape.length - 1], 2),
    strides: [1, 1],
    padding: layer.padding ?? 'valid',
    dilation: [1, 1],
    inputShape: layer.input,
    batch,
    binary: kernel.startsWith('xnor') ? { weights: true, inputs: true } : undefined,
  };
}

const time = (kernel: PreparedLayerKernel, x: tf.Tensor) =>
  timeApply(kernel, x, { maxRuns: 7, minRuns: 3, budgetMs: 3000 });

/**
 * ms per apply over that many applies queued without waiting (timeApply's `queued`), the last
 * one read back: on a GPU this removes the readback round trip (~0.5-1 ms through Dawn) that
 * dominates small layers.
 */
async function timePipelined(kernel: PreparedLayerKernel, x: tf.Tensor, singleMs: number) {
  const queued = Math.min(200, Math.max(10, Math.ceil(100 / Math.max(singleMs, 0.05))));
  return timeApply(kernel, x, { queued, minRuns: 3, maxRuns: 3 });
}

/** GPU ms of tfjs's programs for one apply (timestamp queries), median of 5; null without. */
async function tfjsGpuMs(kernel: PreparedLayerKernel, x: tf.Tensor): Promise<number | null> {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const info = await tf.time(() => kernel.apply(x).dispose());
    if (typeof info.kernelMs !== 'number') return null;
    times.push(info.kernelMs);
  }
  return times.sort((a, b) => a - b)[2];
}

/** GPU ms of one apply of a lab kernel, the sum over its passes, and the passes' medians. */
async function labGpuMs(kernel: PreparedLayerKernel, x: tf.Tensor) {
  const device = activeGpuDevice();
  if (device == null || !startPassTiming(device)) return null;
  const reps = 9;
  let last: tf.Tensor | null = null;
  for (let i = 0; i < reps; i++) {
    last?.dispose();
    last = kernel.apply(x);
  }
  await last!.data();
  last!.dispose();
  const timed = await stopPassTiming();
  const perPass = timed.length / reps;
  const medians: Array<{ name: string; ms: number }> = [];
  for (let j = 0; j < perPass; j++) {
    const ms = timed.filter((_, i) => i % perPass === j).map((t) => t.ms);
    medians.push({ name: timed[j].name, ms: ms.sort((a, b) => a - b)[Math.floor(reps / 2)] });
  }
  return {
    ms: medians.reduce((sum, m) => sum + m.ms, 0),
    passes: medians.map((m) => `${m.name.trim()} ${(m.ms * 1000).toFixed(1)} us`).join('; '),
  };
}

async function output(kernel: PreparedLayerKernel, x: tf.Tensor): Promise<Float32Array> {
  const y = kernel.apply(x);
  const values = (await y.data()) as Float32Array;
  y.dispose();
  return values;
}

async function startBackend(name: string): Promise<string> {
  if (name === 'webgpu') {
    const { installNodeWebGpu } = await import('../src/kernels/webgpu/node-dawn.ts');
    const gpu = await installNodeWebGpu();
    if (gpu.reason) throw new Error(gpu.reason);
    await import('@tensorflow/tfjs-backend-webgpu');
    if (!(await tf.setBackend('webgpu'))) throw new Error('the webgpu backend did not start');
    return gpu.adapter;
  }
  const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
  let dir: string;
  try {
    const pkg = createRequire(import.meta.url).resolve(
      '@tensorflow/tfjs-backend-wasm/package.json',
    );
    dir = join(dirname(pkg), 'dist');
  } catch {
    dir = dirname(fileURLToPath(import.meta.url)); // a bundle with the .wasm files beside it
  }
  setWasmPaths(`${dir}/`);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not start');
  return `tfjs-wasm SIMD, 1 thread, ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}`;
}

function peakOf(device: string): number | undefined {
  if (process.env.GPU_PEAK_GFLOPS) return Number(process.env.GPU_PEAK_GFLOPS);
  return PEAK_GFLOPS.find(([re]) => re.test(device))?.[1];
}

const rows: Row[] = [];
const devices: Record<string, string> = {};

for (const backend of backends) {
  let device: string;
  try {
    device = await startBackend(backend);
  } catch (err) {
    console.log(`${backend}: not available (${(err as Error).message}); going on`);
    continue;
  }
  if (!only && /swiftshader/i.test(device)) {
    console.log(
      `${backend}: ${device} is a software adapter, too slow to time; skipped (--backend webgpu --quick runs it)`,
    );
    continue;
  }
  devices[backend] = device;
  let lost: string | null = null;
  onGpuDeviceLost((message) => (lost = message));
  console.log(`\n${backend}: ${device}`);
  const peak = backend === 'webgpu' ? peakOf(device) : undefined;
  const layers = quick ? LAYERS.filter((l) => l.name.startsWith('lenet')) : LAYERS;
  for (const layer of layers) {
    for (const batch of batches) {
      if (lost) break;
      const floatSpec = specOf(layer, batch, 'float');
      const baselineName = layer.op === 'conv2d' ? 'tfjs-conv2d' : 'tfjs-matmul';
      const x = tf.tensor(randomValues(batch * layer.input.reduce((a, b) => a * b, 1), 3), [
        batch,
        ...layer.input,
      ]);
      const baseline = await prepareNamedKernel(floatSpec, baselineName);
      const baselineMs = await time(baseline, x);
      const pipelinedBaselineMs =
        backend === 'webgpu' ? await timePipelined(baseline, x, baselineMs) : undefined;
      const gpuBaselineMs = backend === 'webgpu' ? await tfjsGpuMs(baseline, x) : null;
      const floatOut = await output(baseline, x);
      baseline.dispose();
      const macs = specMacs(floatSpec);
      for (const kernel of KERNELS[backend][layer.op]) {
        const spec = specOf(layer, batch, kernel);
        const row: Row = {
          kernel,
          backend,
          shape: shapeText(layer, batch),
          ms: null,
          baselineMs,
          speedup: null,
          layer: layer.name,
          batch,
          baseline: baselineName,
          error: null,
          gflops: null,
        };
        let prepared: PreparedLayerKernel | null = null;
        try {
          prepared = await prepareNamedKernel(spec, kernel);
          // What the kernel must equal: tfjs's op on the same (binary / pruned) layer.
          const same = spec.binary || kernel.startsWith('csr');
          let expected = floatOut;
          if (same) {
            const ref = await prepareNamedKernel(spec, spec.binary ? 'tfjs-xnor' : baselineName);
            expected = await output(ref, x);
            ref.dispose();
          }
          row.error = relativeError(await output(prepared, x), expected);
          row.ms = await time(prepared, x);
          row.speedup = baselineMs / row.ms;
          row.gflops = (2 * macs) / (row.ms * 1e6);
          if (peak && !spec.binary) row.percentOfPeak = (100 * row.gflops) / peak;
          if (pipelinedBaselineMs != null) {
            row.pipelinedMs = await timePipelined(prepared, x, row.ms);
            row.pipelinedBaselineMs = pipelinedBaselineMs;
            row.pipelinedSpeedup = pipelinedBaselineMs / row.pipelinedMs;
            if (peak && !spec.binary) {
              row.pipelinedPercentOfPeak = (100 * (2 * macs)) / (row.pipelinedMs * 1e6) / peak;
            }
          }
          const gpu = gpuBaselineMs == null ? null : await labGpuMs(prepared, x);
          if (gpu && gpuBaselineMs != null) {
            row.gpuMs = gpu.ms;
            row.gpuBaselineMs = gpuBaselineMs;
            row.gpuSpeedup = gpuBaselineMs / gpu.ms;
            row.passes = gpu.passes;
            if (peak && !spec.binary)
              row.gpuPercentOfPeak = (100 * (2 * macs)) / (gpu.ms * 1e6) / peak;
          }
          row.notes = prepared.notes;
          if (kernel === 'mec-webgpu') {
            const s = loweredSizes(specGeometry(spec));
            const g = specGeometry(spec);
            const paper = (g.oh * g.kh) / (g.h + g.padTop + g.padBottom);
            row.notes = `lowered ${(s.mec / 2 ** 18).toFixed(2)} MB vs im2col ${(s.im2col / 2 ** 18).toFixed(2)} MB: ${s.ratio.toFixed(2)}x (paper: oh*kh/ih = ${paper.toFixed(2)})`;
          }
        } catch (err) {
          row.failed = (err as Error).message.split('\n')[0];
        } finally {
          prepared?.dispose();
        }
        if (lost) row.failed = lost;
        rows.push(row);
        const ms = row.ms == null ? '-' : row.ms.toFixed(3);
        const speed = row.speedup == null ? '-' : `${row.speedup.toFixed(2)}x`;
        console.log(
          [
            row.layer.padEnd(13),
            row.shape.padEnd(30),
            kernel.padEnd(18),
            `${ms} ms`.padStart(12),
            `${baselineName} ${baselineMs.toFixed(3)} ms`.padStart(26),
            speed.padStart(8),
            row.error == null ? '' : `err ${row.error.toExponential(1)}`,
            row.percentOfPeak == null ? '' : `${row.percentOfPeak.toFixed(1)}% of peak`,
            row.pipelinedSpeedup == null
              ? ''
              : `queued: ${row.pipelinedMs!.toFixed(3)} vs ${row.pipelinedBaselineMs!.toFixed(3)} ms ${row.pipelinedSpeedup.toFixed(2)}x` +
                (row.pipelinedPercentOfPeak == null
                  ? ''
                  : ` ${row.pipelinedPercentOfPeak.toFixed(1)}% of peak`),
            row.gpuSpeedup == null
              ? ''
              : `gpu: ${row.gpuMs!.toFixed(4)} vs ${row.gpuBaselineMs!.toFixed(4)} ms ${row.gpuSpeedup.toFixed(2)}x` +
                (row.gpuPercentOfPeak == null
                  ? ''
                  : ` ${row.gpuPercentOfPeak.toFixed(1)}% of peak`) +
                ` [${row.passes}]`,
            row.failed ?? row.notes ?? '',
          ].join('  '),
        );
      }
      x.dispose();
    }
  }
  if (lost) console.log(`${backend}: ${lost}; going on with the next backend`);
}

const json = arg('--json');
if (json != null) {
  const file =
    json ||
    (process.env.OUT
      ? join(process.env.OUT, 'kernels-bench.json')
      : 'bench/results/kernels-bench.json');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(rows, null, 2)}\n`);
  const metaFile = file.replace(/\.json$/, '.meta.json');
  writeFileSync(
    metaFile,
    `${JSON.stringify({ date: new Date().toISOString(), devices, nvidiaSmi: nvidiaSmi() }, null, 2)}\n`,
  );
  console.log(`\nwrote ${file} and ${metaFile}`);
}
