/**
 * Symbols of the codebook, fixed-point and sparse binary layouts, and the sparse positions
 * they share with sparse floats (skip fillers, see gaps.ts):
 *
 *   symbols(b)   = u8:flags [positions] field(b, kept or n)
 *                  flags bit 0: sparse (only kept positions carry a symbol), bit 1: Huffman
 *   positions    = u8:k u32:kept u32:entries field(k, entries)
 *   field(w, c)  = bits(w*c)                 plain, or with Huffman:
 *                = table(w) u32:streamBits bits(streamBits)
 */
import {
  bytesOf,
  type ByteReader,
  type ByteWriter,
  type FieldPlan,
  writeField,
} from './byte-io.ts';
import {
  checkIndexBits,
  entryCount,
  gapsOf,
  indexBitsFor,
  keptPositions,
  relativeIndices,
} from './gaps.ts';
import { huffmanTable, streamBits, tableBits } from './huffman.ts';
import type { ByteParts, LayoutReport } from './layouts/layout.ts';
import { WeightsFormatError } from './weights-blob.ts';

export function fieldPlan(data: ArrayLike<number>, width: number, huffman: boolean): FieldPlan {
  if (!huffman) {
    const bits = width * data.length;
    return { data, width, tableBytes: 0, streamBytes: bytesOf(bits), streamBits: bits };
  }
  // An empty field still needs a table a reader accepts (its count field cannot say 0 symbols):
  // one symbol of a 1-bit code, never used.
  const table = data.length ? huffmanTable(data) : { symbols: [0], lengths: [1] };
  const bits = streamBits(table, data);
  return {
    data,
    width,
    table,
    tableBytes: bytesOf(tableBits(table, width)) + 4,
    streamBytes: bytesOf(bits),
    streamBits: bits,
  };
}

/** Where the kept positions of a mask are: relative indices of width k. */
export interface PositionsPlan {
  readonly k: number;
  readonly kept: number;
  readonly field: FieldPlan;
  /** Bytes of the positions, their 9-byte header included. */
  readonly bytes: number;
}

/** Positions of `kept` at width `indexBits`, or at the width that takes fewest index bits. */
export function positionsPlan(
  kept: ArrayLike<boolean | number>,
  indexBits: number | undefined,
  huffman: boolean,
): PositionsPlan {
  const gaps = gapsOf(kept);
  const k = indexBitsFor(indexBits, (bits) => bits * entryCount(gaps, bits));
  const field = fieldPlan(relativeIndices(gaps, k), k, huffman);
  return { k, kept: gaps.length, field, bytes: 9 + field.tableBytes + field.streamBytes };
}

export function writePositions(out: ByteWriter, plan: PositionsPlan): void {
  out.u8(plan.k);
  out.u32(plan.kept);
  out.u32(plan.field.data.length);
  writeField(out, plan.field);
}

/** Reads positions of a tensor of n values: the mask of kept ones and the index width. */
export function readPositions(
  input: ByteReader,
  n: number,
  huffman: boolean,
  what: string,
): { mask: Uint8Array; k: number; kept: number } {
  const k = input.u8(what);
  const kept = input.u32(what);
  const entries = input.u32(what);
  checkIndexBits(k, what);
  // Each entry stores a position or skips at least one: more than n + kept cannot be right.
  if (kept > n || entries > n + kept)
    throw new WeightsFormatError(`${what}: ${kept} kept of ${n} in ${entries} entries`);
  const relative = input.field(k, entries, huffman, what);
  return { mask: keptPositions(relative, k, n, kept, what), k, kept };
}

export interface SymbolsPlan {
  readonly sparse: boolean;
  readonly huffman: boolean;
  readonly kept: number;
  readonly positions?: PositionsPlan;
  readonly values: FieldPlan;
  /** Bytes of the symbols, flags included. */
  readonly bytes: number;
}

/**
 * Symbols of a tensor: dense (one per element) or, when a mask makes it smaller, only at kept
 * positions with their positions; Huffman-coded when asked.
 */
export function symbolsPlan(
  symbols: ArrayLike<number>,
  width: number,
  mask: Uint8Array | undefined,
  huffman: boolean,
  indexBits: number | undefined,
  /** The symbol that decodes to 0 at a position (undefined: none, so pruned ones need sparse). */
  zeroSymbol: (position: number) => number | undefined,
): SymbolsPlan {
  const pruned = mask !== undefined && !mask.every((m) => m);
  let dense: SymbolsPlan | undefined;
  const withZeros = pruned ? Array.from(symbols, (s, i) => (mask[i] ? s : zeroSymbol(i))) : symbols;
  if (!Array.prototype.some.call(withZeros, (s: number | undefined) => s === undefined)) {
    const values = fieldPlan(withZeros as ArrayLike<number>, width, huffman);
    dense = {
      sparse: false,
      huffman,
      kept: symbols.length,
      values,
      bytes: 1 + values.tableBytes + values.streamBytes,
    };
  }
  if (!pruned) return dense!;
  const keptSymbols: number[] = [];
  for (let i = 0; i < symbols.length; i++) if (mask[i]) keptSymbols.push(symbols[i]);
  const positions = positionsPlan(mask, indexBits, huffman);
  const values = fieldPlan(keptSymbols, width, huffman);
  const sparse: SymbolsPlan = {
    sparse: true,
    huffman,
    kept: keptSymbols.length,
    positions,
    values,
    bytes: 1 + positions.bytes + values.tableBytes + values.streamBytes,
  };
  return dense && dense.bytes <= sparse.bytes ? dense : sparse;
}

export function writeSymbols(out: ByteWriter, plan: SymbolsPlan): void {
  out.u8((plan.sparse ? 1 : 0) | (plan.huffman ? 2 : 0));
  if (plan.positions) writePositions(out, plan.positions);
  writeField(out, plan.values);
}

/** Where the symbols' bytes go, beside `codebookBytes` and `headerBytes` of the layout's own. */
export function symbolParts(
  plan: SymbolsPlan,
  codebookBytes: number,
  headerBytes: number,
): ByteParts {
  const huffmanCount = plan.huffman ? 4 : 0;
  return {
    values: plan.values.streamBytes + huffmanCount,
    indices: plan.positions ? plan.positions.field.streamBytes + huffmanCount : 0,
    codebooks: codebookBytes,
    tables:
      (plan.huffman ? plan.values.tableBytes - 4 : 0) +
      (plan.positions && plan.huffman ? plan.positions.field.tableBytes - 4 : 0),
    header: headerBytes + 1 + (plan.sparse ? 9 : 0),
  };
}

/** Bits a kept weight takes for its value and for its position (after Huffman). */
export function symbolBitsPerWeight(plan: SymbolsPlan) {
  return {
    valueBitsPerWeight: plan.kept ? plan.values.streamBits / plan.kept : 0,
    indexBitsPerWeight:
      plan.kept && plan.positions ? plan.positions.field.streamBits / plan.kept : 0,
  };
}

/** What a symbol layout (codebook, fixed point) reports of the tensor it wrote. */
export function symbolReport(
  plan: SymbolsPlan,
  tableBytes: number,
  headerBytes: number,
  symbolBits: number,
  huffman: boolean,
): LayoutReport {
  return {
    parts: symbolParts(plan, tableBytes, headerBytes),
    kept: plan.kept,
    indexBits: plan.sparse ? plan.positions!.k : undefined,
    symbolBits,
    huffman,
    ...symbolBitsPerWeight(plan),
  };
}

/**
 * Reads symbols(bits) of a tensor of n values after their flags: a symbol at every position
 * (0 where the mask, present when sparse, says pruned).
 */
export function readSymbols(
  input: ByteReader,
  bits: number,
  n: number,
  flags: number,
  what: string,
): { symbols: Uint16Array; mask?: Uint8Array; k?: number } {
  const huffman = (flags & 2) !== 0;
  if (!(flags & 1)) return { symbols: input.field(bits, n, huffman, what) };
  const { mask, k, kept } = readPositions(input, n, huffman, what);
  const keptSymbols = input.field(bits, kept, huffman, what);
  const symbols = new Uint16Array(n);
  let s = 0;
  for (let i = 0; i < n; i++) if (mask[i]) symbols[i] = keptSymbols[s++];
  return { symbols, mask, k };
}
