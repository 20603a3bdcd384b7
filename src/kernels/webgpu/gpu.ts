/**
 * The WebGPU side of the fast kernels: pipelines compiled once per device and shader, buffers,
 * dispatch sizes, and the glue that runs a kernel as a tfjs kernel on the 'webgpu' backend.
 *
 * A kernel reads its input tensor's GPU buffer and writes straight into the output tensor's
 * buffer, both owned by tfjs. tfjs records its own work in a command encoder that it submits
 * lazily; a kernel records its passes into that same encoder, so queue order matches program
 * order and tfjs submits everything in its batches.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';

export interface GpuKernel {
  outputShape(batch: number): number[];
  /**
   * Records the kernel's passes (input and output are the tensors' buffers); returns how many
   * dispatches it recorded.
   */
  encode(encoder: GPUCommandEncoder, input: GPUBuffer, output: GPUBuffer, batch: number): number;
  dispose(): void;
}

/** Buffers and pipelines of one device, each pipeline compiled once per WGSL source. */
export class GpuContext {
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private static readonly contexts = new WeakMap<GPUDevice, GpuContext>();

  private constructor(readonly device: GPUDevice) {}

  static of(device: GPUDevice): GpuContext {
    let context = GpuContext.contexts.get(device);
    if (context == null) {
      context = new GpuContext(device);
      GpuContext.contexts.set(device, context);
    }
    return context;
  }

  /** The first comment line of each pipeline's WGSL, to name its passes in timings. */
  private readonly names = new WeakMap<GPUComputePipeline, string>();

  pipeline(code: string): GPUComputePipeline {
    let pipeline = this.pipelines.get(code);
    if (pipeline == null) {
      const module = this.device.createShaderModule({ code });
      pipeline = this.device.createComputePipeline({
        layout: 'auto',
        compute: { module, entryPoint: 'main' },
      });
      this.pipelines.set(code, pipeline);
      const firstLine = /^\/\/ *(.*)$/m.exec(code)?.[1] ?? 'kernel';
      this.names.set(pipeline, firstLine.split(/[:.,(]/)[0].slice(0, 48));
    }
    return pipeline;
  }

  /** A storage buffer holding `data` (at least 4 bytes, so empty arrays still bind). */
  storage(data: Float32Array | Uint32Array | Int32Array): GPUBuffer {
    const buffer = this.device.createBuffer({
      size: Math.max(16, Math.ceil(data.byteLength / 4) * 4),
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
    });
    if (data.byteLength > 0) {
      const bytes = new Uint8Array(data.byteLength);
      bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      this.device.queue.writeBuffer(buffer, 0, bytes);
    }
    return buffer;
  }

  /** An uninitialised storage buffer of `bytes`. */
  scratch(bytes: number): GPUBuffer {
    return this.device.createBuffer({
      size: Math.max(16, Math.ceil(bytes / 4) * 4),
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
  }

  /** A uniform buffer of u32 fields (padded to 16 bytes). */
  uniform(fields: readonly number[]): GPUBuffer {
    const words = new Uint32Array(Math.ceil(fields.length / 4) * 4);
    words.set(fields);
    const buffer = this.device.createBuffer({
      size: words.byteLength,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    this.device.queue.writeBuffer(buffer, 0, words);
    return buffer;
  }

  /** One compute pass: `pipeline` over `groups` workgroups with the buffers at bindings 0.. */
  dispatch(
    encoder: GPUCommandEncoder,
    pipeline: GPUComputePipeline,
    buffers: readonly GPUBuffer[],
    groups: readonly [number, number, number],
  ): void {
    const bindGroup = this.device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const timer = passTimer?.device === this.device ? passTimer : null;
    let descriptor: GPUComputePassDescriptor | undefined;
    if (timer && timer.names.length < timer.capacity) {
      const i = timer.names.length;
      timer.names.push(this.names.get(pipeline) ?? 'kernel');
      descriptor = {
        timestampWrites: {
          querySet: timer.querySet,
          beginningOfPassWriteIndex: 2 * i,
          endOfPassWriteIndex: 2 * i + 1,
        },
      };
    }
    const pass = encoder.beginComputePass(descriptor);
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(groups[0], groups[1], groups[2]);
    pass.end();
  }
}

interface PassTimer {
  device: GPUDevice;
  querySet: GPUQuerySet;
  capacity: number;
  names: string[];
}
let passTimer: PassTimer | null = null;

/**
 * Benchmarks only: from now on, the lab's passes on `device` write GPU timestamps (up to
 * `capacity` passes). Needs the device's 'timestamp-query' feature; returns false without it.
 */
export function startPassTiming(device: GPUDevice, capacity = 512): boolean {
  if (!device.features.has('timestamp-query')) return false;
  passTimer?.querySet.destroy();
  passTimer = {
    device,
    querySet: device.createQuerySet({ type: 'timestamp', count: 2 * capacity }),
    capacity,
    names: [],
  };
  return true;
}

/**
 * Stops timing and returns each timed pass's GPU time in ms, by pass name (the first line of
 * its WGSL), in recording order. Call after the work has been submitted (e.g. read back).
 */
export async function stopPassTiming(): Promise<Array<{ name: string; ms: number }>> {
  const timer = passTimer;
  passTimer = null;
  if (timer == null || timer.names.length === 0) return [];
  const { device, querySet, names } = timer;
  const bytes = names.length * 16;
  const resolved = device.createBuffer({
    size: bytes,
    usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
  });
  const staging = device.createBuffer({
    size: bytes,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const encoder = device.createCommandEncoder();
  encoder.resolveQuerySet(querySet, 0, 2 * names.length, resolved, 0);
  encoder.copyBufferToBuffer(resolved, 0, staging, 0, bytes);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const stamps = new BigUint64Array(staging.getMappedRange().slice(0));
  staging.unmap();
  for (const buffer of [resolved, staging]) buffer.destroy();
  querySet.destroy();
  return names.map((name, i) => ({ name, ms: Number(stamps[2 * i + 1] - stamps[2 * i]) / 1e6 }));
}

const MAX_GROUPS = 65535;

/** Workgroups for `count` threads, `size` a group, laid out as x * y when x alone is too few. */
export function linearGroups(count: number, size: number): [number, number, number] {
  const groups = Math.max(1, Math.ceil(count / size));
  if (groups <= MAX_GROUPS) return [groups, 1, 1];
  const y = Math.ceil(groups / MAX_GROUPS);
  return [Math.ceil(groups / y), y, 1];
}

/** Splits `count` rows over the y and z dimensions of a dispatch. */
export function rowGroups(count: number): [number, number] {
  if (count <= MAX_GROUPS) return [count, 1];
  const z = Math.ceil(count / MAX_GROUPS);
  return [Math.ceil(count / z), z];
}

export const GPU_KERNEL_NAME = 'CompLabGpuKernel';

interface BackendInternals {
  tensorMap: { get(dataId: object): { resource?: unknown } };
  commandEncoder: GPUCommandEncoder | null;
  commandQueueOwnedIds: WeakSet<object>;
  dispatchCountInPass: number;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  uploadToGPU(dataId: object): void;
  makeTensorInfo(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

const gpuKernels = new Map<number, GpuKernel>();
let nextHandle = 1;

function bufferOf(backend: BackendInternals, info: tf.TensorInfo): GPUBuffer {
  backend.uploadToGPU(info.dataId);
  const resource = backend.tensorMap.get(info.dataId).resource;
  if (!(resource instanceof GPUBuffer)) throw new Error('the tensor is not in a GPU buffer');
  return resource;
}

const gpuKernelFunc: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const kernel = gpuKernels.get(attrs?.handle as number);
  if (kernel == null) throw new Error('the prepared kernel was disposed');
  const b = backend as unknown as BackendInternals & { device: GPUDevice };
  const x = inputs.x as tf.TensorInfo;
  if (x.dtype !== 'float32') throw new Error(`expected a float32 input, got ${x.dtype}`);
  const batch = x.shape[0];
  const out = b.makeTensorInfo(kernel.outputShape(batch), 'float32');
  const input = bufferOf(b, x);
  const output = bufferOf(b, out);
  // The kernel's passes go into tfjs's own command encoder, after what tfjs has recorded (it may
  // produce x), and are submitted with tfjs's next batch: no queue submission of our own per
  // layer, which on a real GPU costs more than a small layer's work.
  b.ensureCommandEncoderReady();
  b.endComputePassEncoder();
  const passes = kernel.encode(b.commandEncoder!, input, output, batch);
  // As tfjs does for its programs: buffers the pending encoder reads or writes are not reused
  // (a queue.writeBuffer would land before the encoder runs) until it is submitted.
  b.commandQueueOwnedIds.add(x.dataId);
  b.commandQueueOwnedIds.add(out.dataId);
  b.dispatchCountInPass += passes;
  if (b.dispatchCountInPass >= (tf.env().get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE') as number)) {
    b.submitQueue();
  }
  return out;
};

/** The device of the active tfjs backend, when it is 'webgpu'. */
export function activeGpuDevice(): GPUDevice | null {
  if (tf.getBackend() !== 'webgpu') return null;
  return (tf.backend() as WebGPUBackend).device;
}

export interface RegisteredGpuKernel {
  apply(x: tf.Tensor): tf.Tensor;
  dispose(): void;
}

export function registerGpuKernel(kernel: GpuKernel): RegisteredGpuKernel {
  if (tf.getKernel(GPU_KERNEL_NAME, 'webgpu') == null) {
    tf.registerKernel({
      kernelName: GPU_KERNEL_NAME,
      backendName: 'webgpu',
      kernelFunc: gpuKernelFunc,
    });
  }
  const handle = nextHandle++;
  gpuKernels.set(handle, kernel);
  return {
    apply: (x) => tf.engine().runKernel(GPU_KERNEL_NAME, { x }, { handle }) as tf.Tensor,
    dispose: () => {
      gpuKernels.delete(handle);
      kernel.dispose();
    },
  };
}
