/**
 * Canonical Huffman codes (Huffman 1952; canonical assignment as in DEFLATE, RFC 1951 3.2.2),
 * which Deep Compression applies to the shared-weight indices and to the sparse relative indices
 * (Han et al. 2016, section 4). A table is stored as the symbols used and their code lengths;
 * codes follow from the lengths, shorter first, then by symbol.
 */
import type { BitReader, BitWriter } from './bits.ts';
import { WeightsFormatError } from './weights-blob.ts';

/** Longest code the format allows (a tensor of 2^26 symbols needs at most ~37). */
export const MAX_CODE_LENGTH = 48;
const LENGTH_FIELD_BITS = 6;

export interface HuffmanTable {
  /** Used symbols, ascending. */
  readonly symbols: readonly number[];
  /** Code length of each symbol in `symbols`. */
  readonly lengths: readonly number[];
}

/** Code lengths of an optimal prefix code for the symbols' counts (ties broken by symbol). */
export function huffmanTable(data: ArrayLike<number>): HuffmanTable {
  const counts = new Map<number, number>();
  for (let i = 0; i < data.length; i++) counts.set(data[i], (counts.get(data[i]) ?? 0) + 1);
  const symbols = [...counts.keys()].sort((a, b) => a - b);
  if (symbols.length === 0) return { symbols: [], lengths: [] };
  if (symbols.length === 1) return { symbols, lengths: [1] };
  // Nodes: leaves 0..n-1, then merged ones; a simple two-queue merge on counts sorted once.
  const n = symbols.length;
  const weight: number[] = symbols.map((s) => counts.get(s)!);
  const parent = new Int32Array(2 * n - 1).fill(-1);
  const leaves = symbols.map((_, i) => i).sort((a, b) => weight[a] - weight[b] || a - b);
  const merged: number[] = [];
  let li = 0;
  let mi = 0;
  const take = () => {
    if (mi < merged.length && (li >= leaves.length || weight[merged[mi]] < weight[leaves[li]]))
      return merged[mi++];
    return leaves[li++];
  };
  for (let next = n; next < 2 * n - 1; next++) {
    const a = take();
    const b = take();
    weight[next] = weight[a] + weight[b];
    parent[a] = next;
    parent[b] = next;
    merged.push(next);
  }
  const lengths = symbols.map((_, i) => {
    let depth = 0;
    for (let node = i; parent[node] !== -1; node = parent[node]) depth++;
    return depth;
  });
  if (lengths.some((l) => l > MAX_CODE_LENGTH))
    throw new WeightsFormatError(`a Huffman code would be longer than ${MAX_CODE_LENGTH} bits`);
  return { symbols, lengths };
}

interface Canonical {
  /** Per length: how many codes, the first code, and where its symbols start in `sorted`. */
  readonly count: number[];
  readonly first: number[];
  readonly offset: number[];
  /** Symbols in canonical order (length, then symbol). */
  readonly sorted: number[];
  readonly maxLength: number;
}

/** Canonical code assignment; null when the lengths over-subscribe the code space. */
function canonical(table: HuffmanTable): Canonical | null {
  const maxLength = Math.max(0, ...table.lengths);
  const count = new Array<number>(maxLength + 1).fill(0);
  for (const l of table.lengths) count[l]++;
  const first = new Array<number>(maxLength + 1).fill(0);
  const offset = new Array<number>(maxLength + 1).fill(0);
  let code = 0;
  let index = 0;
  for (let l = 1; l <= maxLength; l++) {
    code *= 2;
    first[l] = code;
    offset[l] = index;
    code += count[l];
    index += count[l];
    if (code > 2 ** l) return null; // more codes of this length than there is room for
  }
  const order = table.symbols.map((_, i) => i);
  order.sort((a, b) => table.lengths[a] - table.lengths[b] || table.symbols[a] - table.symbols[b]);
  return { count, first, offset, sorted: order.map((i) => table.symbols[i]), maxLength };
}

/** Code of each symbol, for writing. */
export function huffmanCodes(table: HuffmanTable): Map<number, { code: number; length: number }> {
  const c = canonical(table);
  if (!c) throw new Error('Huffman lengths over-subscribe the code space');
  const lengthOf = new Map(table.symbols.map((s, i) => [s, table.lengths[i]]));
  const codes = new Map<number, { code: number; length: number }>();
  const next = [...c.first];
  for (const symbol of c.sorted) {
    const length = lengthOf.get(symbol)!;
    codes.set(symbol, { code: next[length]++, length });
  }
  return codes;
}

/** Bits the table takes in the file: u16 count, then (symbol, 6-bit length) pairs. */
export function tableBits(table: HuffmanTable, symbolWidth: number): number {
  return 16 + table.symbols.length * (symbolWidth + LENGTH_FIELD_BITS);
}

/** Bits the stream of `data` takes with `table`. */
export function streamBits(table: HuffmanTable, data: ArrayLike<number>): number {
  const length = new Map(table.symbols.map((s, i) => [s, table.lengths[i]]));
  let bits = 0;
  for (let i = 0; i < data.length; i++) bits += length.get(data[i])!;
  return bits;
}

export function writeTable(out: BitWriter, table: HuffmanTable, symbolWidth: number): void {
  out.write(table.symbols.length === 0 ? 0 : table.symbols.length - 1, 16);
  table.symbols.forEach((s, i) => {
    out.write(s, symbolWidth);
    out.write(table.lengths[i], LENGTH_FIELD_BITS);
  });
}

export function writeStream(out: BitWriter, table: HuffmanTable, data: ArrayLike<number>): void {
  const codes = huffmanCodes(table);
  for (let i = 0; i < data.length; i++) {
    const { code, length } = codes.get(data[i])!;
    out.writeCode(code, length);
  }
}

/** A decoder for a stored table; throws a format error naming `what` when the table is invalid. */
export function readTable(
  input: BitReader,
  symbolWidth: number,
  what: string,
): (from: BitReader) => number {
  if (input.position + 16 > input.limit)
    throw new WeightsFormatError(`${what}: truncated Huffman table`);
  const used = input.read(16) + 1;
  if (used > 2 ** symbolWidth)
    throw new WeightsFormatError(
      `${what}: Huffman table lists ${used} symbols of ${symbolWidth} bits`,
    );
  if (input.position + used * (symbolWidth + LENGTH_FIELD_BITS) > input.limit)
    throw new WeightsFormatError(`${what}: truncated Huffman table`);
  const symbols: number[] = [];
  const lengths: number[] = [];
  for (let i = 0; i < used; i++) {
    const symbol = input.read(symbolWidth);
    const length = input.read(LENGTH_FIELD_BITS);
    if ((i > 0 && symbol <= symbols[i - 1]) || length < 1 || length > MAX_CODE_LENGTH)
      throw new WeightsFormatError(`${what}: invalid Huffman table`);
    symbols.push(symbol);
    lengths.push(length);
  }
  const c = canonical({ symbols, lengths });
  if (!c) throw new WeightsFormatError(`${what}: invalid Huffman table`);
  return (from) => {
    let code = 0;
    for (let l = 1; l <= c.maxLength; l++) {
      const bit = from.bit();
      if (bit < 0) break;
      code = code * 2 + bit;
      if (code - c.first[l] < c.count[l] && code >= c.first[l])
        return c.sorted[c.offset[l] + code - c.first[l]];
    }
    throw new WeightsFormatError(`${what}: Huffman stream does not decode`);
  };
}
