import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeIdx, encodeIdx, IdxFormatError } from './idx.ts';

/** A header written byte by byte, as the format describes it (independent of encodeIdx). */
function header(type: number, dims: number[]): number[] {
  const out = [0, 0, type, dims.length];
  for (const size of dims)
    out.push(size >>> 24, (size >>> 16) & 255, (size >>> 8) & 255, size & 255);
  return out;
}

describe('idx files', () => {
  it('reads a hand-written file: dims big-endian, values after the header', () => {
    const bytes = Uint8Array.from([...header(0x08, [2, 3]), 1, 2, 3, 4, 5, 6]);
    const array = decodeIdx(bytes);
    expect(array.dims).toEqual([2, 3]);
    expect([...array.data]).toEqual([1, 2, 3, 4, 5, 6]);
    // A view, not a copy: nothing is allocated for the values.
    expect(array.data.buffer).toBe(bytes.buffer);
  });

  it('writes what it reads, for any dims and values', () => {
    const arrays = fc
      .array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 4 })
      .chain((dims) =>
        fc
          .uint8Array({
            minLength: dims.reduce((a, b) => a * b, 1),
            maxLength: dims.reduce((a, b) => a * b, 1),
          })
          .map((data) => ({ dims, data })),
      );
    fc.assert(
      fc.property(arrays, (array) => {
        const encoded = encodeIdx(array);
        expect([...encoded.subarray(0, 4 + 4 * array.dims.length)]).toEqual(
          header(0x08, array.dims),
        );
        const decoded = decodeIdx(encoded);
        expect(decoded.dims).toEqual(array.dims);
        expect([...decoded.data]).toEqual([...array.data]);
      }),
    );
  });

  it('names what is wrong with a bad file', () => {
    const bad = (bytes: number[]) => () => decodeIdx(Uint8Array.from(bytes), 'x.idx');
    expect(bad([0, 0])).toThrow(/x\.idx is not an idx file: 2 bytes, too short/);
    expect(bad([0x1f, 0x8b, 8, 0])).toThrow(/must start with two zero bytes, not 0x1f 0x8b .*gzip/);
    expect(bad(header(0x0d, [1]))).toThrow(/holds float32 values \(idx type 0x0d\).*0x08/);
    expect(bad(header(0x42, [1]))).toThrow(/unknown idx value type 0x42/);
    expect(bad([0, 0, 8, 0])).toThrow(/declares 0 dimensions; the lab reads 1 to 4/);
    expect(bad(header(0x08, [1, 1, 1, 1, 1]))).toThrow(/declares 5 dimensions/);
    expect(bad([0, 0, 8, 3, 0, 0, 0, 1])).toThrow(/truncated: its header of 3 dimensions needs 16/);
    expect(bad([...header(0x08, [2, 2]), 1, 2, 3])).toThrow(
      /declares 2 x 2 = 4 values but holds 3 bytes after its header \(truncated\)/,
    );
    expect(bad([...header(0x08, [1]), 1, 2])).toThrow(/holds 2 bytes .*\(trailing bytes\)/);
  });

  it('refuses a size over the cap from the header alone, before reading values', () => {
    // MNIST's training images declared in a 16-byte file: refused by the cap, then by the size.
    const mnistHeader = Uint8Array.from(header(0x08, [60000, 28, 28]));
    expect(() => decodeIdx(mnistHeader, 'h', { maxDims: 3, maxBytes: 1000 })).toThrow(
      /declares dimensions 60000 x \.\.\., over the cap of 1000 values/,
    );
    expect(() => decodeIdx(mnistHeader, 'h')).toThrow(/47040000 values but holds 0 bytes/);
    // The largest uint32 dimensions multiply past 2^53 without the cap; the cap stops at the first.
    const huge = Uint8Array.from(header(0x08, [0xffffffff, 0xffffffff, 0xffffffff]));
    expect(() => decodeIdx(huge, 'h')).toThrow(/declares dimensions 4294967295 x \.\.\., over/);
  });

  it('refuses to write what it cannot read back', () => {
    expect(() => encodeIdx({ dims: [2, 2], data: new Uint8Array(3) })).toThrow(
      /2 x 2 = 4 values, but 3 bytes/,
    );
    expect(() => encodeIdx({ dims: [], data: new Uint8Array(1) })).toThrow(/1 to 255 dimensions/);
    expect(() => encodeIdx({ dims: [-1], data: new Uint8Array(0) })).toThrow(/not a uint32/);
  });

  it('fuzzed: any bytes decode or fail with an IdxFormatError in one line', () => {
    const valid = encodeIdx({
      dims: [3, 2, 2],
      data: Uint8Array.from({ length: 12 }, (_, i) => i),
    });
    const inputs = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      // Mutations of a valid file: one byte set anywhere, or the file cut anywhere.
      fc
        .tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 }))
        .map(([at, value]) => {
          const copy = valid.slice();
          copy[at] = value;
          return copy;
        }),
      fc.nat({ max: valid.length }).map((cut) => valid.slice(0, cut)),
    );
    fc.assert(
      fc.property(inputs, (bytes) => {
        try {
          const array = decodeIdx(bytes);
          expect(array.data.length).toBe(array.dims.reduce((a, b) => a * b, 1));
          expect(bytes.length).toBe(4 + 4 * array.dims.length + array.data.length);
        } catch (err) {
          expect(err).toBeInstanceOf(IdxFormatError);
          expect((err as Error).message).not.toMatch(/\n/);
        }
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 1000) },
    );
  });
});
