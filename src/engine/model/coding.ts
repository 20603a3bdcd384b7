/**
 * How a quantized weight tensor is stored, beside the floats it computes with. A quantizer
 * leaves `WeightTensor.values` holding the dequantized floats (so evaluation, training and every
 * kernel run unchanged) and describes in `WeightTensor.coding` the compact form the encoder
 * writes: the stored size comes from this description, and decoding it gives `values` back
 * bit for bit. A weight without a coding is stored as 32-bit floats (dense, or sparse with
 * relative indices when its mask makes that smaller).
 *
 * Pruned positions (mask 0) are never stored by codings that keep zeros implicit: a codebook
 * tensor with a mask stores only the kept positions' indices (with relative indices for where
 * they are), as Deep Compression does.
 */

/** Shared weights: each kept weight is an index into a per-tensor codebook (k-means, WQ, linear levels). */
export interface CodebookCoding {
  readonly kind: 'codebook';
  /** Index width in bits (1..16); the codebook has at most 2^bits entries. */
  readonly bits: number;
  /** The shared values; values[i] === codebook[indices[i]] at every stored position. */
  readonly codebook: Float32Array;
  /** One index per element of the tensor (pruned positions hold 0 and are not stored). */
  readonly indices: Uint16Array;
  /** Whether the indices (and sparse relative indices) are Huffman-coded in the file. */
  readonly huffman: boolean;
}

/**
 * Linear fixed point: value = scale[c] * (q - zeroPoint[c]) with q an unsigned `bits`-bit
 * integer, per tensor (one scale) or per output channel (the last axis of a kernel).
 */
export interface FixedPointCoding {
  readonly kind: 'fixed';
  readonly bits: number;
  readonly scales: Float32Array;
  readonly zeroPoints: Int32Array;
  /** The integers, one per element. */
  readonly levels: Uint16Array;
}

/** Ternary (TTQ): every weight is +positive, 0 or -negative; 2 bits a weight. */
export interface TernaryCoding {
  readonly kind: 'ternary';
  readonly positive: number;
  readonly negative: number;
}

/**
 * Binary (BinaryConnect, XNOR-Net): every weight is +-scale of its output channel (one scale
 * for the whole tensor when `scales` has one entry); 1 bit a weight.
 */
export interface BinaryCoding {
  readonly kind: 'binary';
  readonly scales: Float32Array;
}

export type WeightCoding = CodebookCoding | FixedPointCoding | TernaryCoding | BinaryCoding;

export function cloneCoding(coding: WeightCoding): WeightCoding {
  switch (coding.kind) {
    case 'codebook':
      return { ...coding, codebook: coding.codebook.slice(), indices: coding.indices.slice() };
    case 'fixed':
      return {
        ...coding,
        scales: coding.scales.slice(),
        zeroPoints: coding.zeroPoints.slice(),
        levels: coding.levels.slice(),
      };
    case 'ternary':
      return { ...coding };
    case 'binary':
      return { ...coding, scales: coding.scales.slice() };
  }
}
