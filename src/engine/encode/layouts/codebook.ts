/**
 * Layout 2, a codebook (k-means, WQ, linear levels): each weight an index into shared values,
 * Huffman-coded when the coding asks (Deep Compression).
 *
 *   u8:bits u16:(size-1) f32*size symbols(bits)
 */
import type { CodebookCoding } from '../../model/coding.ts';
import { decodedValues } from '../stored-form.ts';
import { readSymbols, symbolReport, symbolsPlan, writeSymbols } from '../symbols.ts';
import { WeightsFormatError } from '../weights-blob.ts';
import { checkSymbolBits, readSymbolBits, type StoredWeight, type TensorLayout } from './layout.ts';

function codingOf(w: StoredWeight): CodebookCoding {
  const coding = w.coding;
  if (coding?.kind !== 'codebook') throw new Error(`${w.name}: not a codebook coding`);
  const fail = (what: string) => {
    throw new WeightsFormatError(`${w.name}: ${what}`);
  };
  checkSymbolBits(w, coding.bits);
  if (coding.codebook.length < 1 || coding.codebook.length > 2 ** coding.bits)
    fail(`a codebook of ${coding.codebook.length} entries for ${coding.bits} bits`);
  if (coding.indices.length !== w.values.length) fail('indices do not match the tensor');
  if (coding.indices.some((i) => i >= coding.codebook.length)) fail('an index past the codebook');
  return coding;
}

function plan(w: StoredWeight, coding: CodebookCoding) {
  // A pruned position can be stored densely only as the index of an exact +0.
  const zero = coding.codebook.findIndex((v) => Object.is(v, 0));
  return symbolsPlan(coding.indices, coding.bits, w.mask, coding.huffman, w.indexBits, () =>
    zero >= 0 ? zero : undefined,
  );
}

export const codebookLayout: TensorLayout = {
  id: 2,
  name: 'codebook',
  since: 3,
  fits: (w) => w.coding?.kind === 'codebook',
  sizeBytes(w) {
    const coding = codingOf(w);
    return 3 + 4 * coding.codebook.length + plan(w, coding).bytes;
  },
  encode(out, w) {
    const coding = codingOf(w);
    const symbols = plan(w, coding);
    out.u8(coding.bits);
    out.u16(coding.codebook.length - 1);
    out.f32s(coding.codebook);
    writeSymbols(out, symbols);
    return symbolReport(symbols, 4 * coding.codebook.length, 3, coding.bits, coding.huffman);
  },
  decode(input, { shape, n, what }) {
    const bits = readSymbolBits(input, what);
    const size = input.u16(what) + 1;
    if (size > 2 ** bits)
      throw new WeightsFormatError(`${what}: ${size} codebook entries for ${bits} bits`);
    const codebook = input.f32s(size, what);
    const flags = input.u8(what);
    if (flags > 3) throw new WeightsFormatError(`${what}: unknown flags ${flags}`);
    const { symbols, mask, k } = readSymbols(input, bits, n, flags, what);
    if (symbols.some((i) => i >= codebook.length))
      throw new WeightsFormatError(`${what}: an index past its codebook`);
    const coding: CodebookCoding = {
      kind: 'codebook',
      bits,
      codebook,
      indices: symbols,
      huffman: (flags & 2) !== 0,
    };
    return { values: decodedValues(coding, shape, mask), coding, mask, indexBits: k };
  },
};
