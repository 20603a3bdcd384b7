/**
 * The ONNX decoder given truncated and mutated copies of valid files: only OnnxError comes out
 * (never a RangeError from protobufjs, a stack overflow or a TypeError), in one line naming the
 * file, and whatever is decoded stays inside the caps. Then hand-made bombs: a few bytes that
 * declare huge tensors, many messages, many packed values or deep nesting, each refused by a cap
 * before anything of that size is allocated.
 * FUZZ_RUNS=5000 npx vitest run src/engine/onnx/decode.fuzz.test.ts searches harder.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ONNX_CAPS, decodeOnnx, decodeOnnxTensor, type OnnxCaps } from './decode.ts';
import { OnnxError, type OnnxModel, type OnnxTensor } from './onnx-model.ts';
import { byteMutations, mutateBytes } from '../test/byte-mutations.ts';
import { protobuf } from './schema/schema.ts';

const DIR = join(import.meta.dirname, '..', '..', '..', 'test-fixtures', 'onnx', 'io');
const read = (name: string) => new Uint8Array(readFileSync(join(DIR, name)));
const RUNS = Number(process.env.FUZZ_RUNS ?? 400);

/** Small caps, so a mutation that grows a tensor or a list meets them within a small file. */
const CAPS: OnnxCaps = {
  ...DEFAULT_ONNX_CAPS,
  maxMessages: 400,
  maxRepeatedValues: 2_000,
  maxNodes: 50,
  maxTensorElements: 1_000,
  maxTotalElements: 4_000,
  maxDepth: 8,
};

function elementsOf(t: OnnxTensor): number {
  return t.dims.reduce((a, b) => a * b, 1);
}

function expectWithinCaps(model: OnnxModel): void {
  expect(model.graph.nodes.length).toBeLessThanOrEqual(CAPS.maxNodes);
  let total = 0;
  const tensors = [...model.graph.initializers.values()];
  for (const n of model.graph.nodes) {
    for (const a of n.attributes.values()) if (a.kind === 'tensor') tensors.push(a.value);
  }
  for (const t of tensors) {
    const elements = elementsOf(t);
    expect(elements).toBeLessThanOrEqual(CAPS.maxTensorElements);
    expect((t.floats ?? t.ints ?? []).length).toBe(t.floats || t.ints ? elements : 0);
    total += elements;
  }
  expect(total).toBeLessThanOrEqual(CAPS.maxTotalElements);
}

/** Decodes; an error must be an OnnxError in one line naming the file. */
function typedOutcome<T>(decode: () => T): T | undefined {
  try {
    return decode();
  } catch (err) {
    if (!(err instanceof OnnxError)) throw err;
    expect(err.message).not.toMatch(/\n/);
    expect(err.message).toContain('fuzzed.onnx');
    return undefined;
  }
}

// Protobuf's tag bytes of the fields ONNX files use most, and the edge bytes.
const mutation = byteMutations([0, 1, 0x7f, 0x80, 0xff, 0x08, 0x0a, 0x12, 0x3a, 0x42]);

const MODELS = ['typed.onnx', 'legacy-inputs.onnx', 'external.onnx', 'bad-initializer-size.onnx'];
const TENSORS = ['tensor-f32.pb', 'tensor-i64.pb', 'tensor-f16.pb'];
const externalData = read('external.data');

describe('decodeOnnx on mutated files', () => {
  it('every truncation of every fixture: an OnnxError or a model inside the caps', () => {
    for (const file of MODELS) {
      const bytes = read(file);
      for (let length = 0; length < bytes.length; length++) {
        const model = typedOutcome(() =>
          decodeOnnx(bytes.subarray(0, length), 'fuzzed.onnx', {
            caps: CAPS,
            external: () => externalData,
          }),
        );
        if (model) expectWithinCaps(model);
      }
    }
  });

  it('byte flips, sets, inserts and deletes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...MODELS),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (file, mutations) => {
          const model = typedOutcome(() =>
            decodeOnnx(mutateBytes(read(file), mutations), 'fuzzed.onnx', {
              caps: CAPS,
              external: () => externalData,
            }),
          );
          if (model) expectWithinCaps(model);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('bare tensors, mutated', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TENSORS),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (file, mutations) => {
          const tensor = typedOutcome(() =>
            decodeOnnxTensor(mutateBytes(read(file), mutations), 'fuzzed.onnx', CAPS),
          );
          if (tensor) expect(elementsOf(tensor)).toBeLessThanOrEqual(CAPS.maxTensorElements);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        typedOutcome(() => decodeOnnx(bytes, 'fuzzed.onnx', { caps: CAPS }));
      }),
      { numRuns: RUNS },
    );
  });
});

// ---- Bombs: a few bytes that declare a lot ------------------------------------------------------

/** Field numbers from onnx.proto. */
const Model = { irVersion: 1, graph: 7, opsetImport: 8 };
const Graph = { node: 1, initializer: 5 };
const Tensor = { dims: 1, dataType: 2, floatData: 4 };
const Node = { attribute: 5 };
const Attribute = { g: 6, type: 20 };

function message(build: (w: protobuf.Writer) => void): Uint8Array {
  const w = protobuf.Writer.create();
  build(w);
  return w.finish();
}

const opset = message((w) => w.uint32((2 << 3) | 0).int64(13));
function modelAround(graph: Uint8Array): Uint8Array {
  return message((w) => {
    w.uint32((Model.irVersion << 3) | 0).int64(8);
    w.uint32((Model.opsetImport << 3) | 2).bytes(opset);
    w.uint32((Model.graph << 3) | 2).bytes(graph);
  });
}

function expectRefused(bytes: Uint8Array, pattern: RegExp): void {
  const started = performance.now();
  let error: unknown;
  try {
    decodeOnnx(bytes, 'bomb.onnx');
  } catch (err) {
    error = err;
  }
  // A guard against hangs, not a benchmark: refusing takes well under a second outside a test runner.
  expect(performance.now() - started).toBeLessThan(10_000);
  expect(error).toBeInstanceOf(OnnxError);
  expect((error as Error).message).toMatch(pattern);
}

describe('caps refuse bombs before allocating', () => {
  it('a tensor declaring 2^40 elements in 20 bytes, and dims whose product overflows', () => {
    for (const dims of [
      [2 ** 40],
      [2 ** 31, 2 ** 31, 2 ** 31, 2 ** 31],
      [2 ** 13, 2 ** 13, 2 ** 13],
    ]) {
      const tensor = message((w) => {
        for (const d of dims) w.uint32((Tensor.dims << 3) | 0).int64(d);
        w.uint32((Tensor.dataType << 3) | 0).int32(1);
      });
      const graph = message((w) => w.uint32((Graph.initializer << 3) | 2).bytes(tensor));
      expectRefused(modelAround(graph), /initializer "".*over the cap of 67108864 elements/);
    }
  });

  it('a negative dimension', () => {
    const tensor = message((w) => {
      w.uint32((Tensor.dims << 3) | 0).int64(-4);
      w.uint32((Tensor.dataType << 3) | 0).int32(1);
    });
    const graph = message((w) => w.uint32((Graph.initializer << 3) | 2).bytes(tensor));
    expectRefused(modelAround(graph), /negative dimension -4/);
  });

  it('two million empty nodes (4 MB that protobufjs would make 2M objects of)', () => {
    const graph = new Uint8Array(2 * 2 ** 21);
    for (let i = 0; i < graph.length; i += 2) graph[i] = (Graph.node << 3) | 2; // length 0 follows
    expectRefused(modelAround(graph), /more than 1048576 protobuf messages/);
  });

  it('forty million packed floats declared in a tensor', () => {
    const floats = new Uint8Array(4 * 40_000_000);
    const tensor = message((w) => w.uint32((Tensor.floatData << 3) | 2).bytes(floats));
    const graph = message((w) => w.uint32((Graph.initializer << 3) | 2).bytes(tensor));
    expectRefused(modelAround(graph), /more than 33554432 repeated values/);
  });

  it('graphs nested in attributes far deeper than any model', () => {
    let graph: Uint8Array = new Uint8Array(0);
    for (let depth = 0; depth < 2_000; depth++) {
      const inner = graph;
      const attribute = message((w) => {
        w.uint32((Attribute.type << 3) | 0).int32(5);
        w.uint32((Attribute.g << 3) | 2).bytes(inner);
      });
      const node = message((w) => w.uint32((Node.attribute << 3) | 2).bytes(attribute));
      graph = message((w) => w.uint32((Graph.node << 3) | 2).bytes(node));
    }
    expectRefused(modelAround(graph), /nests messages deeper than 32 levels/);
  });
});
