/**
 * encodeOnnx: decode(encode(m)) gives m back for arbitrary plain models (fast-check), ONNX's own
 * Python-made fixtures survive decode -> encode -> decode, and onnxruntime runs an encoded model
 * to the values computed by hand.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { decodeOnnx, decodeOnnxTensor } from './decode.ts';
import { encodeOnnx, encodeOnnxTensor } from './encode.ts';
import {
  OnnxError,
  type OnnxAttribute,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
  type OnnxValueInfo,
} from './onnx-model.ts';

const DIR = join(import.meta.dirname, '..', '..', '..', 'test-fixtures', 'onnx', 'io');
const read = (name: string) => new Uint8Array(readFileSync(join(DIR, name)));

// ---- Arbitrary plain models ------------------------------------------------------------------

const name = fc.string({ unit: 'grapheme', maxLength: 8 });
const dims = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 });
const count = (d: readonly number[]) => d.reduce((a, b) => a * b, 1);

/** Integer types and the ranges their raw bytes hold. */
const INT_RANGES: [number, number, number][] = [
  [2, 0, 255],
  [3, -128, 127],
  [4, 0, 65_535],
  [5, -32_768, 32_767],
  [6, -(2 ** 31), 2 ** 31 - 1],
  [7, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  [9, 0, 1],
  [12, 0, 2 ** 32 - 1],
  [13, 0, Number.MAX_SAFE_INTEGER],
];

const floatTensor = (tensorName: string) =>
  dims.chain((d) =>
    fc.array(fc.float(), { minLength: count(d), maxLength: count(d) }).map((v): OnnxTensor => ({
      name: tensorName,
      dataType: 1,
      dims: d,
      floats: Float32Array.from(v),
    })),
  );

const intTensor = (tensorName: string) =>
  fc
    .tuple(fc.constantFrom(...INT_RANGES), dims)
    .chain(([[type, min, max], d]) =>
      fc
        .array(fc.integer({ min, max }), { minLength: count(d), maxLength: count(d) })
        .map((v): OnnxTensor => ({ name: tensorName, dataType: type, dims: d, ints: v })),
    );

const tensor = (tensorName: string) => fc.oneof(floatTensor(tensorName), intTensor(tensorName));

const attribute: fc.Arbitrary<OnnxAttribute> = fc.oneof(
  fc.float().map((value) => ({ kind: 'float' as const, value })),
  fc.maxSafeInteger().map((value) => ({ kind: 'int' as const, value })),
  name.map((value) => ({ kind: 'string' as const, value })),
  name.chain(tensor).map((value) => ({ kind: 'tensor' as const, value })),
  fc.array(fc.float(), { maxLength: 4 }).map((value) => ({ kind: 'floats' as const, value })),
  fc
    .array(fc.maxSafeInteger(), { maxLength: 4 })
    .map((value) => ({ kind: 'ints' as const, value })),
  fc.array(name, { maxLength: 3 }).map((value) => ({ kind: 'strings' as const, value })),
);

const node: fc.Arbitrary<OnnxNode> = fc.record({
  name,
  opType: fc.constantFrom('Conv', 'Gemm', 'Relu', 'Custom'),
  domain: fc.constantFrom('', 'com.example'),
  inputs: fc.array(name, { maxLength: 3 }),
  outputs: fc.array(name, { minLength: 1, maxLength: 2 }),
  attributes: fc
    .uniqueArray(fc.tuple(name, attribute), { selector: ([key]) => key, maxLength: 4 })
    .map((entries) => new Map(entries)),
});

const valueInfo = (prefix: string): fc.Arbitrary<OnnxValueInfo> =>
  fc.record({
    name: name.map((n) => prefix + n),
    elemType: fc.constantFrom(0, 1, 7),
    shape: fc.option(
      fc.array(fc.oneof(fc.nat(1000), fc.constantFrom('N', 'batch'), fc.constant(null)), {
        maxLength: 4,
      }),
    ),
  });

const model: fc.Arbitrary<OnnxModel> = fc.record({
  irVersion: fc.integer({ min: 3, max: 10 }),
  opsetVersion: fc.integer({ min: 7, max: 20 }),
  producerName: name,
  producerVersion: name,
  graph: fc.record({
    name,
    nodes: fc.array(node, { maxLength: 4 }),
    initializers: fc
      .uniqueArray(
        name.map((n) => 'init:' + n),
        { maxLength: 4 },
      )
      .chain((names) => fc.tuple(...names.map((n) => tensor(n))))
      .map((tensors) => new Map(tensors.map((t) => [t.name, t]))),
    inputs: fc.array(valueInfo('in:'), { maxLength: 3 }),
    outputs: fc.array(valueInfo('out:'), { maxLength: 3 }),
  }),
});

describe('encodeOnnx', () => {
  it('decode(encode(m)) gives m back', () => {
    fc.assert(
      fc.property(model, (m) => {
        expect(decodeOnnx(encodeOnnx(m), 'round-trip.onnx')).toEqual(m);
      }),
      { numRuns: 300 },
    );
  });

  it('bare tensors too', () => {
    fc.assert(
      fc.property(name.chain(tensor), (t) => {
        expect(decodeOnnxTensor(encodeOnnxTensor(t), 'input_0.pb')).toEqual(t);
      }),
    );
  });

  it('ONNX-made files survive decode -> encode -> decode (float16 and double as float32)', () => {
    for (const file of ['legacy-inputs.onnx', 'external.onnx']) {
      const files: Record<string, Uint8Array> = { 'external.data': read('external.data') };
      const first = decodeOnnx(read(file), file, { external: (location) => files[location] });
      expect(decodeOnnx(encodeOnnx(first), file)).toEqual(first);
    }
    const typed = decodeOnnx(read('typed.onnx'), 'typed.onnx');
    const withoutGraphAttributes: OnnxModel = {
      ...typed,
      graph: {
        ...typed.graph,
        nodes: typed.graph.nodes.map((n) => ({
          ...n,
          attributes: new Map([...n.attributes].filter(([, a]) => a.kind !== 'unsupported')),
        })),
      },
    };
    const again = decodeOnnx(encodeOnnx(withoutGraphAttributes), 'typed.onnx');
    for (const [key, t] of typed.graph.initializers) {
      const back = again.graph.initializers.get(key)!;
      expect(back.dims).toEqual(t.dims);
      expect(back.floats ?? back.ints).toEqual(t.floats ?? t.ints);
      expect(back.dataType).toBe(t.floats ? 1 : t.dataType);
    }
  });

  it('refuses what it cannot write, by name', () => {
    const typed = decodeOnnx(read('typed.onnx'), 'typed.onnx');
    expect(() => encodeOnnx(typed)).toThrow(OnnxError);
    expect(() => encodeOnnx(typed)).toThrow(/node "every_kind" \(AllKinds\)'s attribute "body"/);
    const wrong: OnnxModel = {
      ...typed,
      graph: {
        ...typed.graph,
        nodes: [],
        initializers: new Map([
          ['W', { name: 'W', dataType: 1, dims: [2, 2], floats: new Float32Array(3) }],
        ]),
      },
    };
    expect(() => encodeOnnx(wrong)).toThrow(/initializer "W" has dims \[2, 2\] but 3 values/);
  });
});

describe('onnxruntime runs an encoded model', () => {
  it('Gemm (transB) + Relu + Reshape by an int64 shape: the values computed by hand', async () => {
    const model: OnnxModel = {
      irVersion: 8,
      opsetVersion: 13,
      producerName: 'encode.test',
      producerVersion: '1',
      graph: {
        name: 'gemm_relu',
        nodes: [
          {
            name: 'gemm',
            opType: 'Gemm',
            domain: '',
            inputs: ['x', 'W', 'B'],
            outputs: ['h'],
            attributes: new Map([['transB', { kind: 'int', value: 1 }]]),
          },
          {
            name: 'relu',
            opType: 'Relu',
            domain: '',
            inputs: ['h'],
            outputs: ['r'],
            attributes: new Map(),
          },
          {
            name: 'flat',
            opType: 'Reshape',
            domain: '',
            inputs: ['r', 'shape'],
            outputs: ['y'],
            attributes: new Map(),
          },
        ],
        initializers: new Map<string, OnnxTensor>([
          // W is [out = 2, in = 3]; with transB the layer computes x W^T + B.
          [
            'W',
            {
              name: 'W',
              dataType: 1,
              dims: [2, 3],
              floats: Float32Array.of(1, 0, -1, 0.5, 0.5, 0.5),
            },
          ],
          ['B', { name: 'B', dataType: 1, dims: [2], floats: Float32Array.of(0.5, -1) }],
          ['shape', { name: 'shape', dataType: 7, dims: [1], ints: [4] }],
        ]),
        inputs: [{ name: 'x', elemType: 1, shape: ['N', 3] }],
        outputs: [{ name: 'y', elemType: 1, shape: [4] }],
      },
    };
    const session = await ort.InferenceSession.create(encodeOnnx(model));
    const x = new ort.Tensor('float32', Float32Array.of(1, 2, 3, 4, 0, 1), [2, 3]);
    const { y } = await session.run({ x });
    // Row 1: [1 - 3 + 0.5, 0.5 * 6 - 1] = [-1.5, 2] -> relu [0, 2].
    // Row 2: [4 - 1 + 0.5, 0.5 * 5 - 1] = [3.5, 1.5].
    expect(y.dims).toEqual([4]);
    expect(Array.from(y.data as Float32Array)).toEqual([0, 2, 3.5, 1.5]);
    await session.release();
  });
});
