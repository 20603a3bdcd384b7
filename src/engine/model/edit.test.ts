import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { digitsToTensor } from '../data/batches.ts';
import { loadDigitSplit, type DigitSplit } from '../data/digits.ts';
import { useNodeBackend } from '../node/backend.ts';
import { publicAssets } from '../test/fixtures.ts';
import { branchyModel, userCnn } from '../test/models.ts';
import { modelJsonPath } from './catalog.ts';
import {
  channelTies,
  GraphEditError,
  insertAfter,
  removeChannels,
  removeInputChannels,
  replaceNode,
} from './edit.ts';
import { LayerGraph, makeWeight } from './graph.ts';
import { modelFromArtifacts, readModelArtifacts } from './load.ts';
import { createPredictor } from './program.ts';

let test: DigitSplit;

beforeAll(async () => {
  await useNodeBackend('wasm');
  test = await loadDigitSplit(publicAssets, 'test');
});

async function graphOf(model: tf.LayersModel): Promise<LayerGraph> {
  const graph = await LayerGraph.fromModel(model);
  model.dispose();
  return graph;
}

async function shipped(id: 'lenet5' | 'lenet300'): Promise<LayerGraph> {
  return graphOf(
    await modelFromArtifacts(await readModelArtifacts(publicAssets, modelJsonPath(id)), id),
  );
}

async function predictions(graph: LayerGraph, count = 300): Promise<Float32Array> {
  const x = digitsToTensor(test, 0, count, graph.inputShape);
  const predictor = createPredictor(graph);
  const y = predictor.predict(x);
  const values = (await y.data()) as Float32Array;
  tf.dispose([x, y]);
  predictor.dispose();
  return values;
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/**
 * Zeroes, in a copy, the input weights of `layer` that read channel c of its input, for every c
 * in `channels` (kernel axis -2). A network whose readers ignore some channels computes what the
 * network without those channels computes: the independent reference for removal.
 */
function ignoreInputs(graph: LayerGraph, layer: string, channels: number[]): void {
  const kernel = graph.node(layer).weights.find((w) => w.role === 'kernel')!;
  const inAxis = kernel.shape.length - 2;
  const inner = kernel.shape[inAxis + 1];
  const count = kernel.shape[inAxis];
  for (let i = 0; i < kernel.values.length; i++) {
    if (channels.includes(Math.floor(i / inner) % count)) kernel.values[i] = 0;
  }
}

describe('removing filters and what reads them', () => {
  it('lenet5 without 30 of conv2 filters computes what lenet5 ignoring them computes', async () => {
    const graph = await shipped('lenet5');
    const removed = Array.from({ length: 30 }, (_, i) => i * 1 + (i % 2)).filter((c) => c < 50);
    const unique = [...new Set(removed)];
    const reference = graph.clone();
    // conv2's 4x4x50 output is flattened into fc1: feature (p*50 + c) for 16 positions p.
    const fc1 = reference.node('fc1').weights[0];
    for (const c of unique)
      for (let p = 0; p < 16; p++) fc1.values.fill(0, (p * 50 + c) * 500, (p * 50 + c + 1) * 500);
    const edited = graph.clone();
    removeChannels(edited, [{ producer: 'conv2', channels: unique }]);
    const kept = 50 - unique.length;
    expect(edited.node('conv2').weights[0].shape).toEqual([5, 5, 20, kept]);
    expect(edited.node('conv2').config.filters).toBe(kept);
    expect(edited.node('fc1').weights[0].shape).toEqual([16 * kept, 500]);
    expect(edited.params).toBe(
      graph.params - unique.length * (5 * 5 * 20 + 1) - unique.length * 16 * 500,
    );
    expect(edited.macs).toBeLessThan(graph.macs);
    expect(maxAbsDifference(await predictions(edited), await predictions(reference))).toBeLessThan(
      1e-5,
    );
    // The original is untouched.
    expect(graph.node('conv2').weights[0].shape).toEqual([5, 5, 20, 50]);
  });

  it('lenet300 without hidden units: the next layer loses their rows', async () => {
    const graph = await shipped('lenet300');
    const reference = graph.clone();
    ignoreInputs(reference, 'fc2', [0, 5, 299]);
    const edited = graph.clone();
    removeChannels(edited, [{ producer: 'fc1', channels: [299, 0, 5] }]);
    expect(edited.node('fc1').weights.map((w) => w.shape)).toEqual([[784, 297], [297]]);
    expect(edited.node('fc2').weights[0].shape).toEqual([297, 100]);
    expect(maxAbsDifference(await predictions(edited), await predictions(reference))).toBeLessThan(
      1e-5,
    );
  });

  it('through batch norm and a depthwise conv: per-channel entries and multiplied channels go', async () => {
    await useNodeBackend('cpu');
    const graph = await graphOf(userCnn());
    await useNodeBackend('wasm');
    const reference = graph.clone();
    // c1 filter 3 -> bn1 entry 3 -> dw channel 3, i.e. outputs 6 and 7 (multiplier 2) -> pw.
    ignoreInputs(reference, 'pw', [6, 7]);
    const edited = graph.clone();
    removeChannels(edited, [{ producer: 'c1', channels: [3] }]);
    expect(edited.node('bn1').weights.map((w) => w.shape[0])).toEqual([7, 7, 7, 7]);
    expect(edited.node('dw').weights[0].shape).toEqual([3, 3, 7, 2]);
    expect(edited.node('dw').weights[1].shape).toEqual([14]);
    expect(edited.node('pw').weights[0].shape).toEqual([1, 1, 14, 16]);
    expect(
      maxAbsDifference(await predictions(edited, 100), await predictions(reference, 100)),
    ).toBeLessThan(1e-5);
  });

  it('a Concatenate shifts the second branch by the first branch width', async () => {
    await useNodeBackend('cpu');
    const graph = await graphOf(branchyModel());
    await useNodeBackend('wasm');
    const reference = graph.clone();
    // concat = [branch_1x1 (4) | branch_3x3 (5)], flattened over 14x14 positions into fc1.
    const fc1 = reference.node('fc1').weights[0];
    for (const c of [1, 4 + 2])
      for (let p = 0; p < 196; p++) fc1.values.fill(0, (p * 9 + c) * 12, (p * 9 + c + 1) * 12);
    const edited = graph.clone();
    removeChannels(edited, [
      { producer: 'branch_1x1', channels: [1] },
      { producer: 'branch_3x3', channels: [2] },
    ]);
    expect(edited.outputShapeOf('concat')).toEqual([14, 14, 7]);
    expect(edited.node('fc1').weights[0].shape).toEqual([196 * 7, 12]);
    expect(
      maxAbsDifference(await predictions(edited, 100), await predictions(reference, 100)),
    ).toBeLessThan(1e-5);
  });

  it('an Add ties channels: both sides together, or a clear refusal', async () => {
    await useNodeBackend('cpu');
    const graph = await graphOf(branchyModel());
    await useNodeBackend('wasm');
    expect(
      channelTies(graph)
        .find((g) => g.includes('stem'))
        ?.sort(),
    ).toEqual(['res_b', 'stem']);
    expect(() => removeChannels(graph.clone(), [{ producer: 'res_b', channels: [1] }])).toThrow(
      /meet in "res_add" \(Add\): remove the same channels from every side/,
    );
    const reference = graph.clone();
    for (const layer of ['res_a', 'branch_1x1', 'branch_3x3']) ignoreInputs(reference, layer, [1]);
    const edited = graph.clone();
    removeChannels(edited, [
      { producer: 'stem', channels: [1] },
      { producer: 'res_b', channels: [1] },
    ]);
    expect(edited.node('res_b_bn').weights[0].shape).toEqual([5]);
    expect(
      maxAbsDifference(await predictions(edited, 100), await predictions(reference, 100)),
    ).toBeLessThan(1e-5);
  });

  it('refuses what cannot be done, and leaves the graph as it was', async () => {
    const graph = await shipped('lenet5');
    const key = graph.structureKey();
    expect(() => removeChannels(graph, [{ producer: 'fc2', channels: [3] }])).toThrow(
      /output classes/,
    );
    expect(() =>
      removeChannels(graph, [
        { producer: 'conv1', channels: Array.from({ length: 20 }, (_, i) => i) },
      ]),
    ).toThrow(/every channel of "conv1"/);
    expect(() => removeChannels(graph, [{ producer: 'pool1', channels: [0] }])).toThrow(
      GraphEditError,
    );
    expect(() => removeChannels(graph, [{ producer: 'conv1', channels: [20] }])).toThrow(
      /no channel 20/,
    );
    expect(() => removeChannels(graph, [{ producer: 'nope', channels: [0] }])).toThrow(
      /no layer "nope"/,
    );
    expect(() => removeInputChannels(graph, 'conv1', [0])).toThrow(/come from "conv1_input"/);
    expect(graph.structureKey()).toBe(key);
  });

  it('input channels of conv2 are conv1 filters', async () => {
    const graph = await shipped('lenet5');
    removeInputChannels(graph, 'conv2', [0, 19]);
    expect(graph.node('conv1').weights[0].shape).toEqual([5, 5, 1, 18]);
    expect(graph.node('conv2').weights[0].shape).toEqual([5, 5, 18, 50]);
  });
});

describe('replacing and inserting layers', () => {
  it('a dense layer replaced by two whose product is its kernel predicts the same', async () => {
    const graph = await shipped('lenet300');
    const fc2 = graph.node('fc2');
    const [kernel, bias] = fc2.weights;
    const identity = new Float32Array(100 * 100);
    for (let i = 0; i < 100; i++) identity[i * 101] = 1;
    const edited = graph.clone();
    replaceNode(edited, 'fc2', [
      {
        name: 'fc2_u',
        className: 'Dense',
        config: { units: 100, activation: 'linear', useBias: false },
        inbound: [],
        weights: [makeWeight('fc2_u', 'kernel', kernel.shape, kernel.values.slice())],
      },
      {
        name: 'fc2_v',
        className: 'Dense',
        config: { units: 100, activation: 'relu', useBias: true },
        inbound: [],
        weights: [
          makeWeight('fc2_v', 'kernel', [100, 100], identity),
          makeWeight('fc2_v', 'bias', [100], bias.values.slice()),
        ],
      },
    ]);
    expect(edited.nodes.map((n) => n.name)).toEqual(['fc1_input', 'fc1', 'fc2_u', 'fc2_v', 'fc3']);
    expect(edited.node('fc3').inbound).toEqual(['fc2_v']);
    expect(edited.params).toBe(graph.params + 100 * 100);
    expect(maxAbsDifference(await predictions(edited), await predictions(graph))).toBeLessThan(
      1e-6,
    );
  });

  it('an inserted layer is wired in, and one that does not fit is refused', async () => {
    const graph = await shipped('lenet5');
    insertAfter(graph, 'pool1', {
      name: 'pool1_act',
      className: 'Activation',
      config: { activation: 'linear' },
      inbound: [],
      weights: [],
    });
    expect(graph.node('conv2').inbound).toEqual(['pool1_act']);
    const before = await predictions(graph);
    expect(maxAbsDifference(before, await predictions(await shipped('lenet5')))).toBe(0);
    expect(() =>
      insertAfter(graph, 'flatten', {
        name: 'bad',
        className: 'Dense',
        config: { units: 4, activation: 'linear', useBias: false },
        inbound: [],
        weights: [makeWeight('bad', 'kernel', [3, 4], new Float32Array(12))],
      }),
    ).toThrow(/invalid network: layer "bad" expects 3 input features, gets 800/);
    expect(graph.hasNode('bad')).toBe(false);
  });
});
