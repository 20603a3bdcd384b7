/**
 * The per-layer table of a run: each node's shapes, counts, stored bytes and how its kernel is
 * stored, the kernel it ran on, and its weights' histogram before and after the recipe. Each
 * weight is paired with its encoded tensor by name, so the table does not depend on the order
 * in which the encoder writes tensors.
 */
import {
  storedForm,
  type ByteParts,
  type EncodedTensor,
  type ModelLayout,
} from '../encode/model-file.ts';
import type { KernelChoice } from '../measure/kernels.ts';
import { nonzeroCount, type LayerGraph, type WeightTensor } from '../model/graph.ts';

/** Bins of the per-layer weight histograms. */
export const HISTOGRAM_BINS = 41;

export interface LayerStats {
  readonly name: string;
  readonly className: string;
  /** The layers it reads (two or more where branches meet in an Add or a Concatenate). */
  readonly inputs: readonly string[];
  /** Output shape without the batch dimension. */
  readonly outputShape: readonly number[];
  /** Shape of the kernel, when the layer has one. */
  readonly kernelShape?: readonly number[];
  readonly params: number;
  readonly nonzeroParams: number;
  readonly macs: number;
  /** Bytes of this layer's weights in the stored blob. */
  readonly sizeBytes: number;
  readonly layout: ModelLayout | 'none';
  /** Relative-index width of a sparse kernel. */
  readonly indexBits?: number;
  /** How the kernel is stored, when quantized: bits of a symbol, Huffman, where bytes go. */
  readonly storage?: {
    readonly symbolBits?: number;
    readonly huffman?: boolean;
    /** Kernel positions stored (kept weights). */
    readonly kept: number;
    /** Stored bits per kept weight: values and positions (after Huffman where coded). */
    readonly valueBits: number;
    readonly indexBits: number;
    /** The layer's bytes by kind (kernel and bias together). */
    readonly parts: ByteParts;
    /** Shared values or levels of a codebook (up to 256), or the fixed-point scales' levels. */
    readonly codebook?: readonly number[];
  };
  /** The kernel this layer ran on when latency was measured (conv and dense layers). */
  readonly kernel?: KernelChoice;
  /** Kernel weights counted in equal bins over the base model's range, before and after. */
  readonly histogram?: {
    readonly min: number;
    readonly max: number;
    readonly before: number[];
    readonly after: number[];
  };
}

function histogram(before: WeightTensor, after: WeightTensor | undefined) {
  let max = 0;
  for (const v of before.values) max = Math.max(max, Math.abs(v));
  if (after) for (const v of after.values) max = Math.max(max, Math.abs(v));
  max ||= 1;
  const count = (w: WeightTensor | undefined) => {
    const bins = new Array<number>(HISTOGRAM_BINS).fill(0);
    if (!w) return bins;
    for (const [i, v] of w.values.entries()) {
      // Pruned weights (0, or masked: a binarized one keeps +-scale under its mask) are shown
      // by the nonzero counts, not as a spike.
      if (v === 0 || (w.mask && !w.mask[i])) continue;
      const bin = Math.min(
        HISTOGRAM_BINS - 1,
        Math.floor(((v + max) / (2 * max)) * HISTOGRAM_BINS),
      );
      bins[bin]++;
    }
    return bins;
  };
  return { min: -max, max, before: count(before), after: count(after) };
}

/** The encoded tensors by weight name; a name written twice cannot be paired, so it throws. */
function tensorsByName(tensors: readonly EncodedTensor[]): Map<string, EncodedTensor> {
  const byName = new Map<string, EncodedTensor>();
  for (const tensor of tensors) {
    if (byName.has(tensor.name)) {
      throw new Error(`the encoded model has two tensors named "${tensor.name}"`);
    }
    byName.set(tensor.name, tensor);
  }
  return byName;
}

const NO_PARTS: ByteParts = { values: 0, indices: 0, codebooks: 0, tables: 0, header: 0 };

/**
 * One row per node of `graph`: `tensors` are the encoder's records of its weights (any order),
 * `baseGraph` the model before the recipe (for the histograms), `choices` the kernel each
 * conv and dense layer ran on when latency was measured.
 */
export function layerTable(
  graph: LayerGraph,
  baseGraph: LayerGraph,
  tensors: readonly EncodedTensor[],
  choices: ReadonlyMap<string, KernelChoice>,
): LayerStats[] {
  const info = graph.info();
  const baseKernels = new Map(baseGraph.prunableWeights().map((w) => [w.name, w]));
  const encodedByName = tensorsByName(tensors);
  const encodedOf = (w: WeightTensor): EncodedTensor => {
    const found = encodedByName.get(w.name);
    if (!found) throw new Error(`the encoded model has no tensor for weight "${w.name}"`);
    return found;
  };
  return graph.nodes.map((node): LayerStats => {
    const encoded = node.weights.map(encodedOf);
    const kernel = node.weights.find((w) => w.prunable);
    const baseKernel = kernel ? baseKernels.get(kernel.name) : undefined;
    const nonzero = node.weights.reduce((sum, w) => sum + nonzeroCount(w), 0);
    const sparse = encoded.find((x) => x.indexBits !== undefined);
    const stored = kernel ? encodedOf(kernel) : encoded[0];
    const coding = kernel && stored?.symbolBits ? storedForm(kernel).coding : undefined;
    const parts = encoded.reduce<ByteParts>(
      (sum, x) => ({
        values: sum.values + x.parts.values,
        indices: sum.indices + x.parts.indices,
        codebooks: sum.codebooks + x.parts.codebooks,
        tables: sum.tables + x.parts.tables,
        header: sum.header + x.parts.header,
      }),
      NO_PARTS,
    );
    return {
      name: node.name,
      className: node.className,
      inputs: [...node.inbound],
      outputShape: info.get(node.name)!.outputShape,
      kernelShape: kernel?.shape,
      params: node.weights.reduce((sum, w) => sum + w.values.length, 0),
      nonzeroParams: nonzero,
      macs: info.get(node.name)!.macs,
      sizeBytes: encoded.reduce((sum, x) => sum + x.bytes, 0),
      layout: stored ? stored.layout : 'none',
      indexBits: sparse?.indexBits,
      storage: stored
        ? {
            symbolBits: stored.symbolBits,
            huffman: stored.huffman,
            kept: stored.kept,
            valueBits: stored.valueBitsPerWeight,
            indexBits: stored.indexBitsPerWeight,
            parts,
            codebook:
              coding?.kind === 'codebook' && coding.codebook.length <= 256
                ? Array.from(coding.codebook)
                : undefined,
          }
        : undefined,
      histogram: kernel ? histogram(baseKernel ?? kernel, kernel) : undefined,
      kernel: choices.get(node.name),
    };
  });
}
