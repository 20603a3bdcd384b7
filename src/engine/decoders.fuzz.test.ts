/**
 * Every decoder of outside input, given arbitrary and mutated inputs: the share-link codec, the
 * recipe parser, the CLW2 weights blob, the model.json + weights loader and the CLG1 graph file.
 * Whatever comes in, only the project's typed errors come out (never a TypeError, RangeError or
 * a tfjs assertion), nothing is left on the tfjs engine, and parsing time grows linearly.
 * FUZZ_RUNS=5000 npx vitest run src/engine/decoders.fuzz.test.ts searches the model and graph
 * files harder (each found bug here was first seen within a few thousand runs).
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AssetReader } from './assets.ts';
import { AssetError } from './assets.ts';
import { decodeWeights, encodeWeights, WeightsFormatError } from './encode/weights-blob.ts';
import { ModelLoadError } from './model/errors.ts';
import { LayerGraph } from './model/graph.ts';
import {
  checkDigitModel,
  disposeModel,
  modelFromArtifacts,
  readModelArtifacts,
} from './model/load.ts';
import { createPredictor } from './model/program.ts';
import { deserializeGraph, GraphFormatError, serializeGraph } from './model/serialize.ts';
import { useNodeBackend } from './node/backend.ts';
import { RecipeError } from './recipe/errors.ts';
import { normalizeRecipe, parseSteps, type RecipeStep } from './recipe/recipe.ts';
import { formatShareState, parseShareState, tryParseShareState } from './recipe/share.ts';
import { pruneGlobalMagnitude } from './techniques/prune/magnitude.ts';
import { byteMutations, mutateBytes } from './test/byte-mutations.ts';
import { branchyModel, userCnn } from './test/models.ts';
import { growthOf } from './test/timing.ts';

const TYPED = [RecipeError, WeightsFormatError, ModelLoadError, AssetError, GraphFormatError];

/** Runs `decode`; a thrown error must be one of the project's typed errors, in one line. */
function expectTypedOutcome<T>(decode: () => T): T | undefined {
  try {
    return decode();
  } catch (err) {
    if (!TYPED.some((type) => err instanceof type)) throw err; // fails the property, with the error
    expect((err as Error).message).not.toMatch(/\n/);
    return undefined;
  }
}

async function expectTypedOutcomeAsync<T>(decode: () => Promise<T>): Promise<T | undefined> {
  try {
    return await decode();
  } catch (err) {
    if (!TYPED.some((type) => err instanceof type)) throw err;
    expect((err as Error).message).not.toMatch(/\n/);
    return undefined;
  }
}

// ---- Mutations ---------------------------------------------------------------------------------

// JSON's delimiters and digits, and the edge bytes.
const byteMutation = byteMutations([0, 1, 0x7f, 0x80, 0xff, 0x22, 0x5b, 0x7b, 0x2d, 0x39]);

/** Replacements for a JSON value: the edge cases of numbers, strings and structure. */
const jsonReplacement = fc.constantFrom<unknown>(
  0,
  -1,
  1,
  2,
  0.5,
  -0.5,
  1e9,
  2 ** 31,
  1e308,
  -1e308,
  null,
  true,
  '',
  'x',
  'same',
  'valid',
  'relu',
  'channelsFirst',
  'Dense',
  'Conv2D',
  'InputLayer',
  'Add',
  '__proto__',
  'constructor',
  [],
  [1],
  [null, 28, 28, 1],
  [0, 0],
  {},
  { class_name: 'Zeros', config: {} },
);

type JsonMutation = { pick: number; action: 'replace' | 'delete' | 'duplicate'; value: unknown };
const jsonMutation: fc.Arbitrary<JsonMutation> = fc.record({
  pick: fc.nat(),
  action: fc.constantFrom('replace', 'delete', 'duplicate'),
  value: jsonReplacement,
}) as fc.Arbitrary<JsonMutation>;

/** Applies structural mutations to a copy of a JSON value, at nodes chosen by `pick`. */
function mutateJson(value: unknown, mutations: readonly JsonMutation[]): unknown {
  const root = { root: structuredClone(value) } as Record<string, unknown>;
  for (const m of mutations) {
    const slots: [Record<string, unknown> | unknown[], string | number][] = [];
    const stack: unknown[] = [root];
    while (stack.length) {
      const item = stack.pop();
      if (typeof item !== 'object' || item === null) continue;
      for (const [key, child] of Object.entries(item)) {
        slots.push([item as Record<string, unknown>, Array.isArray(item) ? Number(key) : key]);
        stack.push(child);
      }
    }
    const [parent, key] = slots[m.pick % slots.length];
    if (m.action === 'replace') {
      (parent as Record<string, unknown>)[key] = structuredClone(m.value);
    } else if (Array.isArray(parent)) {
      const index = key as number;
      if (m.action === 'delete') parent.splice(index, 1);
      else parent.splice(index, 0, structuredClone(parent[index]));
    } else if (m.action === 'delete' && key !== 'root') {
      delete (parent as Record<string, unknown>)[key];
    }
  }
  return root.root;
}

const utf8 = (text: string) => new TextEncoder().encode(text);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

beforeAll(async () => {
  await useNodeBackend('wasm');
});

// ---- Links and recipes -------------------------------------------------------------------------

const LINK_ALPHABET = [...'0123456789.eE+-abz()=,;|:&%#?/*_ '];
const linkText = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 100 }),
  fc.array(fc.constantFrom(...LINK_ALPHABET), { maxLength: 300 }).map((cs) => cs.join('')),
);
const validLink = fc
  .record({
    model: fc.constantFrom('lenet5', 'lenet300'),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    fraction: fc.integer({ min: 1, max: 99 }),
    density: fc.integer({ min: 1, max: 1000 }),
    hide: fc.subarray(['model', 'seed', 'prune', 'history']),
  })
  .map(({ model, seed, fraction, density, hide }) =>
    formatShareState({
      recipe: {
        model,
        seed,
        steps: (
          [
            { technique: 'prune', params: { fraction: fraction / 100 } },
            { technique: 'prune-density', params: { density: { '*': density / 1000, fc1: 0.5 } } },
            { technique: 'finetune', params: { epochs: 1, batches: 3 } },
          ] as RecipeStep[]
        ).map((s) => normalizeRecipe({ model, seed, steps: [s] }).steps[0]),
      },
      ui: { backend: 'wasm', hide },
    }),
  );

describe('the share-link codec and the recipe parser', () => {
  it('answer arbitrary text with a state or a RecipeError', () => {
    fc.assert(
      fc.property(linkText, (input) => {
        expectTypedOutcome(() => parseShareState(input));
        expectTypedOutcome(() => parseSteps(input));
        expect(tryParseShareState(input).state).toBeDefined();
      }),
      { numRuns: 1500 },
    );
  });

  it('answer mutated valid links with a state or a RecipeError', () => {
    fc.assert(
      fc.property(validLink, fc.array(byteMutation, { minLength: 1, maxLength: 6 }), (link, ms) => {
        const mutated = text(mutateBytes(utf8(link), ms));
        const state = expectTypedOutcome(() => parseShareState(mutated));
        // What parses is canonical after one more round trip.
        if (state) expect(parseShareState(formatShareState(state))).toEqual(state);
      }),
      { numRuns: 1500 },
    );
  });

  it('validate recipes built in code from arbitrary values with RecipeError only', () => {
    const step = fc.record({
      technique: fc.oneof(
        fc.constantFrom('prune', 'prune-density', 'finetune', 'ssl'),
        fc.string(),
      ),
      params: fc.dictionary(
        fc.oneof(fc.constantFrom('fraction', 'density', 'epochs', 'lr', 'optimizer'), fc.string()),
        fc.anything(),
        { maxKeys: 4 },
      ),
    });
    fc.assert(
      fc.property(
        fc.record({
          model: fc.oneof(fc.constantFrom('lenet5', 'lenet300'), fc.string()),
          seed: fc.oneof(fc.integer(), fc.double()),
          steps: fc.array(step, { maxLength: 3 }),
        }),
        (recipe) => {
          expectTypedOutcome(() => normalizeRecipe(recipe as never));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('take time linear in the length of repeated pieces of the grammar', () => {
    const piece = fc
      .array(fc.constantFrom(...LINK_ALPHABET, 'prune(', 'fraction=', 'density=', 'steps='), {
        minLength: 1,
        maxLength: 4,
      })
      .map((p) => p.join(''));
    fc.assert(
      fc.property(piece, fc.constantFrom('', 'steps=', 'steps=prune(fraction='), (p, prefix) => {
        const make = (n: number) => prefix + p.repeat(Math.ceil(n / p.length));
        expect(growthOf(make, (t) => parseShareState(t), 900).ratio).toBeLessThan(30);
        expect(growthOf(make, (t) => parseSteps(t), 700).ratio).toBeLessThan(30);
      }),
      { numRuns: 25 },
    );
  });
});

// ---- Weights blob ------------------------------------------------------------------------------

function sampleBlob(seed: number, n: number): Uint8Array {
  let s = seed >>> 0;
  const rand = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const dense = Float32Array.from({ length: 12 }, () => rand() - 0.5);
  const sparse = Float32Array.from({ length: n }, () => (rand() < 0.1 ? rand() - 0.5 : 0));
  return encodeWeights([
    { name: 'layer/kernel', shape: [3, 4], values: dense },
    { name: 'layer/sparse', shape: [n], values: sparse, indexBits: 1 + (seed & 7) },
  ]).blob;
}

describe('the CLW2 weights blob', () => {
  it('answers arbitrary bytes with tensors or a WeightsFormatError', () => {
    const withMagic = fc
      .uint8Array({ maxLength: 200 })
      .map((b) => Uint8Array.from([0x43, 0x4c, 0x57, 0x32, ...b]));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), withMagic), (bytes) => {
        expectTypedOutcome(() => decodeWeights(bytes));
      }),
      { numRuns: 3000 },
    );
  });

  it('answers mutated valid blobs with tensors or a WeightsFormatError, quickly', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.array(byteMutation, { minLength: 1, maxLength: 4 }),
        (seed, ms) => {
          const bytes = mutateBytes(sampleBlob(seed, 300), ms);
          const start = performance.now();
          const decoded = expectTypedOutcome(() => decodeWeights(bytes));
          expect(performance.now() - start).toBeLessThan(1000); // at most 2^26 values in all
          if (decoded) {
            for (const t of decoded) {
              expect(t.values.length).toBe(t.shape.reduce((a, b) => a * b, 1));
            }
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('decodes in time linear in the blob', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const { ratio } = growthOf((n) => sampleBlob(seed, n), decodeWeights, 5000);
        expect(ratio).toBeLessThan(30);
      }),
      { numRuns: 5 },
    );
  });
});

// ---- model.json + weights ----------------------------------------------------------------------

interface ModelFiles {
  readonly json: unknown;
  readonly weights: Uint8Array;
}

async function filesOf(model: tf.LayersModel): Promise<ModelFiles> {
  let files: ModelFiles | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      files = {
        json: {
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
        },
        weights: new Uint8Array(artifacts.weightData as ArrayBuffer),
      };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  model.dispose();
  return files!;
}

function reader(files: Record<string, Uint8Array>): AssetReader {
  return async (path) => {
    const file = Object.hasOwn(files, path) ? files[path] : undefined;
    if (!file) throw new AssetError(`file not found: ${path}`);
    return file.slice().buffer as ArrayBuffer;
  };
}

/** What Lab.loadBase does with a model file, up to the lab's own graph. */
async function loadAsTheLabDoes(read: AssetReader): Promise<LayerGraph> {
  const artifacts = await readModelArtifacts(read, 'model.json');
  const model = await modelFromArtifacts(artifacts, 'model.json');
  try {
    checkDigitModel(model, 'model.json');
    return await LayerGraph.fromModel(model);
  } finally {
    disposeModel(model);
  }
}

describe('the model.json + weights loader', () => {
  let samples: ModelFiles[];
  beforeAll(async () => {
    samples = [await filesOf(userCnn()), await filesOf(branchyModel())];
  });

  it('answers mutated model files with a graph or a ModelLoadError, leaving no tensor', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.array(jsonMutation, { maxLength: 3 }),
        fc.array(byteMutation, { maxLength: 2 }),
        fc.array(byteMutation, { maxLength: 1 }),
        async (which, jsonMutations, textMutations, weightMutations) => {
          const sample = samples[which % samples.length];
          const json = JSON.stringify(mutateJson(sample.json, jsonMutations));
          const read = reader({
            'model.json': mutateBytes(utf8(json), textMutations),
            'weights.bin': mutateBytes(sample.weights, weightMutations),
          });
          const tensors = tf.memory().numTensors;
          const graph = await expectTypedOutcomeAsync(() => loadAsTheLabDoes(read));
          expect(tf.memory().numTensors).toBe(tensors);
          if (graph) {
            const predictor = createPredictor(graph);
            try {
              const shape = tf.tidy(
                () => predictor.predict(tf.zeros([2, ...graph.inputShape])).shape,
              );
              expect(shape[0]).toBe(2);
            } finally {
              predictor.dispose();
            }
          }
        },
      ),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 150) },
    );
  });

  it('answers arbitrary JSON with a ModelLoadError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (json) => {
        const read = reader({ 'model.json': utf8(JSON.stringify(json) ?? '') });
        await expectTypedOutcomeAsync(() => loadAsTheLabDoes(read));
      }),
      { numRuns: 300 },
    );
  });
});

// ---- CLG1 graph file ---------------------------------------------------------------------------

describe('the CLG1 graph file', () => {
  let files: Uint8Array[];
  beforeAll(async () => {
    const graphs = [];
    for (const make of [userCnn, branchyModel]) {
      const model = make();
      graphs.push(await LayerGraph.fromModel(model));
      model.dispose();
    }
    pruneGlobalMagnitude(graphs[1], 0.5); // with masks
    files = graphs.map((g) => serializeGraph(g, { step: { accuracy: 0.5 }, trainedOn: null }));
  });

  /** The header of a CLG1 file, mutated, written back with its data (lengths kept consistent). */
  function withHeader(bytes: Uint8Array, mutations: readonly JsonMutation[]): Uint8Array {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const length = view.getUint32(4, true);
    const header = JSON.parse(text(bytes.subarray(8, 8 + length))) as unknown;
    const json = utf8(JSON.stringify(mutateJson(header, mutations)));
    const data = bytes.subarray(8 + Math.ceil(length / 4) * 4);
    const out = new Uint8Array(8 + Math.ceil(json.length / 4) * 4 + data.length);
    out.set(bytes.subarray(0, 4));
    new DataView(out.buffer).setUint32(4, json.length, true);
    out.set(json, 8);
    out.set(data, out.length - data.length);
    return out;
  }

  it('answers arbitrary bytes with a GraphFormatError', () => {
    const withMagic = fc
      .uint8Array({ maxLength: 300 })
      .map((b) => Uint8Array.from([0x43, 0x4c, 0x47, 0x31, ...b]));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), withMagic), (bytes) => {
        expectTypedOutcome(() => deserializeGraph(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('answers mutated files with a graph that runs, or a GraphFormatError', () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.array(jsonMutation, { maxLength: 3 }),
        fc.array(byteMutation, { maxLength: 2 }),
        (which, headerMutations, byteMutations) => {
          const file = files[which % files.length];
          const bytes = mutateBytes(withHeader(file, headerMutations), byteMutations);
          const decoded = expectTypedOutcome(() => deserializeGraph(bytes));
          if (decoded) {
            const tensors = tf.memory().numTensors;
            const predictor = createPredictor(decoded.graph);
            const shape = tf.tidy(
              () => predictor.predict(tf.zeros([2, ...decoded.graph.inputShape])).shape,
            );
            expect(shape[0]).toBe(2);
            predictor.dispose();
            expect(tf.memory().numTensors).toBe(tensors);
          }
        },
      ),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 600) },
    );
  });

  it('decodes in time linear in the file', async () => {
    const files = new Map<number, Uint8Array>();
    for (const n of [20, 200]) {
      const model = tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [784], units: 4, name: 'd0' }),
          ...Array.from({ length: n }, (_, i) => tf.layers.dense({ units: 4, name: `d${i + 1}` })),
          tf.layers.dense({ units: 10, name: 'out' }),
        ],
      });
      files.set(n, serializeGraph(await LayerGraph.fromModel(model)));
      model.dispose();
    }
    const { ratio } = growthOf((n) => files.get(n)!, deserializeGraph, 20);
    expect(ratio).toBeLessThan(30);
  });
});
