/**
 * One way of storing a weight tensor in the compact model file: the layout byte that names it
 * and the body after it. Every layout is an encoder/decoder pair with this interface, and all
 * of them sit in one table (index.ts) that the file's writer and reader go through.
 */
import type { WeightCoding } from '../../model/coding.ts';
import type { ByteReader, ByteWriter } from '../byte-io.ts';
import { WeightsFormatError } from '../weights-blob.ts';

/**
 * The file's version (its magic's fourth byte, "CLW3" = 3). It says which layouts a file may
 * hold and how layout 1 marks its positions (gaps.ts):
 *   3  layouts 0-5; layout 1 bridges long gaps with padding zeros
 *   4  as 3, and layout 6 (sparse binary)
 *   5  layouts 0-6; every sparse layout, layout 1 included, uses the skip filler
 */
export type FileVersion = 3 | 4 | 5;
export const FILE_VERSIONS: readonly FileVersion[] = [3, 4, 5];
/** Whether layout 1 of this version uses the skip filler (else the padding filler). */
export const skipFillerFloats = (version: FileVersion) => version >= 5;

export type ModelLayout =
  'dense' | 'sparse' | 'codebook' | 'fixed' | 'ternary' | 'binary' | 'sparse-binary';

/** Where a tensor's bytes go (they add up to its `bytes`). */
export interface ByteParts {
  /** The weights themselves: float values, codebook indices, fixed-point levels, sign bits. */
  readonly values: number;
  /** Positions of sparse tensors: relative indices. */
  readonly indices: number;
  /** Codebooks, scales and zero points. */
  readonly codebooks: number;
  /** Huffman tables. */
  readonly tables: number;
  /** Layout byte, widths and counts. */
  readonly header: number;
}

export interface EncodedTensor {
  readonly name: string;
  readonly layout: ModelLayout;
  readonly bytes: number;
  readonly parts: ByteParts;
  /** Stored positions (all of them for a dense tensor). */
  readonly kept: number;
  /** Relative-index width of a sparse layout. */
  readonly indexBits?: number;
  /** Width of a symbol (codebook index, level) before Huffman coding. */
  readonly symbolBits?: number;
  readonly huffman?: boolean;
  /** Stored bits per kept weight of the values and of the positions (after Huffman). */
  readonly valueBitsPerWeight: number;
  readonly indexBitsPerWeight: number;
}

/** What a layout's encoder reports; the writer adds the name, layout and byte count. */
export type LayoutReport = Omit<EncodedTensor, 'name' | 'layout' | 'bytes'>;

/** A weight as the file stores it (see stored-form.ts). */
export interface StoredWeight {
  readonly name: string;
  readonly shape: readonly number[];
  /** The floats the file must give back: pruned positions 0, quantized ones dequantized. */
  readonly values: Float32Array;
  readonly coding?: WeightCoding;
  /** 1 = kept, 0 = pruned; absent when nothing is pruned. */
  readonly mask?: Uint8Array;
  /** A relative-index width the recipe asked for. */
  readonly indexBits?: number;
}

/** A tensor the reader is about to read: its shape from the architecture. */
export interface TensorSlot {
  readonly shape: readonly number[];
  /** Its element count, within the file's caps (checked before any tensor is read). */
  readonly n: number;
  /** The last axis (output channels of a kernel). */
  readonly channels: number;
  /** How error messages name it. */
  readonly what: string;
}

/** What a layout's decoder gives back: the floats and what else the file encodes. */
export interface DecodedTensor {
  readonly values: Float32Array;
  readonly coding?: WeightCoding;
  readonly mask?: Uint8Array;
  readonly indexBits?: number;
}

export interface TensorLayout {
  /** The layout byte. */
  readonly id: number;
  readonly name: ModelLayout;
  /** The first file version that may hold it. */
  readonly since: FileVersion;
  /** Whether it stores this weight exactly (the writer picks the smallest layout that does). */
  fits(w: StoredWeight): boolean;
  /** Bytes `encode` writes for it (layout byte not included); asked when several layouts fit. */
  sizeBytes(w: StoredWeight, version: FileVersion): number;
  /** Writes the body after the layout byte; `parts.header` leaves the layout byte out. */
  encode(out: ByteWriter, w: StoredWeight, version: FileVersion): LayoutReport;
  /**
   * Reads the body after the layout byte. It checks each count against the tensor's size and
   * the bytes left before it allocates, and throws a WeightsFormatError on anything else.
   */
  decode(input: ByteReader, slot: TensorSlot, version: FileVersion): DecodedTensor;
}

/** The last axis of a shape (1 for a scalar). */
export const channelsOf = (shape: readonly number[]) => shape[shape.length - 1] ?? 1;

export const NO_PARTS: ByteParts = { values: 0, indices: 0, codebooks: 0, tables: 0, header: 0 };

/** Throws unless a codebook or fixed-point coding's symbol width is one the file allows. */
export function checkSymbolBits(w: StoredWeight, bits: number): void {
  if (!(bits >= 1 && bits <= 16))
    throw new WeightsFormatError(`${w.name}: ${bits} bits is outside 1-16`);
}

/** Reads a symbol width (1-16) of a codebook or fixed-point tensor. */
export function readSymbolBits(input: ByteReader, what: string): number {
  const bits = input.u8(what);
  if (bits < 1 || bits > 16) throw new WeightsFormatError(`${what}: ${bits}-bit symbols`);
  return bits;
}
