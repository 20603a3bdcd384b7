import type { RunResult } from '../engine/lab.ts';

/** Fraction of conv/dense kernel weights that are nonzero, per layer and overall. */
export function kernelDensity(result: RunResult) {
  const layers: Record<
    string,
    {
      density: number;
      weights: number;
      kept: number;
      indexBits?: number;
      sizeBytes: number;
      /** Quantized kernels: bits of a shared-weight index or level, before and after Huffman. */
      weightBits?: number;
      weightBitsHuffman?: number;
      /** Stored position bits per kept weight (after Huffman when coded). */
      indexBitsHuffman?: number;
      huffman?: boolean;
    }
  > = {};
  let weights = 0;
  let kept = 0;
  for (const l of result.layers) {
    if (!l.kernelShape) continue;
    const n = l.kernelShape.reduce((a, b) => a * b, 1);
    const bias = l.params - n;
    const nonzero = Math.max(0, l.nonzeroParams - bias); // biases are rarely zero; close enough per layer
    layers[l.name] = {
      density: nonzero / n,
      weights: n,
      kept: nonzero,
      indexBits: l.indexBits,
      sizeBytes: l.sizeBytes,
      ...(l.storage?.symbolBits
        ? {
            weightBits: l.storage.symbolBits,
            weightBitsHuffman: Number(l.storage.valueBits.toFixed(2)),
            indexBitsHuffman: Number(l.storage.indexBits.toFixed(2)),
            huffman: l.storage.huffman,
          }
        : {}),
    };
    weights += n;
    kept += nonzero;
  }
  return { density: kept / weights, layers };
}

/** Per conv/dense layer: its kernel's density and storage (what reproduce prints per layer). */
export type KernelLayers = ReturnType<typeof kernelDensity>['layers'];
