/**
 * Picks the fastest correct kernel for one layer on the active tfjs backend.
 *
 * ## Contract (engine level: tensors in, tensors out, tfjs layouts)
 *
 *   prepareLayerKernel(spec: LayerKernelSpec, options?: PrepareOptions): Promise<PreparedLayerKernel>
 *
 * `spec` (geometry.ts) is one conv2d or dense layer as the engine holds it: weights in tfjs
 * layout (conv HWIO [kh, kw, in, out], dense [in, out]), optional bias, strides, 'same' | 'valid'
 * padding, dilation, the input shape without the batch, the batch to tune for, and optionally
 * `binary: { weights, inputs }` (XNOR-Net: weights -> alpha * sign(W), alpha = mean |W| per
 * filter; inputs -> sign(x) with the result scaled by K, §3.2; sign(0) = +1).
 *
 * The result's `apply(x)` takes a float32 tensor [batch, ...inputShape] on the active backend
 * (any batch) and returns what tf.conv2d / tf.matMul + bias returns for the spec (binary: the
 * XNOR-Net product above), no activation. `kernel` names what runs ('tfjs-conv2d',
 * 'tfjs-matmul', 'tfjs-xnor', 'winograd-f2x2-3x3', 'winograd-f4x4-3x3', 'winograd-f2x2-5x5',
 * 'mec-webgpu', 'xnor-wasm', 'xnor-webgpu', 'csr-wasm', 'csr-webgpu'); `reason` says why no
 * faster kernel was used (unsupported shape or backend, a candidate that lost the autotune or
 * gave a wrong result); `timeMs` is the autotuned median of one apply at the spec's batch,
 * result read back; `candidates` lists every candidate considered with its time or why it was
 * left out, for the layer table. `dispose()` frees the kernel's weights and buffers.
 *
 * Selection: every candidate the backend supports for the layer is built, run once on a seeded
 * random input and checked against tfjs's own op (relative error <= 1e-4 for float kernels,
 * 1e-5 for binary ones against the same XNOR product in tf ops), then timed (median of a few
 * runs); the fastest correct one wins. Results are cached per (backend, op, shapes, strides,
 * padding, dilation, batch, binary, density to 1%), so a second layer of the same shape is not
 * timed again. With `autotune: false` the choice is by rule instead (binary layers: the XNOR
 * kernel; dense layers at <= 10% density: CSR; 3x3 stride-1 convs with >= 64 channels in and
 * out on WebGPU: Winograd F(2x2,3x3), as TFLite's GPU delegate does; else tfjs).
 *
 * Kernels per backend: wasm and cpu: xnor-wasm (binary conv and dense), csr-wasm (dense);
 * webgpu: winograd-*, mec-webgpu (float conv), xnor-webgpu, csr-webgpu; every backend: tfjs's
 * own ops. A WebGPU device loss is reported through onGpuDeviceLost; the engine then moves to
 * the next backend and prepares its layers again.
 */
import * as tf from '@tensorflow/tfjs';
import { makeCheckpoint, RunCancelledError } from '../engine/cancel.ts';
import { relativeError } from './compare.ts';
import { density as densityOf } from './sparse/csr.ts';
import { specGeometry, type ConvGeometry, type LayerKernelSpec } from './geometry.ts';
import { registerHostKernel } from './host-kernel.ts';
import { filterAlpha } from './xnor/binarize.ts';
import { loweredSizes, mecUnsupported } from './mec/mec.ts';
import { seededRandom } from './random-values.ts';
import { wasmSimdSupported } from './wasm/arena.ts';
import {
  WINOGRAD_VARIANTS,
  winogradMultiplyReduction,
  winogradUnsupported,
} from './winograd/transforms.ts';

export type { LayerKernelSpec } from './geometry.ts';

export interface PrepareOptions {
  /** Time the candidates (default true); false picks by rule. */
  autotune?: boolean;
  signal?: AbortSignal;
  /** Consider only these kernels (benchmarks); tfjs's own op is always the reference. */
  only?: readonly string[];
}

export interface CandidateReport {
  kernel: string;
  timeMs?: number;
  /** Why it was not considered or not chosen. */
  reason?: string;
}

export interface PreparedLayerKernel {
  kernel: string;
  backend: string;
  reason?: string;
  timeMs?: number;
  candidates: CandidateReport[];
  /** Facts worth a column: MEC's lowered size beside im2col's, Winograd's multiply saving. */
  notes?: string;
  apply(x: tf.Tensor): tf.Tensor;
  dispose(): void;
}

interface Runner {
  apply(x: tf.Tensor): tf.Tensor;
  dispose(): void;
}

interface Candidate {
  kernel: string;
  /** Why the candidate cannot run this layer here; then `make` is never called. */
  unsupported?: string;
  notes?: string;
  make?: () => Promise<Runner>;
}

/** XNOR-Net's effective weights alpha * sign(W) (sign(0) = +1), per output filter. */
export function binarizedWeights(weights: Float32Array, outChannels: number): Float32Array {
  const alpha = filterAlpha(weights, outChannels);
  return weights.map((w, i) => (w < 0 ? -alpha[i % outChannels] : alpha[i % outChannels]));
}

/** tfjs's own ops: conv2d / matMul + bias, or XNOR-Net's product written with tf ops. */
function tfjsRunner(spec: LayerKernelSpec): Runner {
  const binaryInputs = spec.binary?.inputs === true;
  const weights = spec.binary?.weights
    ? binarizedWeights(spec.weights, spec.shape[spec.shape.length - 1])
    : spec.weights;
  const w = tf.keep(tf.tensor(weights, spec.shape));
  const bias = spec.bias ? tf.keep(tf.tensor1d(spec.bias)) : null;
  const signOf = (x: tf.Tensor) =>
    tf.where(tf.greaterEqual(x, 0), tf.onesLike(x), tf.onesLike(x).neg());
  let box: tf.Tensor4D | null = null;
  if (spec.op === 'conv2d' && binaryInputs) {
    const [kh, kw] = spec.shape;
    box = tf.keep(tf.fill([kh, kw, 1, 1], 1 / (kh * kw)) as tf.Tensor4D);
  }
  return {
    apply: (x) =>
      tf.tidy(() => {
        const input = binaryInputs ? signOf(x) : x;
        let y: tf.Tensor;
        let scale: tf.Tensor | null = null;
        if (spec.op === 'conv2d') {
          const strides = spec.strides ?? [1, 1];
          const padding = spec.padding ?? 'valid';
          const dilation = spec.dilation ?? [1, 1];
          y = tf.conv2d(input as tf.Tensor4D, w as tf.Tensor4D, strides, padding, 'NHWC', dilation);
          if (box) {
            const a = tf.mean(tf.abs(x), 3, true) as tf.Tensor4D;
            scale = tf.conv2d(a, box, strides, padding, 'NHWC', dilation);
          }
        } else {
          y = tf.matMul(input as tf.Tensor2D, w as tf.Tensor2D);
          if (binaryInputs) scale = tf.mean(tf.abs(x), 1, true);
        }
        if (scale) y = tf.mul(y, scale);
        return bias ? tf.add(y, bias) : y;
      }),
    dispose: () => {
      w.dispose();
      bias?.dispose();
      box?.dispose();
    },
  };
}

/** The float spec a binary-weights-only layer reduces to. */
function effectiveSpec(spec: LayerKernelSpec): LayerKernelSpec {
  if (spec.binary?.weights && !spec.binary.inputs) {
    const k = spec.shape[spec.shape.length - 1];
    return { ...spec, weights: binarizedWeights(spec.weights, k), binary: undefined };
  }
  return spec;
}

const CSR_RULE_DENSITY = 0.1;
const CSR_MAX_DENSITY = 0.5;

function candidatesFor(spec: LayerKernelSpec, backend: string): Candidate[] {
  const xnor = spec.binary?.weights === true && spec.binary.inputs === true;
  const binaryInputsOnly = spec.binary?.inputs === true && !spec.binary.weights;
  const onHost = backend === 'wasm' || backend === 'cpu';
  const list: Candidate[] = [];
  const noSimd = onHost && !wasmSimdSupported() ? 'this engine has no WebAssembly SIMD' : null;
  const gpuReason = backend === 'webgpu' ? null : `needs the webgpu backend (active: ${backend})`;
  const hostReason = onHost ? noSimd : `needs the wasm or cpu backend (active: ${backend})`;
  if (binaryInputsOnly) {
    return [
      { kernel: 'xnor', unsupported: 'binary inputs with float weights have no fast kernel' },
    ];
  }
  const device =
    backend === 'webgpu' ? (tf.backend() as unknown as { device: GPUDevice }).device : null;

  if (spec.op === 'conv2d') {
    const g: ConvGeometry = specGeometry(spec);
    if (xnor) {
      list.push({
        kernel: 'xnor-wasm',
        unsupported: hostReason ?? undefined,
        make: async () => {
          const { XnorWasmConv2d } = await import('./xnor/xnor-wasm.ts');
          return registerHostKernel(await XnorWasmConv2d.create(g, spec.weights, spec.bias));
        },
      });
      list.push({
        kernel: 'xnor-webgpu',
        unsupported: gpuReason ?? undefined,
        make: async () => {
          const { XnorGpuKernel } = await import('./xnor/xnor-webgpu.ts');
          return gpuRunner(new XnorGpuKernel(device!, g, spec.weights, spec.bias));
        },
      });
      return list;
    }
    for (const variant of WINOGRAD_VARIANTS) {
      list.push({
        kernel: variant.name,
        unsupported: gpuReason ?? winogradUnsupported(g, variant) ?? undefined,
        notes: `${winogradMultiplyReduction(variant).toFixed(2)}x fewer multiplies`,
        make: async () => {
          const { WinogradGpuConv2d } = await import('./winograd/winograd-webgpu.ts');
          return gpuRunner(
            new WinogradGpuConv2d(device!, g, variant, spec.weights, !!spec.bias, spec.bias),
          );
        },
      });
    }
    const sizes = loweredSizes(g);
    list.push({
      kernel: 'mec-webgpu',
      unsupported: gpuReason ?? mecUnsupported(g) ?? undefined,
      notes: `lowered ${sizes.mec} floats vs im2col ${sizes.im2col} (${sizes.ratio.toFixed(2)}x smaller)`,
      make: async () => {
        const { MecGpuConv2d } = await import('./mec/mec-webgpu.ts');
        return gpuRunner(new MecGpuConv2d(device!, g, spec.weights, !!spec.bias, spec.bias));
      },
    });
    return list;
  }

  const [n, outputs] = spec.shape;
  if (xnor) {
    list.push({
      kernel: 'xnor-wasm',
      unsupported: hostReason ?? undefined,
      make: async () => {
        const { XnorWasmDense } = await import('./xnor/xnor-wasm.ts');
        return registerHostKernel(await XnorWasmDense.create(spec.weights, n, outputs, spec.bias));
      },
    });
    list.push({
      kernel: 'xnor-webgpu',
      unsupported: gpuReason ?? undefined,
      make: async () => {
        const { XnorGpuKernel } = await import('./xnor/xnor-webgpu.ts');
        return gpuRunner(XnorGpuKernel.dense(device!, spec.weights, n, outputs, spec.bias));
      },
    });
    return list;
  }
  const density = densityOf(spec.weights);
  const tooDense =
    density > CSR_MAX_DENSITY ? `density ${(density * 100).toFixed(0)}% > 50%` : undefined;
  list.push({
    kernel: 'csr-wasm',
    unsupported: hostReason ?? tooDense,
    notes: `density ${(density * 100).toFixed(1)}%`,
    make: async () => {
      const { CsrWasmDense } = await import('./sparse/csr-wasm.ts');
      return registerHostKernel(await CsrWasmDense.create(spec.weights, n, outputs, spec.bias));
    },
  });
  list.push({
    kernel: 'csr-webgpu',
    unsupported: gpuReason ?? tooDense,
    notes: `density ${(density * 100).toFixed(1)}%`,
    make: async () => {
      const { CsrGpuDense } = await import('./sparse/csr-webgpu.ts');
      return gpuRunner(new CsrGpuDense(device!, spec.weights, n, outputs, spec.bias));
    },
  });
  return list;
}

async function gpuRunner(kernel: import('./webgpu/gpu.ts').GpuKernel): Promise<Runner> {
  const { registerGpuKernel } = await import('./webgpu/gpu.ts');
  return registerGpuKernel(kernel);
}

function baselineName(spec: LayerKernelSpec): string {
  if (spec.binary?.inputs) return 'tfjs-xnor';
  return spec.op === 'conv2d' ? 'tfjs-conv2d' : 'tfjs-matmul';
}

/** The kernel picked without timing (see the contract above). */
function ruleChoice(spec: LayerKernelSpec, usable: Candidate[]): Candidate | undefined {
  const named = (name: string) => usable.find((c) => c.kernel === name);
  if (spec.binary?.inputs) return named('xnor-wasm') ?? named('xnor-webgpu');
  if (spec.op === 'dense') {
    if (densityOf(spec.weights) > CSR_RULE_DENSITY) return undefined;
    return named('csr-wasm') ?? named('csr-webgpu');
  }
  const [kh, kw, c, k] = spec.shape;
  if (kh === 3 && kw === 3 && c >= 64 && k >= 64) return named('winograd-f2x2-3x3');
  return undefined;
}

interface CachedChoice {
  kernel: string;
  timeMs?: number;
  reason?: string;
  candidates: CandidateReport[];
}

const choices = new Map<string, CachedChoice>();

export function selectionKey(spec: LayerKernelSpec, backend: string): string {
  const density = spec.op === 'dense' ? Math.round(densityOf(spec.weights) * 100) : 100;
  return JSON.stringify([
    backend,
    spec.op,
    spec.shape,
    spec.inputShape,
    spec.batch,
    spec.strides ?? [1, 1],
    spec.padding ?? 'valid',
    spec.dilation ?? [1, 1],
    spec.binary ?? null,
    !!spec.bias,
    density,
  ]);
}

/** Forgets every autotuned choice (benchmarks; a backend switch keys its own). */
export function clearKernelChoices(): void {
  choices.clear();
}

async function readBack(y: tf.Tensor): Promise<Float32Array> {
  return (await y.data()) as Float32Array;
}

/**
 * Median ms of one apply with its result read back, after a warm-up: up to `maxRuns` runs, at
 * least `minRuns`, no more started once `budgetMs` have passed. With `queued` > 1 a run is that
 * many applies queued back to back and one readback, divided by the count: on a GPU the
 * readback round trip (0.5-1 ms) would otherwise outweigh a layer's work, and layers inside a
 * network are not read back one by one either.
 */
export async function timeApply(
  runner: Pick<Runner, 'apply'>,
  x: tf.Tensor,
  {
    maxRuns = 5,
    minRuns = 3,
    budgetMs = 1000,
    queued = 1,
    checkpoint = async () => undefined,
  }: {
    maxRuns?: number;
    minRuns?: number;
    budgetMs?: number;
    queued?: number;
    /** Awaited before each run: cancel.ts's makeCheckpoint lets an abort in. */
    checkpoint?: () => Promise<void>;
  } = {},
): Promise<number> {
  await checkpoint();
  const warm = runner.apply(x);
  await readBack(warm);
  warm.dispose();
  const times: number[] = [];
  const start = performance.now();
  while (
    times.length < maxRuns &&
    (times.length < minRuns || performance.now() - start < budgetMs)
  ) {
    await checkpoint();
    const t0 = performance.now();
    let y = runner.apply(x);
    for (let i = 1; i < queued; i++) {
      y.dispose();
      y = runner.apply(x);
    }
    await readBack(y);
    times.push((performance.now() - t0) / queued);
    y.dispose();
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function randomInput(spec: LayerKernelSpec): tf.Tensor {
  const shape = [spec.batch, ...spec.inputShape];
  const rng = seededRandom(7);
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i++) values[i] = rng() * 2 - 1;
  return tf.tensor(values, shape);
}

function prepared(
  runner: Runner,
  kernel: string,
  backend: string,
  choice: Omit<CachedChoice, 'kernel'>,
  notes?: string,
): PreparedLayerKernel {
  return {
    kernel,
    backend,
    reason: choice.reason,
    timeMs: choice.timeMs,
    candidates: choice.candidates,
    notes,
    apply: (x) => runner.apply(x),
    dispose: () => runner.dispose(),
  };
}

export async function prepareLayerKernel(
  input: LayerKernelSpec,
  options: PrepareOptions = {},
): Promise<PreparedLayerKernel> {
  const backend = tf.getBackend();
  const spec = effectiveSpec(input);
  const autotune = options.autotune ?? true;
  const baseline = baselineName(spec);
  const all = candidatesFor(spec, backend);
  const considered = all.filter((c) => options.only == null || options.only.includes(c.kernel));
  const usable = considered.filter((c) => c.unsupported == null && c.make != null);
  const skipped: CandidateReport[] = considered
    .filter((c) => c.unsupported != null)
    .map((c) => ({ kernel: c.kernel, reason: c.unsupported }));
  const key = selectionKey(spec, backend) + JSON.stringify(options.only ?? null);
  const cached = choices.get(key);
  if (cached) {
    const winner = usable.find((c) => c.kernel === cached.kernel);
    const runner = winner ? await winner.make!() : tfjsRunner(spec);
    return prepared(runner, cached.kernel, backend, cached, winner?.notes);
  }

  if (!autotune || usable.length === 0) {
    const chosen = ruleChoice(spec, usable);
    const reason =
      usable.length === 0
        ? skipped.map((c) => `${c.kernel}: ${c.reason}`).join('; ') ||
          'no fast kernel for this layer'
        : chosen
          ? undefined
          : 'the rule keeps tfjs for this layer (autotune off)';
    const choice = { reason, candidates: skipped };
    if (chosen) {
      try {
        return prepared(await chosen.make!(), chosen.kernel, backend, choice, chosen.notes);
      } catch (err) {
        choice.reason = `${chosen.kernel} failed to build: ${(err as Error).message}`;
      }
    }
    return prepared(tfjsRunner(spec), baseline, backend, choice);
  }

  // Autotune: tfjs's op is both a candidate and the reference every other one must match.
  // An abort gets in between any two timed runs (within ~50 ms, cancel.ts).
  const checkpoint = makeCheckpoint(options.signal);
  const x = randomInput(spec);
  const reference = tfjsRunner(spec);
  const results: CandidateReport[] = [];
  const runners = new Map<string, Runner>();
  try {
    const expectedTensor = reference.apply(x);
    const expected = await readBack(expectedTensor);
    expectedTensor.dispose();
    const timing = { queued: backend === 'webgpu' ? 8 : 1, checkpoint };
    results.push({ kernel: baseline, timeMs: await timeApply(reference, x, timing) });
    const tolerance = spec.binary?.inputs ? 1e-5 : 1e-4;
    for (const candidate of usable) {
      await checkpoint();
      let runner: Runner | null = null;
      try {
        runner = await candidate.make!();
        await checkpoint(); // building a kernel (packing its weights) is a unit of work too
        const y = runner.apply(x);
        const error = relativeError(await readBack(y), expected);
        y.dispose();
        if (!(error <= tolerance)) {
          results.push({
            kernel: candidate.kernel,
            reason: `wrong result (error ${error.toExponential(1)})`,
          });
          runner.dispose();
          continue;
        }
        results.push({ kernel: candidate.kernel, timeMs: await timeApply(runner, x, timing) });
        runners.set(candidate.kernel, runner);
      } catch (err) {
        runner?.dispose();
        if (err instanceof RunCancelledError) throw err;
        results.push({ kernel: candidate.kernel, reason: `failed: ${(err as Error).message}` });
      }
    }
  } catch (err) {
    reference.dispose();
    for (const runner of runners.values()) runner.dispose();
    throw err;
  } finally {
    x.dispose();
  }

  const timed = results.filter((r) => r.timeMs != null).sort((a, b) => a.timeMs! - b.timeMs!);
  const best = timed[0];
  const losers = results
    .filter((r) => r.kernel !== best.kernel)
    .map((r) =>
      r.timeMs != null ? `${r.kernel} ${r.timeMs.toFixed(2)} ms` : `${r.kernel}: ${r.reason}`,
    );
  const reason =
    best.kernel === baseline
      ? `fastest of the candidates (${losers.join('; ') || 'none'}; ${skipped.map((s) => `${s.kernel}: ${s.reason}`).join('; ')})`
      : undefined;
  const choice: CachedChoice = {
    kernel: best.kernel,
    timeMs: best.timeMs,
    reason,
    candidates: [...results, ...skipped],
  };
  choices.set(key, choice);
  for (const [name, runner] of runners) if (name !== best.kernel) runner.dispose();
  if (best.kernel !== baseline) reference.dispose();
  const runner = best.kernel === baseline ? reference : runners.get(best.kernel)!;
  const notes = usable.find((c) => c.kernel === best.kernel)?.notes;
  return prepared(runner, best.kernel, backend, choice, notes);
}

/**
 * Builds one named kernel for the layer on the active backend, without autotuning (benchmarks,
 * or an engine that pins a kernel). Throws, with the reason, when it cannot run the layer here.
 */
export async function prepareNamedKernel(
  input: LayerKernelSpec,
  kernel: string,
): Promise<PreparedLayerKernel> {
  const backend = tf.getBackend();
  const spec = effectiveSpec(input);
  if (kernel === baselineName(spec)) {
    return prepared(tfjsRunner(spec), kernel, backend, { candidates: [] });
  }
  const candidate = candidatesFor(spec, backend).find((c) => c.kernel === kernel);
  if (candidate == null) throw new Error(`${kernel} is no kernel for this layer`);
  if (candidate.unsupported != null) throw new Error(`${kernel}: ${candidate.unsupported}`);
  return prepared(await candidate.make!(), kernel, backend, { candidates: [] }, candidate.notes);
}

/**
 * Calls `callback` once if the active webgpu backend's device is lost (driver reset, GPU
 * removed): its tensors and kernels are gone, and the engine should activate the next backend
 * and prepare its layers again. Returns false when the active backend is not webgpu.
 */
export function onGpuDeviceLost(callback: (message: string) => void): boolean {
  if (tf.getBackend() !== 'webgpu') return false;
  const device = (tf.backend() as unknown as { device: GPUDevice }).device;
  void device.lost.then((info) => callback(`WebGPU device lost (${info.reason}): ${info.message}`));
  return true;
}
