import { beforeAll, describe, expect, it } from 'vitest';
import { twoDenseGraph as smallGraph } from '../../test/models.ts';
import { pruneGlobalMagnitude } from './magnitude.ts';
import { useNodeBackend } from '../../node/backend.ts';

beforeAll(async () => {
  await useNodeBackend('cpu');
});

describe('global magnitude pruning', () => {
  it('zeroes exactly the smallest kernel weights across layers and leaves biases alone', async () => {
    const graph = await smallGraph();
    pruneGlobalMagnitude(graph, 0.5); // 9 of 18 kernel weights: magnitudes 1..9
    const [aKernel, aBias, bKernel, bBias] = graph.weights;
    expect(Array.from(aKernel.values).map(Math.abs)).toEqual([
      0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 11, 12,
    ]);
    expect(Array.from(bKernel.values).map(Math.abs)).toEqual([13, 14, 15, 16, 17, 18]);
    expect(Array.from(aKernel.mask!)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
    expect(Array.from(aBias.values)).toEqual([9, 9, 9]);
    expect(bBias.mask).toBeUndefined();
    expect(graph.nonzeroParams).toBe(9 + 3 + 2);
  });

  it('prunes an exact count when many weights tie, deterministically', async () => {
    const graph = await smallGraph();
    for (const w of graph.prunableWeights()) w.values.fill(0.25);
    pruneGlobalMagnitude(graph, 1 / 3); // 6 of 18, all tied: the first six in order
    const kernels = graph.prunableWeights();
    expect(Array.from(kernels[0].mask!)).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    expect(Array.from(kernels[1].mask!)).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('is cumulative: a second step prunes from what the first left', async () => {
    const graph = await smallGraph();
    pruneGlobalMagnitude(graph, 0.5);
    pruneGlobalMagnitude(graph, 0.5); // the 9 zeros are the smallest: nothing new
    expect(
      graph.prunableWeights().reduce((n, w) => n + w.mask!.filter((m) => m === 0).length, 0),
    ).toBe(9);
    pruneGlobalMagnitude(graph, 0.75);
    expect(
      graph.prunableWeights().reduce((n, w) => n + w.mask!.filter((m) => m === 0).length, 0),
    ).toBe(14);
  });

  it('leaves a graph untouched at fraction 0 and its clone independent', async () => {
    const graph = await smallGraph();
    const copy = graph.clone();
    pruneGlobalMagnitude(copy, 0.9);
    pruneGlobalMagnitude(graph, 0);
    expect(graph.nonzeroParams).toBe(23);
    expect(copy.nonzeroParams).toBe(2 + 5);
  });
});
