import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { digitsToTensor } from '../data/batches.ts';
import { loadDigitSplit, type DigitSplit } from '../data/digits.ts';
import { LayerGraph } from '../model/graph.ts';
import { createPredictor } from '../model/program.ts';
import { useNodeBackend } from '../node/backend.ts';
import { publicAssets, shippedGraph } from '../test/fixtures.ts';
import { twoDenseGraph } from '../test/models.ts';
import { shareWeights } from '../techniques/quantize/kmeans.ts';
import { pruneToDensity } from '../techniques/prune/masks.ts';
import { BitReader, BitWriter } from './bits.ts';
import { huffmanTable, readTable, streamBits, writeStream, writeTable } from './huffman.ts';
import { decodeModel, encodeModel } from './model-file.ts';
import { WeightsFormatError } from './weights-blob.ts';

const sameBits = (a: Float32Array, b: Float32Array) =>
  a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

let test: DigitSplit;
beforeAll(async () => {
  await useNodeBackend('wasm');
  test = await loadDigitSplit(publicAssets, 'test');
});

describe('Huffman codes', () => {
  it('codes a small alphabet as computed by hand', () => {
    // Counts 4, 2, 1, 1: lengths 1, 2, 3, 3; canonical codes 0, 10, 110, 111.
    const data = [0, 0, 0, 0, 1, 1, 2, 3];
    const table = huffmanTable(data);
    expect(table).toEqual({ symbols: [0, 1, 2, 3], lengths: [1, 2, 3, 3] });
    expect(streamBits(table, data)).toBe(4 * 1 + 2 * 2 + 2 * 3);
    const out = new BitWriter();
    writeStream(out, table, [3, 1, 0]);
    // 111 10 0, written in order into the low bits first: bits 1,1,1,1,0,0 -> 0b001111.
    expect(Array.from(out.finish())).toEqual([0b001111]);
  });

  it('decodes what it encodes, never in more bits than the fixed width', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 400 }),
        (width, raw) => {
          const data = raw.map((v) => v % 2 ** width);
          const table = huffmanTable(data);
          expect(streamBits(table, data)).toBeLessThanOrEqual(width * data.length);
          const out = new BitWriter();
          writeTable(out, table, width);
          const tableBits = out.length;
          writeStream(out, table, data);
          const bytes = out.finish();
          const reader = new BitReader(bytes, 0, out.length);
          const decode = readTable(reader, width, 't');
          expect(reader.position).toBe(tableBits);
          expect(data.map(() => decode(reader))).toEqual(data);
        },
      ),
      { numRuns: 200 },
    );
  });
});

/** twoDenseGraph with b/kernel shared over a two-entry codebook. */
async function codebookGraph(huffman: boolean, indices = [1, 0, 1, 0, 1, 1]) {
  const graph = await twoDenseGraph();
  const w = graph.node('b').weights[0];
  const codebook = Float32Array.from(huffman ? [-1.5, 2, 0.25] : [-1.5, 2]);
  w.coding = {
    kind: 'codebook',
    bits: huffman ? 2 : 1,
    codebook,
    indices: Uint16Array.from(indices),
    huffman,
  };
  w.values = Float32Array.from(indices, (k) => codebook[k]);
  return graph;
}

describe('the compact model file (CLW3)', () => {
  it('lays out a codebook tensor exactly as computed by hand', async () => {
    const graph = await codebookGraph(false);
    const { bytes, tensors, archBytes } = encodeModel(graph);
    expect(Array.from(bytes.subarray(0, 4))).toEqual([0x43, 0x4c, 0x57, 0x33]);
    expect(new DataView(bytes.buffer).getUint32(4, true)).toBe(archBytes - 8);
    // a/kernel 12 floats and a/bias 3 floats are dense (layout 0).
    expect(tensors.map((t) => [t.layout, t.bytes])).toEqual([
      ['dense', 1 + 48],
      ['dense', 1 + 12],
      // layout 2, bits 1, size-1 = 1, codebook 2 x f32, flags 0, 6 one-bit indices in a byte.
      ['codebook', 1 + 1 + 2 + 8 + 1 + 1],
      ['dense', 1 + 8],
    ]);
    const at = archBytes + 49 + 13;
    expect(Array.from(bytes.subarray(at, at + 4))).toEqual([2, 1, 1, 0]);
    expect(new DataView(bytes.buffer).getFloat32(at + 4, true)).toBe(-1.5);
    expect(new DataView(bytes.buffer).getFloat32(at + 8, true)).toBe(2);
    expect(bytes[at + 12]).toBe(0);
    // Indices 1,0,1,0,1,1 least significant bit first.
    expect(bytes[at + 13]).toBe(0b110101);
    const decoded = decodeModel(bytes);
    expect(Array.from(decoded.node('b').weights[0].values)).toEqual([2, -1.5, 2, -1.5, 2, 2]);
    expect(sameBits(decoded.node('a').weights[0].values, graph.node('a').weights[0].values)).toBe(
      true,
    );
  });

  it('stores each of the four codings and reads back the values, codings and same bytes', async () => {
    const graph = await shippedGraph('lenet5');
    const kernel = (name: string) => graph.node(name).weights.find((w) => w.prunable)!;
    // conv1: ternary, threshold 0.05 x max|w| (TTQ's rule), scales 0.3 and 0.2.
    const conv1 = kernel('conv1');
    const max = conv1.values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const [positive, negative] = [Math.fround(0.3), Math.fround(0.2)];
    conv1.values = conv1.values.map((v) =>
      v > 0.05 * max ? positive : v < -0.05 * max ? -negative : 0,
    );
    conv1.coding = { kind: 'ternary', positive, negative };
    // conv2: pruned to 12%, k-means to 8 bits, Huffman-coded indices and relative indices.
    const conv2 = kernel('conv2');
    pruneToDensity(conv2, 0.12);
    shareWeights(conv2, 6, 'linear', 1, 'conv2');
    conv2.transform = { ...conv2.transform!, params: { bits: 6, huffman: 1 } };
    // fc1: pruned to 8%, fixed point 5 bits per output channel (levels from the weights).
    const fc1 = kernel('fc1');
    pruneToDensity(fc1, 0.08);
    fc1.transform = { id: 'fixed-point', params: { bits: 5, symmetric: 1, perChannel: 1 } };
    fc1.indexBits = 5;
    // fc2: binary, +-mean|w| of each output channel.
    const fc2 = kernel('fc2');
    const scales = new Float32Array(10);
    fc2.values.forEach((v, i) => (scales[i % 10] += Math.abs(v) / (fc2.values.length / 10)));
    fc2.values = fc2.values.map((v, i) => (v >= 0 ? scales[i % 10] : -scales[i % 10]));
    fc2.coding = { kind: 'binary', scales };

    const encoded = encodeModel(graph);
    expect(encoded.tensors.filter((t) => t.name.endsWith('kernel')).map((t) => t.layout)).toEqual([
      'ternary',
      'codebook',
      'fixed',
      'binary',
    ]);
    // Ternary: 2 bits a weight + two scales; binary: 1 bit a weight + a scale per channel.
    expect(encoded.tensors[0].bytes).toBe(1 + 8 + Math.ceil((2 * 500) / 8));
    expect(encoded.tensors[6].bytes).toBe(1 + 4 + 40 + Math.ceil(5000 / 8));
    const decoded = decodeModel(encoded.bytes);
    const predictorWeights = async (g: LayerGraph) => {
      const p = createPredictor(g);
      const x = digitsToTensor(test, 0, 300, g.inputShape);
      const y = p.predict(x);
      const out = await y.data();
      tf.dispose([x, y]);
      p.dispose();
      return out;
    };
    // Same predictions bit for bit: the decoded floats are what the transforms compute.
    const [a, b] = [await predictorWeights(graph), await predictorWeights(decoded)];
    expect(sameBits(new Float32Array(a), new Float32Array(b))).toBe(true);
    expect(decoded.node('conv1').weights[0].coding).toEqual(conv1.coding);
    expect(decoded.node('fc2').weights[0].coding?.kind).toBe('binary');
    expect(decoded.node('conv2').weights[0].coding).toMatchObject({
      kind: 'codebook',
      huffman: true,
    });
    expect(decoded.node('conv2').weights[0].mask).toEqual(conv2.mask);
    expect(decoded.node('fc1').weights[0].coding).toMatchObject({ kind: 'fixed', bits: 5 });
    // Encoding the decoded graph gives the same file.
    expect(Array.from(encodeModel(decoded).bytes)).toEqual(Array.from(encoded.bytes));
  });

  it('lays out a pruned binary tensor as kept positions and signs (layout 6, CLW4) by hand', async () => {
    const graph = await twoDenseGraph();
    const plain = encodeModel(graph);
    const w = graph.node('b').weights[0];
    // +-0.5 everywhere, as a binarized kernel keeps them; positions 1 and 4 pruned.
    w.values = Float32Array.from([0.5, 0.5, -0.5, 0.5, -0.5, -0.5]);
    w.mask = Uint8Array.from([1, 0, 1, 1, 0, 1]);
    w.coding = { kind: 'binary', scales: Float32Array.of(0.5) };
    const { bytes, tensors, archBytes } = encodeModel(graph);
    expect(String.fromCharCode(...bytes.subarray(0, 4))).toBe('CLW4');
    expect(String.fromCharCode(...plain.bytes.subarray(0, 4))).toBe('CLW3');
    // Gaps 0, 1, 0, 1: 1-bit relative indices 0 | 1 0 | 0 | 1 0 (6 entries, 6 bits) beat
    // 2-bit ones 0 1 0 1 (8 bits). Layout, u32 channels, f32 scale, flags, k, u32 kept,
    // u32 entries, one byte of positions, one byte of 4 signs.
    expect(tensors[2]).toMatchObject({ layout: 'sparse-binary', bytes: 21, kept: 4, indexBits: 1 });
    const at = archBytes + 49 + 13;
    expect(Array.from(bytes.subarray(at, at + 21))).toEqual([
      6, 1, 0, 0, 0, 0, 0, 0, 0x3f, 1, 1, 4, 0, 0, 0, 6, 0, 0, 0, 0b010010, 0b0101,
    ]);
    const p = tensors[2].parts;
    expect(p.values + p.indices + p.codebooks + p.tables + p.header).toBe(21);
    const decoded = decodeModel(bytes).node('b').weights[0];
    expect(Array.from(decoded.values)).toEqual([0.5, 0, -0.5, 0.5, 0, -0.5]);
    expect(Array.from(decoded.mask!)).toEqual([1, 0, 1, 1, 0, 1]);
    // A CLW3 file cannot hold layout 6: its reader refuses it.
    const old = bytes.slice();
    old[3] = 0x33;
    expect(() => decodeModel(old)).toThrow(/unknown layout 6/);
  });

  it('refuses bad magic, truncation, trailing bytes and Huffman streams that do not decode', async () => {
    const graph = await codebookGraph(true, [0, 0, 0, 1, 1, 2]);
    const graphBytes = encodeModel(graph).bytes;
    const errorOf = (bytes: Uint8Array) => {
      try {
        decodeModel(bytes);
        return 'decoded';
      } catch (err) {
        expect(err).toBeInstanceOf(WeightsFormatError);
        expect((err as Error).message).not.toMatch(/\n/);
        return (err as Error).message;
      }
    };
    expect(errorOf(graphBytes)).toBe('decoded');
    const foreign = graphBytes.slice();
    foreign[3] = 0x32;
    expect(errorOf(foreign)).toMatch(/bad magic/);
    for (let cut = 0; cut < graphBytes.length; cut++)
      expect(errorOf(graphBytes.slice(0, cut))).not.toBe('decoded');
    expect(errorOf(Uint8Array.from([...graphBytes, 0]))).toMatch(/1 bytes follow/);
    // b/kernel's stream: counts 3, 2, 1 give codes 0, 10, 11: 3 + 4 + 2 = 9 bits; b/bias (9
    // bytes) follows the 2 stream bytes, and the u32 bit count precedes them.
    const lengthAt = graphBytes.length - 9 - 2 - 4;
    expect(new DataView(graphBytes.buffer).getUint32(lengthAt, true)).toBe(9);
    const short = graphBytes.slice();
    new DataView(short.buffer).setUint32(lengthAt, 8, true);
    expect(errorOf(short)).toMatch(/Huffman stream does not decode/);
    const long = graphBytes.slice();
    new DataView(long.buffer).setUint32(lengthAt, 10, true);
    expect(errorOf(long)).toMatch(/left over/);
    // A length field claiming more than is there.
    const huge = graphBytes.slice();
    new DataView(huge.buffer).setUint32(4, 2 ** 31, true);
    expect(errorOf(huge)).toMatch(/architecture/);
  });

  it('is never larger for lenet300 than the CLW2 rules (float tensors) plus the architecture', async () => {
    const graph = await shippedGraph('lenet300');
    const encoded = encodeModel(graph);
    const floats = graph.weights.reduce((sum, w) => sum + w.values.length, 0);
    // Dense: 1 layout byte a tensor + 4 bytes a float; the architecture is a few hundred bytes.
    expect(encoded.bytes.length).toBe(encoded.archBytes + 6 + 4 * floats);
    expect(encoded.archBytes).toBeLessThan(700);
  });
});
