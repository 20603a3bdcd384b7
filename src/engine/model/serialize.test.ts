import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../lab.ts';
import { useNodeBackend } from '../node/backend.ts';
import { parseRecipe } from '../recipe/share.ts';
import { pruneGlobalMagnitude } from '../techniques/prune/magnitude.ts';
import { publicAssets } from '../test/fixtures.ts';
import { branchyModel, userCnn } from '../test/models.ts';
import { LayerGraph, type GraphNode } from './graph.ts';
import { createPredictor } from './program.ts';
import { deserializeGraph, GraphFormatError, serializeGraph } from './serialize.ts';
import { isKernelChoicesKey } from '../measure/kernel-memory.ts';

let cnn: LayerGraph;
let branchy: LayerGraph;

beforeAll(async () => {
  await useNodeBackend('wasm');
  for (const [make, set] of [
    [userCnn, (g: LayerGraph) => (cnn = g)],
    [branchyModel, (g: LayerGraph) => (branchy = g)],
  ] as const) {
    const model = make();
    set(await LayerGraph.fromModel(model));
    model.dispose();
  }
});

function predictions(graph: LayerGraph): Float32Array {
  const predictor = createPredictor(graph);
  const x = tf.randomUniform([3, ...graph.inputShape], 0, 1, 'float32', 7);
  const y = predictor.predict(x);
  const values = y.dataSync() as Float32Array;
  tf.dispose([x, y]);
  predictor.dispose();
  return values;
}

/** The graph, altered, as a file, and what decoding it says. */
function decodeAltered(graph: LayerGraph, alter: (nodes: GraphNode[]) => void) {
  const copy = graph.clone();
  alter(copy.nodes);
  return () => deserializeGraph(serializeGraph(copy));
}

describe('the CLG1 graph file', () => {
  it('round-trips transform tensors and every storage coding exactly', () => {
    const graph = branchy.clone();
    pruneGlobalMagnitude(graph, 0.5);
    const kernels = graph.prunableWeights();
    const n = (k: number) => kernels[k].values.length;
    kernels[0].transform = {
      id: 'uniform',
      params: { bits: 3 },
      tensors: { range: { shape: [2], values: Float32Array.from([-0, 1.5]), trainable: true } },
    };
    kernels[0].coding = {
      kind: 'codebook',
      bits: 2,
      huffman: true,
      codebook: Float32Array.from([-0.5, 0, 0.25, 1]),
      indices: Uint16Array.from({ length: n(0) }, (_, i) => i % 4),
    };
    kernels[1].coding = {
      kind: 'fixed',
      bits: 9,
      scales: Float32Array.from([0.1, 0.2]),
      zeroPoints: Int32Array.from([-3, 256]),
      levels: Uint16Array.from({ length: n(1) }, (_, i) => i % 512),
    };
    kernels[2].coding = { kind: 'ternary', positive: 0.7, negative: 0.4 };
    const last = kernels[kernels.length - 1];
    last.coding = { kind: 'binary', scales: Float32Array.from([0.3, -0]) };
    const { graph: back } = deserializeGraph(serializeGraph(graph));
    back.weights.forEach((w, i) => {
      const original = graph.weights[i];
      expect(w.coding).toEqual(original.coding);
      expect(w.transform).toEqual(original.transform);
    });
    expect(Object.is(back.prunableWeights()[0].transform!.tensors!.range.values[0], -0)).toBe(true);
    // The file holds them: cutting the last byte is caught, and so is an index past the codebook.
    const bytes = serializeGraph(graph);
    expect(() => deserializeGraph(bytes.subarray(0, bytes.length - 1))).toThrow(GraphFormatError);
    const pastCodebook = graph.clone();
    const coding = pastCodebook.prunableWeights()[0].coding;
    if (coding?.kind === 'codebook') coding.indices[3] = 4;
    expect(() => deserializeGraph(serializeGraph(pastCodebook))).toThrow(
      /past the end of its codebook/,
    );
  });

  it('round-trips structure, weights, masks and transforms, and predicts the same', () => {
    const graph = branchy.clone();
    pruneGlobalMagnitude(graph, 0.6);
    graph.node('fc1').weights[0].transform = { id: 'uniform', params: { bits: 4 } };
    graph.node('fc1').weights[0].indexBits = 5;
    const { graph: back, extra } = deserializeGraph(serializeGraph(graph, { note: 'kept' }));
    expect(extra).toEqual({ note: 'kept' });
    expect(back.structureKey()).toBe(graph.structureKey());
    back.weights.forEach((w, i) => {
      expect(w.values).toEqual(graph.weights[i].values);
      expect(w.mask).toEqual(graph.weights[i].mask);
      expect(w.indexBits).toBe(graph.weights[i].indexBits);
    });
    expect(predictions(back)).toEqual(predictions(graph));
  });

  // Each of these decoded before and failed only when the graph ran (or ran wrongly).
  it.each([
    [
      'a bias of the wrong length',
      (n: GraphNode[]) => {
        const bias = n.find((x) => x.name === 'c1')!.weights[1];
        bias.shape = [5];
        bias.values = new Float32Array(5);
      },
      /c1\/bias has shape \[5\], its layer needs \[8\]/,
    ],
    [
      'a dense kernel of rank 1',
      (n: GraphNode[]) => {
        const kernel = n.find((x) => x.name === 'out')!.weights[0];
        kernel.shape = [kernel.values.length];
      },
      /has a kernel of shape \[160\]|expects|output shape/,
    ],
    [
      'an input layer that is not first',
      (n: GraphNode[]) => n.splice(1, 0, { ...n[0], name: 'again' }),
      /the input layer must come first, and only once/,
    ],
    [
      'a weight on a layer that holds none',
      (n: GraphNode[]) =>
        n
          .find((x) => x.className === 'Flatten' || x.className === 'Dropout')!
          .weights.push({ ...n.find((x) => x.name === 'c1')!.weights[1] }),
      /cannot hold a bias/,
    ],
    [
      'batch norm without its moving statistics',
      (n: GraphNode[]) => n.find((x) => x.name === 'bn1')!.weights.splice(2, 2),
      /lacks its moving statistics/,
    ],
    [
      'a transform nobody registered',
      (n: GraphNode[]) =>
        (n.find((x) => x.name === 'out')!.weights[0].transform = { id: 'magic', params: {} }),
      /unknown transform "magic"/,
    ],
    [
      'a mask that is not 0 or 1',
      (n: GraphNode[]) => {
        const kernel = n.find((x) => x.name === 'out')!.weights[0];
        kernel.mask = new Uint8Array(kernel.values.length).fill(2);
      },
      /has a mask that is not 0 or 1/,
    ],
    [
      'a layer class that is an Object property',
      (n: GraphNode[]) => n.splice(2, 0, { ...n[2], name: 'odd', className: 'constructor' }),
      /has unknown class constructor/,
    ],
    [
      'a stride of 0',
      (n: GraphNode[]) =>
        (n.find((x) => x.name === 'c1')!.config = {
          ...n.find((x) => x.name === 'c1')!.config,
          strides: [0, 2],
        }),
      /has an unreadable stride/,
    ],
    [
      'a dropout rate of 1',
      (n: GraphNode[]) => {
        const d = n.find((x) => x.className === 'Dropout')!;
        d.config = { ...d.config, rate: 1 };
      },
      /has a dropout rate of 1/,
    ],
  ])('refuses %s with a GraphFormatError', (_, alter, text) => {
    const decode = decodeAltered(cnn, alter);
    expect(decode).toThrow(GraphFormatError);
    expect(decode).toThrow(text);
  });

  it('refuses truncated and padded files', () => {
    const bytes = serializeGraph(cnn);
    expect(() => deserializeGraph(bytes.subarray(0, bytes.length - 1))).toThrow(GraphFormatError);
    expect(() => deserializeGraph(Uint8Array.from([...bytes, 0]))).toThrow(GraphFormatError);
  });
});

describe('prefixes read back from a store', () => {
  it('are trusted only with a complete step record for their own prefix', async () => {
    const saved = new Map<string, Uint8Array>();
    const store = {
      get: async (key: string) => saved.get(key),
      set: async (key: string, bytes: Uint8Array) => void saved.set(key, bytes),
    };
    // A step that trains, so the store keeps it.
    const text = 'model=lenet300&seed=3&steps=finetune(epochs=1,batches=2)';
    const first = new Lab({ read: publicAssets, prefixStore: store });
    const computed = await first.run(parseRecipe(text));
    await first.dispose();
    // One prefix (the store also keeps the measured models' kernel choices, under keys of their own).
    const prefixes = [...saved].filter(([key]) => !isKernelChoicesKey(key));
    expect(prefixes).toHaveLength(1);
    const [key, bytes] = prefixes[0];
    const { graph, extra } = deserializeGraph(bytes);
    const { step, trainedOn, accuracy } = extra as {
      step: Record<string, unknown>;
      trainedOn: string | null;
      accuracy: Record<string, { accuracy: number; correct: number }>;
    };
    const other = 'v=1&model=lenet300&seed=4&steps=finetune(epochs=1,batches=2)';
    for (const damaged of [
      {},
      { step, trainedOn },
      { step: { ...step, sizeBytes: undefined }, trainedOn, accuracy },
      { step, trainedOn, accuracy: { wasm: { accuracy: 7, correct: 1 } } },
      { step: { ...step, recipeText: other }, trainedOn, accuracy },
      { step, trainedOn: 'gpu', accuracy },
    ]) {
      saved.set(key, serializeGraph(graph, damaged));
      const lab = new Lab({ read: publicAssets, prefixStore: store });
      const result = await lab.run(parseRecipe(text));
      await lab.dispose();
      expect(result.steps[0].cached).toBe(false); // recomputed, not trusted
      expect(result.correct).toBe(computed.correct);
    }
    // The intact entry is used.
    saved.set(key, serializeGraph(graph, extra));
    const lab = new Lab({ read: publicAssets, prefixStore: store });
    expect((await lab.run(parseRecipe(text))).steps[0].cached).toBe(true);
    await lab.dispose();
  });
});
