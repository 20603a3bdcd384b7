/**
 * The decoder against ONNX's own Python library: scripts/fixtures/onnx_io_fixtures.py made the
 * files under test-fixtures/onnx/io/ and wrote what onnx 1.12 reads from each (expected.json);
 * decodeOnnx must read the same. Then the bad files: each refused with an OnnxError naming the
 * file and what is wrong.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ONNX_CAPS, decodeOnnx, decodeOnnxTensor, halfToFloat } from './decode.ts';
import { OnnxError, type OnnxAttribute, type OnnxModel, type OnnxTensor } from './onnx-model.ts';

const DIR = join(import.meta.dirname, '..', '..', '..', 'test-fixtures', 'onnx', 'io');
const read = (name: string) => new Uint8Array(readFileSync(join(DIR, name)));
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as Record<
  string,
  unknown
>;

interface PlainTensor {
  name: string;
  dataType: number;
  dims: number[];
  floats?: number[];
  ints?: number[];
}

/** The decoded tensor as Python's reading writes it (floats as the float32 values stored). */
function plainTensor(t: OnnxTensor): PlainTensor {
  const out: PlainTensor = { name: t.name, dataType: t.dataType, dims: [...t.dims] };
  if (t.floats) out.floats = Array.from(t.floats);
  if (t.ints) out.ints = [...t.ints];
  return out;
}

function plainAttribute(a: OnnxAttribute): unknown {
  return a.kind === 'tensor' ? { kind: a.kind, value: plainTensor(a.value) } : a;
}

function plainModel(model: OnnxModel): unknown {
  const g = model.graph;
  return {
    ...model,
    graph: {
      name: g.name,
      nodes: g.nodes.map((n) => ({
        ...n,
        attributes: Object.fromEntries(
          [...n.attributes].map(([name, a]) => [name, plainAttribute(a)]),
        ),
      })),
      initializers: [...g.initializers.values()].map(plainTensor),
      inputs: g.inputs,
      outputs: g.outputs,
    },
  };
}

/** Python's float64 reading of float16/double tensors, rounded to the float32 the lab keeps. */
function toFloat32(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toFloat32);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, v]) => [
        key,
        key === 'floats' && Array.isArray(v) ? v.map((x: number) => Math.fround(x)) : toFloat32(v),
      ]),
    );
  }
  return value;
}

function expectOnnxError(decode: () => unknown, ...parts: (string | RegExp)[]): void {
  let error: unknown;
  try {
    decode();
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(OnnxError);
  for (const part of parts) expect((error as Error).message).toMatch(part);
}

describe('decodeOnnx reads what ONNX reads', () => {
  it('every data type, as raw_data and in the typed fields; every attribute kind; symbolic dims', () => {
    const model = decodeOnnx(read('typed.onnx'), 'typed.onnx');
    expect(plainModel(model)).toEqual(toFloat32(expected['typed.onnx']));
    // Spot checks written out by hand, beside the comparison with Python.
    const init = model.graph.initializers;
    // float16 0x2e66 is -0.09991455078125, the nearest half to -0.0999.
    expect(Array.from(init.get('f16_raw')!.floats!)).toEqual([
      0.5,
      -2,
      65504,
      2 ** -24,
      0,
      -0.09991455078125,
    ]);
    expect(init.get('i64_raw')!.ints).toEqual([2 ** 40 + 7, -3, 0, -(2 ** 53) + 1]);
    expect(init.get('scalar')).toMatchObject({ dims: [] });
    expect(Array.from(init.get('scalar')!.floats!)).toEqual([42.5]);
    expect(model.opsetVersion).toBe(13);
    expect(model.graph.inputs.map((v) => v.shape)).toEqual([['N', 3, 2]]);
    expect(model.graph.outputs.map((v) => v.shape)).toEqual([['N', 2, null], null]);
  });

  it('initializers also listed as graph inputs (old exporters) are not inputs', () => {
    const model = decodeOnnx(read('legacy-inputs.onnx'), 'legacy-inputs.onnx');
    expect(plainModel(model)).toEqual(toFloat32(expected['legacy-inputs.onnx']));
    expect(model.graph.inputs.map((v) => v.name)).toEqual(['input']);
    expect(model.opsetVersion).toBe(9); // imported as domain 'ai.onnx'
  });

  it('external data, read through the reader it is given', () => {
    const files: Record<string, Uint8Array> = { 'external.data': read('external.data') };
    const model = decodeOnnx(read('external.onnx'), 'external.onnx', {
      external: (location) => files[location],
    });
    expect(plainModel(model)).toEqual(toFloat32(expected['external.onnx']));
  });

  it('bare tensors (test_data_set_N/input_N.pb)', () => {
    for (const name of ['tensor-f32.pb', 'tensor-i64.pb', 'tensor-f16.pb']) {
      expect(plainTensor(decodeOnnxTensor(read(name), name))).toEqual(toFloat32(expected[name]));
    }
  });

  it('float16 bit patterns by hand', () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x7bff)).toBe(65504);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    expect(halfToFloat(0xfc00)).toBe(-Infinity);
    expect(halfToFloat(0x7e00)).toBeNaN();
    expect(Object.is(halfToFloat(0x8000), -0)).toBe(true);
  });
});

describe('decodeOnnx refuses bad files, naming the file and what is wrong', () => {
  it('not a model: protobuf garbage, text, a tensor file, an empty file', () => {
    const text = new TextEncoder().encode('{"format": "layers-model"}');
    expectOnnxError(() => decodeOnnx(text, 'model.json'), 'model.json', /not an ONNX model/);
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    expectOnnxError(() => decodeOnnx(png, 'digit.png'), 'digit.png', /not an ONNX model/);
    expectOnnxError(
      () => decodeOnnx(read('tensor-f32.pb'), 'input_0.pb'),
      'input_0.pb',
      /not an ONNX model|no graph/,
    );
    expectOnnxError(() => decodeOnnx(new Uint8Array(0), 'empty.onnx'), 'empty.onnx', /empty/);
  });

  it('truncated', () => {
    const bytes = read('typed.onnx');
    for (const length of [1, 10, 100, bytes.length - 1]) {
      expectOnnxError(
        () => decodeOnnx(bytes.subarray(0, length), 'typed.onnx'),
        'typed.onnx',
        /truncated|not an ONNX model|no graph/,
      );
    }
    expectOnnxError(
      () => decodeOnnx(bytes.subarray(0, bytes.length - 1), 'typed.onnx'),
      /typed\.onnx is truncated/,
    );
  });

  it('an initializer whose data does not match its dims, named', () => {
    expectOnnxError(
      () => decodeOnnx(read('bad-initializer-size.onnx'), 'bad.onnx'),
      'bad.onnx',
      'initializer "short_W"',
      'dims [3, 4]',
      '40 bytes',
    );
  });

  it('no default-domain opset', () => {
    expectOnnxError(
      () => decodeOnnx(read('bad-no-default-opset.onnx'), 'custom.onnx'),
      'custom.onnx',
      /no version of ONNX's default operator set.*com\.example/,
    );
  });

  it('an int64 beyond the safe-integer range', () => {
    expectOnnxError(
      () => decodeOnnx(read('bad-int64-range.onnx'), 'big.onnx'),
      'big.onnx',
      'initializer "shape"',
      String(2n ** 60n),
    );
  });

  it('external data without a reader, or with its file missing: names the tensor and the file', () => {
    expectOnnxError(
      () => decodeOnnx(read('external.onnx'), 'external.onnx'),
      'external.onnx',
      'initializer "ext_W"',
      '"external.data"',
    );
    expectOnnxError(
      () => decodeOnnx(read('external.onnx'), 'external.onnx', { external: () => undefined }),
      'external.onnx',
      'initializer "ext_W"',
      '"external.data", which is missing',
    );
    const short = read('external.data').subarray(0, 40);
    expectOnnxError(
      () => decodeOnnx(read('external.onnx'), 'external.onnx', { external: () => short }),
      'external.onnx',
      '"external.data", which has 40 bytes',
    );
  });

  it('caps: file size, tensor elements, nodes, messages', () => {
    const bytes = read('typed.onnx');
    const caps = (over: Partial<typeof DEFAULT_ONNX_CAPS>) => ({
      caps: { ...DEFAULT_ONNX_CAPS, ...over },
    });
    expectOnnxError(
      () => decodeOnnx(bytes, 'm.onnx', caps({ maxFileBytes: 1000 })),
      /m\.onnx is 1136 bytes, over the cap of 1000/,
    );
    expectOnnxError(
      () => decodeOnnx(bytes, 'm.onnx', caps({ maxTensorElements: 5 })),
      'm.onnx',
      'initializer "f32_typed"',
      /over the cap of 5 elements/,
    );
    expectOnnxError(
      () => decodeOnnx(bytes, 'm.onnx', caps({ maxNodes: 1 })),
      /m\.onnx has 2 nodes, over the cap of 1/,
    );
    expectOnnxError(
      () => decodeOnnx(bytes, 'm.onnx', caps({ maxMessages: 10 })),
      /more than 10 protobuf messages/,
    );
  });
});
