/**
 * The fast kernels (src/kernels) applied to a graph: for every conv and dense layer, the kernel
 * selection picks the fastest correct implementation on the active backend (autotuned per
 * shape and density, cached), and the latency the lab reports is measured with those kernels.
 * Accuracy is always evaluated on tfjs's own ops, so a result is reproducible to the digit
 * whichever kernel won the timing on a given machine.
 */
import {
  prepareLayerKernel,
  prepareNamedKernel,
  type PreparedLayerKernel,
} from '../../kernels/select.ts';
import type { LayerGraph, GraphNode } from '../model/graph.ts';
import { makeCheckpoint, RunCancelledError } from '../cancel.ts';

/** What the layer table shows about the kernel a layer ran on. */
export interface KernelChoice {
  readonly kernel: string;
  /** Autotuned median of one layer call at the latency batch, in ms. */
  readonly timeMs?: number;
  /** Why a faster kernel was not used (unsupported shape, lost the timing, ...). */
  readonly reason?: string;
  readonly notes?: string;
}

function pairOf(value: unknown): [number, number] {
  return typeof value === 'number' ? [value, value] : (value as [number, number]);
}

/** Layer classes the fast kernels can run; the binary ones run XNOR-Net's product. */
const KERNEL_CLASSES = ['Conv2D', 'Dense', 'BinaryConv2D', 'BinaryDense'];

function specOf(node: GraphNode, inputShape: readonly number[], batch: number) {
  const kernel = node.weights.find((w) => w.role === 'kernel')!;
  // Binary layers add their bias after summing their residual binarizations (layers.ts).
  const binary = node.className.startsWith('Binary')
    ? { binary: { weights: true, inputs: true } }
    : {};
  const bias = binary.binary ? undefined : node.weights.find((w) => w.role === 'bias');
  if (node.className === 'Dense' || node.className === 'BinaryDense') {
    if (inputShape.length !== 1) return undefined; // dense over images: tfjs's own path
    return {
      op: 'dense' as const,
      weights: kernel.values,
      shape: [...kernel.shape],
      bias: bias?.values,
      inputShape: [...inputShape],
      batch,
      ...binary,
    };
  }
  return {
    op: 'conv2d' as const,
    weights: kernel.values,
    shape: [...kernel.shape],
    bias: bias?.values,
    strides: pairOf(node.config.strides ?? 1),
    padding: (node.config.padding ?? 'valid') as 'same' | 'valid',
    dilation: pairOf(node.config.dilationRate ?? 1),
    inputShape: [...inputShape],
    batch,
    ...binary,
  };
}

/** A kernel chosen earlier for a layer, rebuilt as it was (kernel-memory.ts keeps these). */
async function pinnedKernel(
  spec: NonNullable<ReturnType<typeof specOf>>,
  pin: KernelChoice,
): Promise<PreparedLayerKernel | undefined> {
  try {
    const kernel = await prepareNamedKernel(spec, pin.kernel);
    return { ...kernel, timeMs: pin.timeMs, reason: pin.reason, notes: pin.notes ?? kernel.notes };
  } catch {
    return undefined; // it cannot run here any more (another engine): autotune again
  }
}

/**
 * Prepares a kernel for every conv and dense layer; the caller disposes them. A layer named in
 * `pins` gets the kernel chosen for it before (no autotuning: the same model keeps the same
 * kernels from one page load to the next); the others are autotuned. Lets an abort in within
 * ~50 ms (cancel.ts).
 */
export async function prepareGraphKernels(
  graph: LayerGraph,
  batch: number,
  signal?: AbortSignal,
  pins?: ReadonlyMap<string, KernelChoice>,
): Promise<Map<string, PreparedLayerKernel>> {
  const info = graph.info();
  const kernels = new Map<string, PreparedLayerKernel>();
  const checkpoint = makeCheckpoint(signal);
  try {
    for (const node of graph.nodes) {
      if (!KERNEL_CLASSES.includes(node.className)) continue;
      if (node.weights.some((w) => w.transform)) continue; // transformed weights: the float path
      await checkpoint();
      const spec = specOf(node, info.get(node.name)!.inputShapes[0], batch);
      if (!spec) continue;
      const pin = pins?.get(node.name);
      const pinned = pin && (await pinnedKernel(spec, pin));
      kernels.set(node.name, pinned ?? (await prepareLayerKernel(spec, { signal })));
    }
    if (signal?.aborted) throw new RunCancelledError();
    return kernels;
  } catch (err) {
    kernels.forEach((k) => k.dispose());
    throw err;
  }
}

export function kernelChoice(prepared: PreparedLayerKernel): KernelChoice {
  return {
    kernel: prepared.kernel,
    timeMs: prepared.timeMs,
    reason: prepared.reason,
    notes: prepared.notes,
  };
}
