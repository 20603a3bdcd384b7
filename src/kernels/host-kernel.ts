/**
 * Runs a kernel that computes on host memory (the WebAssembly SIMD kernels) as a tfjs kernel,
 * so it takes and returns tensors, is tracked by tf.tidy and shows in tf.profile. Registered for
 * the 'wasm' backend (input read straight from, and output written straight into, the wasm
 * heap) and for 'cpu'. The prepared kernel is found by a numeric handle in the attributes.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export interface HostKernel {
  outputShape(batch: number): number[];
  /** x: the input's values, [batch, ...]; out: the output's values, sized by outputShape. */
  run(x: Float32Array, batch: number, out: Float32Array): void;
}

export const HOST_KERNEL_NAME = 'CompLabHostKernel';
export const HOST_KERNEL_BACKENDS = ['wasm', 'cpu'] as const;

const kernels = new Map<number, HostKernel>();
let nextHandle = 1;

function isWasm(backend: unknown): backend is BackendWasm {
  return typeof (backend as BackendWasm).typedArrayFromHeap === 'function';
}

const hostKernelFunc: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const kernel = kernels.get(attrs?.handle as number);
  if (kernel == null) throw new Error('the prepared kernel was disposed');
  const x = inputs.x as tf.TensorInfo;
  if (x.dtype !== 'float32') throw new Error(`expected a float32 input, got ${x.dtype}`);
  const batch = x.shape[0];
  const shape = kernel.outputShape(batch);
  if (isWasm(backend)) {
    const out = backend.makeOutput(shape, 'float32');
    // Views after the allocation, which may have grown (and moved) the heap.
    const outValues = backend.typedArrayFromHeap(out) as Float32Array;
    kernel.run(backend.typedArrayFromHeap(x) as Float32Array, batch, outValues);
    return out;
  }
  const values = (backend as tf.KernelBackend).readSync(x.dataId) as Float32Array;
  const outValues = new Float32Array(shape.reduce((a, b) => a * b, 1));
  kernel.run(values, batch, outValues);
  const cpu = backend as tf.KernelBackend & {
    makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
  };
  return cpu.makeTensorInfo(shape, 'float32', outValues);
};

function ensureRegistered(): void {
  for (const backendName of HOST_KERNEL_BACKENDS) {
    if (tf.getKernel(HOST_KERNEL_NAME, backendName) == null) {
      tf.registerKernel({ kernelName: HOST_KERNEL_NAME, backendName, kernelFunc: hostKernelFunc });
    }
  }
}

export interface RegisteredHostKernel {
  apply(x: tf.Tensor): tf.Tensor;
  dispose(): void;
}

export function registerHostKernel(kernel: HostKernel): RegisteredHostKernel {
  ensureRegistered();
  const handle = nextHandle++;
  kernels.set(handle, kernel);
  return {
    apply: (x) => tf.engine().runKernel(HOST_KERNEL_NAME, { x }, { handle }) as tf.Tensor,
    dispose: () => void kernels.delete(handle),
  };
}
