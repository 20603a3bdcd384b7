/**
 * The compact model file's decoder given arbitrary and mutated files (as decoders.fuzz.test.ts
 * does for the other decoders): whatever comes in, a graph or a WeightsFormatError comes out,
 * in one line, never a TypeError or RangeError, quickly, and in time linear in the file.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { LayerGraph } from '../model/graph.ts';
import { useNodeBackend } from '../node/backend.ts';
import { twoDenseGraph } from '../test/models.ts';
import { growthOf } from '../test/timing.ts';
import { shareWeights } from '../techniques/quantize/kmeans.ts';
import { pruneToDensity } from '../techniques/prune/masks.ts';
import { decodeModel, encodeModel } from './model-file.ts';
import { WeightsFormatError } from './weights-blob.ts';

function expectTypedOutcome<T>(decode: () => T): T | undefined {
  try {
    return decode();
  } catch (err) {
    if (!(err instanceof WeightsFormatError)) throw err;
    expect(err.message).not.toMatch(/\n/);
    return undefined;
  }
}

let base: LayerGraph;
beforeAll(async () => {
  await useNodeBackend('wasm');
  base = await twoDenseGraph();
});

/** A small graph whose kernels take every layout: codebook (sparse, Huffman), fixed, ternary. */
function sample(seed: number): Uint8Array {
  const graph = base.clone();
  let s = seed >>> 0;
  const rand = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const a = graph.node('a').weights[0];
  a.values = a.values.map(() => rand() - 0.5);
  const b = graph.node('b').weights[0];
  b.values = b.values.map(() => rand() - 0.5);
  switch (seed & 3) {
    case 0:
      pruneToDensity(a, 0.5);
      shareWeights(a, 2, 'linear', 1, 'a');
      a.transform = { ...a.transform!, params: { bits: 2, huffman: 1 } };
      break;
    case 1:
      a.transform = { id: 'fixed-point', params: { bits: 3, symmetric: 0, perChannel: 1 } };
      break;
    case 2:
      a.values = a.values.map((v) => (v > 0.1 ? 0.25 : v < -0.1 ? -0.5 : 0));
      a.coding = { kind: 'ternary', positive: 0.25, negative: 0.5 };
      break;
    default:
      a.values = a.values.map((v, i) => (v > 0 ? 1 : -1) * [0.5, 1, 1.5][i % 3]);
      a.coding = { kind: 'binary', scales: Float32Array.from([0.5, 1, 1.5]) };
  }
  b.values[seed % 6] = 0;
  return encodeModel(graph).bytes;
}

type Mutation = { at: number; value: number; kind: 'set' | 'flip' | 'cut' | 'u32' };

function mutate(bytes: Uint8Array, ms: readonly Mutation[]): Uint8Array {
  let out = bytes.slice();
  for (const m of ms) {
    const at = out.length ? m.at % out.length : 0;
    if (m.kind === 'set' && out.length) out[at] = m.value & 0xff;
    if (m.kind === 'flip' && out.length) out[at] ^= 1 << (m.value & 7);
    if (m.kind === 'cut') out = out.slice(0, at);
    if (m.kind === 'u32' && out.length >= 4)
      new DataView(out.buffer).setUint32(Math.min(at, out.length - 4), m.value >>> 0, true);
  }
  return out;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  value: fc.constantFrom(0, 1, 2, 3, 0x7f, 0xff, 65_535, 2 ** 26, 2 ** 31, 2 ** 32 - 1),
  kind: fc.constantFrom('set', 'flip', 'cut', 'u32'),
});

describe('the compact model file (CLW3) decoder', () => {
  it('reads back every sample it was given intact', () => {
    for (let seed = 0; seed < 8; seed++)
      expect(decodeModel(sample(seed))).toBeInstanceOf(LayerGraph);
  });

  it('answers arbitrary bytes with a graph or a WeightsFormatError', () => {
    const withMagic = fc
      .uint8Array({ maxLength: 300 })
      .map((b) => Uint8Array.from([0x43, 0x4c, 0x57, 0x33, ...b]));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), withMagic), (bytes) => {
        expectTypedOutcome(() => decodeModel(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('answers mutated files with a graph or a WeightsFormatError, quickly', () => {
    fc.assert(
      fc.property(fc.integer(), fc.array(mutation, { minLength: 1, maxLength: 4 }), (seed, ms) => {
        const bytes = mutate(sample(seed), ms);
        const start = performance.now();
        const graph = expectTypedOutcome(() => decodeModel(bytes));
        expect(performance.now() - start).toBeLessThan(1000);
        if (graph) {
          for (const w of graph.weights)
            expect(w.values.length).toBe(w.shape.reduce((x, y) => x * y, 1));
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('decodes in time linear in the file', () => {
    const make = (n: number) => {
      const graph = base.clone();
      const a = graph.node('a');
      // A wider first layer: n inputs.
      graph.nodes[0].config = { batchInputShape: [null, n] };
      a.weights[0].shape = [n, 3];
      a.weights[0].values = Float32Array.from(
        { length: 3 * n },
        (_, i) => ((i * 7) % 11) / 11 - 0.5,
      );
      pruneToDensity(a.weights[0], 0.3);
      shareWeights(a.weights[0], 3, 'linear', 1, 'a');
      a.weights[0].transform = { ...a.weights[0].transform!, params: { bits: 3, huffman: 1 } };
      return encodeModel(graph).bytes;
    };
    expect(growthOf(make, decodeModel, 4000).ratio).toBeLessThan(30);
  });
});
