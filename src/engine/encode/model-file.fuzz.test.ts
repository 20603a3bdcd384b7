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
import {
  MAX_LAYER_MACS,
  MAX_LAYER_OUTPUTS,
  MAX_LAYER_WEIGHTS,
  MAX_TOTAL_MACS,
  MAX_TOTAL_WEIGHTS,
} from '../model/declared-work.ts';
import { ByteReader, ByteWriter } from './byte-io.ts';
import { TENSOR_LAYOUTS } from './layouts/index.ts';
import {
  FILE_VERSIONS,
  type FileVersion,
  type StoredWeight,
  type TensorLayout,
} from './layouts/layout.ts';
import { decodedValues, decodeModel, encodeModel } from './model-file.ts';
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

/** A small graph whose kernels take every layout: codebook (sparse, Huffman), fixed, ternary, binary (dense and sparse). */
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
      // Pruned too every other time: layout 6 (sparse binary).
      if (seed & 4) a.mask = Uint8Array.from(a.values, (_, i) => ((i * 7 + seed) % 3 ? 1 : 0));
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
    expect(decodeModel(sample(7)).node('a').weights[0].mask).toBeDefined();
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

/**
 * A compact file written by hand: the architecture as given, then each tensor as layout 1
 * (sparse floats) with no entries: a few bytes that declare a whole tensor of zeros.
 */
function emptySparseFile(arch: { output: string; nodes: { weights: unknown[] }[] }): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(arch));
  const tensors = arch.nodes.reduce((sum, n) => sum + n.weights.length, 0);
  const out = new Uint8Array(8 + json.length + 6 * tensors);
  out.set([0x43, 0x4c, 0x57, 0x33]);
  new DataView(out.buffer).setUint32(4, json.length, true);
  out.set(json, 8);
  for (let t = 0; t < tensors; t++) out.set([1, 1, 0, 0, 0, 0], 8 + json.length + 6 * t);
  return out;
}

const input = (shape: number[]) => ({
  name: 'in',
  className: 'InputLayer',
  config: { batchInputShape: [null, ...shape] },
  inbound: [],
  weights: [],
});
const dense = (name: string, inputs: number, units: number) => ({
  name,
  className: 'Dense',
  config: { units, activation: 'linear', useBias: false },
  weights: [['kernel', [inputs, units]]],
});
const conv = (name: string, channels: number, filters: number, kernel: number) => ({
  name,
  className: 'Conv2D',
  config: {
    filters,
    kernelSize: [kernel, kernel],
    strides: [1, 1],
    padding: 'same',
    activation: 'linear',
    useBias: false,
  },
  weights: [['kernel', [kernel, kernel, channels, filters]]],
});

function refusal(bytes: Uint8Array): { message: string; ms: number } {
  const start = performance.now();
  try {
    decodeModel(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(WeightsFormatError);
    return { message: (err as Error).message, ms: performance.now() - start };
  }
  throw new Error('decoded');
}

describe('the compact model file caps the work a file declares, before allocating', () => {
  it("refuses the review's 488-byte [784, 80000] sparse layer with no entries at once", () => {
    const file = emptySparseFile({ output: 'fc', nodes: [input([784]), dense('fc', 784, 80000)] });
    expect(file.length).toBeLessThan(500);
    const { message, ms } = refusal(file);
    expect(message).toBe(
      `compact model file: layer "fc" declares 62,720,000 weights; the lab takes at most ${MAX_LAYER_WEIGHTS.toLocaleString('en-US')} a layer`,
    );
    expect(ms).toBeLessThan(100);
  });

  it('refuses a conv whose multiply-adds or outputs are past the caps, with a clear message', () => {
    // 3x3x64x64 is 36,864 weights, but on 256x256 outputs 2.4 billion multiply-adds a digit.
    const big = emptySparseFile({
      output: 'c',
      nodes: [input([256, 256, 64]), conv('c', 64, 64, 3)],
    });
    expect(big.length).toBeLessThan(600);
    // The input layer's 4,194,304 outputs come first.
    expect(refusal(big).message).toMatch(/layer "in" outputs 4,194,304 values a digit/);
    const wide = emptySparseFile({
      output: 'c',
      nodes: [input([100, 100, 64]), conv('c', 64, 64, 5)],
    });
    // 100*100*64 outputs x 5*5*64 = 1,024,000,000 multiply-adds.
    expect(refusal(wide).message).toBe(
      `compact model file: layer "c" needs 1,024,000,000 multiply-adds a digit; the lab takes at most ${MAX_LAYER_MACS.toLocaleString('en-US')} a layer`,
    );
    expect(MAX_LAYER_OUTPUTS).toBeLessThan(4_194_304);
  });

  it('refuses a network whose layers fit one by one but not together', () => {
    const layers = 3;
    const units = 2048; // 2048 x 2048 = 4,194,304 weights a layer: at the cap, not past it
    const nodes = [
      input([units]),
      ...Array.from({ length: layers }, (_, i) => dense(`d${i}`, units, units)),
    ];
    nodes.forEach((n, i) => i > 1 && Object.assign(n, { inbound: [nodes[i - 1].name] }));
    const { message } = refusal(emptySparseFile({ output: `d${layers - 1}`, nodes }));
    expect(message).toBe(
      `compact model file: the network declares ${(layers * units * units).toLocaleString('en-US')} weights; the lab takes at most ${MAX_TOTAL_WEIGHTS.toLocaleString('en-US')}`,
    );
    expect(layers * units * units).toBeLessThan(MAX_TOTAL_MACS * 2);
  });

  it('still reads a file at the caps (one 2048 x 2048 layer of zeros)', () => {
    const graph = decodeModel(
      emptySparseFile({ output: 'd', nodes: [input([2048]), dense('d', 2048, 2048)] }),
    );
    expect(graph.weights[0].values.length).toBe(MAX_LAYER_WEIGHTS);
  });
});

/** A random tensor that `layout` stores, as the writer hands it over (see stored-form.ts). */
function randomStoredWeight(layout: TensorLayout, seed: number): StoredWeight {
  let s = seed >>> 0 || 1;
  const rand = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const int = (below: number) => Math.floor(rand() * below);
  const shape = [1 + int(40), 1 + int(6)];
  const n = shape[0] * shape[1];
  const channels = shape[1];
  const channelOf = (i: number) => i % channels;
  // Pruned positions: none, some, or (for sparse binary) at least one.
  const density = [1, 0.5, 0.1, 0.02][int(4)];
  let mask: Uint8Array | undefined =
    density < 1 ? Uint8Array.from({ length: n }, () => (rand() < density ? 1 : 0)) : undefined;
  const indexBits = rand() < 0.3 ? 1 + int(16) : undefined;
  const masked = (values: Float32Array) =>
    mask ? values.map((v, i) => (mask![i] ? v : 0)) : values;
  const name = `t${seed}`;
  switch (layout.name) {
    case 'dense':
      return { name, shape, values: Float32Array.from({ length: n }, () => rand() - 0.5) };
    case 'sparse': {
      // Mostly zeros, a -0 now and then (stored: it is not +0).
      const values = Float32Array.from({ length: n }, () => {
        const r = rand();
        return r < 0.75 ? 0 : r < 0.78 ? -0 : rand() - 0.5;
      });
      if (values.every((v) => v === 0 && !Object.is(v, -0))) values[int(n)] = 0.5;
      return { name, shape: [n, 1], values: n < 4 ? new Float32Array(0) : values, indexBits };
    }
    case 'codebook': {
      const bits = 1 + int(8);
      const codebook = Float32Array.from({ length: 1 + int(2 ** bits) }, () => rand() - 0.5);
      if (rand() < 0.5) codebook[int(codebook.length)] = 0;
      const indices = Uint16Array.from({ length: n }, () => int(codebook.length));
      const coding = { kind: 'codebook', bits, codebook, indices, huffman: rand() < 0.5 } as const;
      return { name, shape, values: masked(decodedValues(coding, shape)), coding, mask, indexBits };
    }
    case 'fixed': {
      const bits = 1 + int(8);
      const count = rand() < 0.5 ? 1 : channels;
      const scales = Float32Array.from({ length: count }, () => rand() / 10);
      const zeroPoints = Int32Array.from({ length: count }, () => int(2 ** bits));
      const levels = Uint16Array.from({ length: n }, () => int(2 ** bits));
      const coding = { kind: 'fixed', bits, scales, zeroPoints, levels } as const;
      return { name, shape, values: decodedValues(coding, shape, mask), coding, mask, indexBits };
    }
    case 'ternary': {
      const [positive, negative] = [Math.fround(rand()), Math.fround(rand())];
      const values = Float32Array.from({ length: n }, () => [0, positive, -negative][int(3)]);
      return {
        name,
        shape,
        values: masked(values),
        coding: { kind: 'ternary', positive, negative },
      };
    }
    case 'binary':
    case 'sparse-binary': {
      if (layout.name === 'binary') mask = undefined;
      else if (!mask || mask.every((m) => m)) (mask ??= new Uint8Array(n).fill(1))[int(n)] = 0;
      const scales = Float32Array.from({ length: rand() < 0.5 ? 1 : channels }, () => rand());
      const values = Float32Array.from({ length: n }, (_, i) => {
        const scale = scales[scales.length === 1 ? 0 : channelOf(i)];
        return rand() < 0.5 ? scale : -scale;
      });
      return {
        name,
        shape,
        values: masked(values),
        coding: { kind: 'binary', scales },
        mask,
        indexBits,
      };
    }
  }
}

/** Encodes one tensor with `layout` in `version`; returns the body and the writer's report. */
function encodeBody(layout: TensorLayout, w: StoredWeight, version: FileVersion) {
  const out = new ByteWriter();
  const report = layout.encode(out, w, version);
  return { body: out.finish(), report };
}

function decodeBody(layout: TensorLayout, w: StoredWeight, body: Uint8Array, version: FileVersion) {
  const input = new ByteReader(body);
  const n = w.values.length;
  const decoded = layout.decode(
    input,
    { shape: w.shape, n, channels: w.shape[w.shape.length - 1], what: `tensor ${w.name}` },
    version,
  );
  // As the file's reader does: a tensor that ends early leaves bytes it cannot account for.
  if (input.pos !== body.length)
    throw new WeightsFormatError(`${body.length - input.pos} bytes follow the tensor`);
  return decoded;
}

const sameFloats = (a: Float32Array, b: Float32Array) =>
  a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

const versionsOf = (layout: TensorLayout) => FILE_VERSIONS.filter((v) => v >= layout.since);

describe('every layout of the table', () => {
  it('holds the seven layouts, each at its layout byte', () => {
    expect(TENSOR_LAYOUTS.map((l) => [l.id, l.name])).toEqual([
      [0, 'dense'],
      [1, 'sparse'],
      [2, 'codebook'],
      [3, 'fixed'],
      [4, 'ternary'],
      [5, 'binary'],
      [6, 'sparse-binary'],
    ]);
  });

  it.each(TENSOR_LAYOUTS.map((l) => [l.name, l] as const))(
    '%s round-trips random tensors in every version that has it, in the bytes it says',
    (_name, layout) => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1 }),
          fc.constantFrom(...versionsOf(layout)),
          (seed, version) => {
            const w = randomStoredWeight(layout, seed);
            if (!layout.fits(w)) return; // a sparse tensor too small to beat dense
            const { body, report } = encodeBody(layout, w, version);
            expect(layout.sizeBytes(w, version)).toBe(body.length);
            const p = report.parts;
            expect(p.values + p.indices + p.codebooks + p.tables + p.header).toBe(body.length);
            const decoded = decodeBody(layout, w, body, version);
            expect(sameFloats(decoded.values, w.values)).toBe(true);
            if (w.coding) expect(decoded.coding?.kind).toBe(w.coding.kind);
            // What the file says again gives the same bytes.
            const again: StoredWeight = { ...w, ...decoded, name: w.name, shape: w.shape };
            expect(Array.from(encodeBody(layout, again, version).body)).toEqual(Array.from(body));
          },
        ),
        { numRuns: 150 },
      );
    },
  );

  it.each(TENSOR_LAYOUTS.map((l) => [l.name, l] as const))(
    '%s refuses every truncation and answers corruption with a tensor or a WeightsFormatError',
    (_name, layout) => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1 }),
          fc.constantFrom(...versionsOf(layout)),
          fc.array(mutation, { minLength: 1, maxLength: 3 }),
          (seed, version, ms) => {
            const w = randomStoredWeight(layout, seed);
            if (!layout.fits(w)) return;
            const { body } = encodeBody(layout, w, version);
            for (let cut = 0; cut < body.length; cut++) {
              expect(() => decodeBody(layout, w, body.slice(0, cut), version)).toThrow(
                WeightsFormatError,
              );
            }
            expect(() => decodeBody(layout, w, body.slice(0, body.length - 1), version)).toThrow(
              `tensor ${w.name}`,
            );
            const corrupted = mutate(body, ms);
            const decoded = expectTypedOutcome(() => decodeBody(layout, w, corrupted, version));
            if (decoded) expect(decoded.values.length).toBe(w.values.length);
          },
        ),
        { numRuns: 100 },
      );
    },
  );

  it('version 5 files answer mutation with a graph or a WeightsFormatError, quickly', () => {
    fc.assert(
      fc.property(fc.integer(), fc.array(mutation, { minLength: 1, maxLength: 4 }), (seed, ms) => {
        const v5 = encodeModel(decodeModel(sample(seed)), { version: 5 }).bytes;
        expect(v5[3]).toBe(0x35);
        const bytes = mutate(v5, ms);
        const start = performance.now();
        expectTypedOutcome(() => decodeModel(bytes));
        expect(performance.now() - start).toBeLessThan(1000);
      }),
      { numRuns: 500 },
    );
  });
});
