/**
 * The fast kernels (src/kernels) applied to a graph: for every conv and dense layer, the kernel
 * selection picks the fastest correct implementation on the active backend (autotuned per
 * shape and density, cached), and the latency the lab reports is measured with those kernels.
 * Accuracy is always evaluated on tfjs's own ops, so a result is reproducible to the digit
 * whichever kernel won the timing on a given machine.
 */
import { prepareLayerKernel, type PreparedLayerKernel } from '../../kernels/select.ts';
import type { LayerGraph, GraphNode } from '../model/graph.ts';
import { throwIfCancelled } from '../cancel.ts';

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

/** Prepares a kernel for every conv and dense layer; the caller disposes them. */
export async function prepareGraphKernels(
  graph: LayerGraph,
  batch: number,
  signal?: AbortSignal,
): Promise<Map<string, PreparedLayerKernel>> {
  const info = graph.info();
  const kernels = new Map<string, PreparedLayerKernel>();
  try {
    for (const node of graph.nodes) {
      if (!KERNEL_CLASSES.includes(node.className)) continue;
      if (node.weights.some((w) => w.transform)) continue; // transformed weights: the float path
      throwIfCancelled(signal);
      const spec = specOf(node, info.get(node.name)!.inputShapes[0], batch);
      if (spec) kernels.set(node.name, await prepareLayerKernel(spec, { signal }));
    }
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
