import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeWeights, encodeWeights, WeightsFormatError } from './weights-blob.ts';

/** Float32 arrays that are mostly zeros, with runs long enough to need filler entries. */
const sparseArray = fc
  .tuple(
    fc.integer({ min: 1, max: 3000 }),
    fc.double({ min: 0, max: 1, noNaN: true }),
    fc.integer(),
  )
  .map(([n, density, seed]) => {
    const values = new Float32Array(n);
    let s = seed >>> 0;
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      if (s / 2 ** 32 < density * density) values[i] = (s % 2000) / 100 - 10 || -0;
    }
    return values;
  });

const sameBits = (a: Float32Array, b: Float32Array) =>
  a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

describe('weights blob', () => {
  it('lays out a small sparse tensor exactly as computed by hand', () => {
    // [0, 0, 1.5, forty zeros, -2] with 3-bit indices: gap 2, then a gap of 40 = 5 fillers of
    // 8 positions each and a final index 0. Indices 2,7,7,7,7,7,0 packed LSB first: 250 255 3.
    const values = new Float32Array(44);
    values[2] = 1.5;
    values[43] = -2;
    const { blob, tensors } = encodeWeights([{ name: 'w', shape: [44], values, indexBits: 3 }]);
    const header = 2 + 1 + 1 + 4 + 1;
    const payload = 1 + 4 + 3 + 4 * 7;
    expect(blob.length).toBe(8 + header + payload);
    expect(tensors[0]).toEqual({
      name: 'w',
      layout: 'sparse',
      bytes: header + payload,
      indexBits: 3,
      entries: 7,
    });
    const at = 8 + header;
    expect(blob[at]).toBe(3);
    expect(new DataView(blob.buffer).getUint32(at + 1, true)).toBe(7);
    expect(Array.from(blob.subarray(at + 5, at + 8))).toEqual([250, 255, 3]);
    const stored = new Float32Array(blob.slice(at + 8).buffer);
    expect(Array.from(stored)).toEqual([1.5, 0, 0, 0, 0, 0, -2]);
    expect(sameBits(decodeWeights(blob)[0].values, values)).toBe(true);
  });

  it('decodes to exactly what was encoded (bit for bit, -0 included), dense or sparse', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(sparseArray, fc.option(fc.integer({ min: 1, max: 16 }))), {
          minLength: 1,
          maxLength: 4,
        }),
        (arrays) => {
          const tensors = arrays.map(([values, bits], i) => ({
            name: `layer${i}/kernel`,
            shape: [values.length],
            values,
            indexBits: bits ?? undefined,
          }));
          const decoded = decodeWeights(encodeWeights(tensors).blob);
          expect(decoded.map((t) => t.name)).toEqual(tensors.map((t) => t.name));
          decoded.forEach((t, i) => expect(sameBits(t.values, tensors[i].values)).toBe(true));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('picks the index width that makes a tensor smallest, never worse than a fixed one', () => {
    fc.assert(
      fc.property(sparseArray, fc.integer({ min: 1, max: 16 }), (values, bits) => {
        const auto = encodeWeights([{ name: 'w', shape: [values.length], values }]);
        const fixed = encodeWeights([
          { name: 'w', shape: [values.length], values, indexBits: bits },
        ]);
        expect(auto.blob.length).toBeLessThanOrEqual(fixed.blob.length);
        // Never larger than dense float32 either.
        expect(auto.tensors[0].bytes).toBeLessThanOrEqual(2 + 1 + 1 + 4 + 1 + 4 * values.length);
      }),
      { numRuns: 60 },
    );
  });

  it('stores a dense tensor as float32 when sparse would not be smaller', () => {
    const values = Float32Array.from({ length: 10 }, (_, i) => i + 1);
    const { blob, tensors } = encodeWeights([{ name: 'dense/bias', shape: [2, 5], values }]);
    expect(tensors[0].layout).toBe('dense');
    expect(blob.length).toBe(8 + 2 + 10 + 1 + 8 + 1 + 40);
    expect(decodeWeights(blob)[0]).toEqual({ name: 'dense/bias', shape: [2, 5], values });
  });

  it('refuses what it cannot store instead of wrapping numbers', () => {
    const one = new Float32Array(1);
    expect(() => encodeWeights([{ name: 'x'.repeat(70_000), shape: [1], values: one }])).toThrow(
      /65,535/,
    );
    expect(() =>
      encodeWeights([{ name: 'r', shape: new Array(256).fill(1), values: one }]),
    ).toThrow(/rank/);
    expect(() => encodeWeights([{ name: 'd', shape: [2 ** 32], values: one }])).toThrow(
      /dimension/,
    );
    expect(() => encodeWeights([{ name: 'm', shape: [3], values: one }])).toThrow(
      /1 values for shape \[3\]/,
    );
  });

  it('refuses a small blob whose sparse tensors claim more values than the lab reads in all', () => {
    // Each 13-byte tensor claims 2^26 zeros (sparse, no entries): one is allowed, two are not,
    // so a few hundred crafted bytes cannot make the decoder allocate gigabytes.
    const sparseZeros = [0, 0, 1, 0, 0, 0, 4, 1, 8, 0, 0, 0, 0]; // dim 2^26 = 0x04000000
    const blob = (tensors: number) =>
      Uint8Array.from([
        0x43,
        0x4c,
        0x57,
        0x32,
        tensors,
        0,
        0,
        0,
        ...new Array(tensors).fill(sparseZeros).flat(),
      ]);
    expect(decodeWeights(blob(1))[0].values.length).toBe(2 ** 26);
    const started = performance.now();
    expect(() => decodeWeights(blob(2))).toThrow(WeightsFormatError);
    expect(() => decodeWeights(blob(30))).toThrow(/more than the lab reads/);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('rejects truncated, padded, foreign and crafted blobs with a format error', () => {
    const values = new Float32Array(300);
    values[299] = 1;
    const { blob } = encodeWeights([{ name: 'a', shape: [300], values }]);
    const bad = [
      blob.slice(0, blob.length - 1),
      Uint8Array.from([...blob, 0]),
      Uint8Array.from([0x43, 0x4c, 0x57, 0x31, 0, 0, 0, 0]), // the old CLW1 format
      new Uint8Array(3),
    ];
    // 21 bytes that claim one tensor of 2^32 - 1 zeros: refused before anything is allocated.
    const crafted = new Uint8Array(21);
    crafted.set([
      0x43, 0x4c, 0x57, 0x32, 1, 0, 0, 0, 1, 0, 0x61, 1, 0xff, 0xff, 0xff, 0xff, 1, 1, 0, 0, 0,
    ]);
    bad.push(crafted);
    // An index that points past the tensor's end.
    const past = blob.slice();
    past[8 + 2 + 1 + 1 + 4 + 1 + 5] = 0xff;
    bad.push(past);
    for (const b of bad) {
      expect(() => decodeWeights(b)).toThrow(WeightsFormatError);
    }
  });
});
