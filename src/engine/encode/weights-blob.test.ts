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
      if (s / 2 ** 32 < density * density) values[i] = (s % 2000) / 100 - 10 || 0.5;
    }
    return values;
  });

describe('weights blob', () => {
  it('decodes to exactly what was encoded, dense or sparse', () => {
    fc.assert(
      fc.property(fc.array(sparseArray, { minLength: 1, maxLength: 4 }), (arrays) => {
        const tensors = arrays.map((values, i) => ({
          name: `layer${i}/kernel`,
          shape: [values.length],
          values,
        }));
        const { blob } = encodeWeights(tensors);
        const decoded = decodeWeights(blob);
        expect(decoded.map((t) => t.name)).toEqual(tensors.map((t) => t.name));
        decoded.forEach((t, i) =>
          expect(Array.from(t.values)).toEqual(Array.from(tensors[i].values)),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('reports the size of the real blob and picks the smaller layout per tensor', () => {
    const dense = Float32Array.from({ length: 1000 }, (_, i) => i + 1);
    const sparse = new Float32Array(1000);
    sparse[0] = 1;
    sparse[999] = 2; // a gap of 998 zeros needs three fillers of 256 each
    const { blob, tensors } = encodeWeights([
      { name: 'a', shape: [10, 100], values: dense },
      { name: 'b', shape: [1000], values: sparse },
    ]);
    expect(tensors.map((t) => t.layout)).toEqual(['dense', 'sparse']);
    // header 8; a: 2+1+1+8+1 + 4000; b: 2+1+1+4+1 + 4 + 5*(2 + 3 fillers)
    expect(tensors[0].bytes).toBe(13 + 4000);
    expect(tensors[1].bytes).toBe(9 + 4 + 25);
    expect(blob.length).toBe(8 + tensors[0].bytes + tensors[1].bytes);
  });

  it('rejects a truncated or foreign blob', () => {
    const { blob } = encodeWeights([
      { name: 'w', shape: [3], values: new Float32Array([1, 2, 3]) },
    ]);
    expect(() => decodeWeights(blob.subarray(0, blob.length - 2))).toThrow(WeightsFormatError);
    expect(() => decodeWeights(new TextEncoder().encode('not a blob at all'))).toThrow(
      /not a CLW1/,
    );
  });
});
