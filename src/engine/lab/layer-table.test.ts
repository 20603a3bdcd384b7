import { describe, expect, it } from 'vitest';
import { encodeModel, type EncodedTensor } from '../encode/model-file.ts';
import { LayerGraph, makeWeight } from '../model/graph.ts';
import { layerTable } from './layer-table.ts';

const filled = (n: number, value: number) => new Float32Array(n).fill(value);

/**
 * in [8] -> wide (Dense 8x6, one kernel weight kept of 48: stored sparse) -> out (Dense 6x2,
 * every weight kept: stored dense). The two layers' kernels differ in every reported figure.
 */
function twoLayerGraph(): LayerGraph {
  const wideKernel = new Float32Array(48);
  wideKernel[13] = 0.5;
  return new LayerGraph(
    [
      {
        name: 'in',
        className: 'InputLayer',
        config: { batchInputShape: [null, 8] },
        inbound: [],
        weights: [],
      },
      {
        name: 'wide',
        className: 'Dense',
        config: { units: 6, activation: 'relu' },
        inbound: ['in'],
        weights: [
          makeWeight('wide', 'kernel', [8, 6], wideKernel),
          makeWeight('wide', 'bias', [6], filled(6, 0.1)),
        ],
      },
      {
        name: 'out',
        className: 'Dense',
        config: { units: 2, activation: 'linear' },
        inbound: ['wide'],
        weights: [
          makeWeight('out', 'kernel', [6, 2], filled(12, -0.25)),
          makeWeight('out', 'bias', [2], filled(2, 0.2)),
        ],
      },
    ],
    'out',
  );
}

const bytesNamed = (tensors: readonly EncodedTensor[], names: readonly string[]) =>
  tensors.filter((t) => names.includes(t.name)).reduce((sum, t) => sum + t.bytes, 0);

describe('layerTable', () => {
  const graph = twoLayerGraph();
  const { tensors } = encodeModel(graph);

  it('pairs each weight with its encoded tensor by name, whatever order the tensors come in', () => {
    // Reversed, and rotated: by position, "wide" would get out's tensors (or a mix).
    const orders = [[...tensors].reverse(), [...tensors.slice(1), tensors[0]]];
    for (const order of orders) {
      const table = layerTable(graph, graph, order, new Map());
      const wide = table.find((l) => l.name === 'wide')!;
      const out = table.find((l) => l.name === 'out')!;
      expect(wide.kernelShape).toEqual([8, 6]);
      expect(wide.layout).toBe('sparse');
      expect(wide.storage?.kept).toBe(1);
      expect(wide.nonzeroParams).toBe(1 + 6);
      expect(wide.sizeBytes).toBe(bytesNamed(tensors, ['wide/kernel', 'wide/bias']));
      expect(out.layout).toBe('dense');
      expect(out.storage?.kept).toBe(12);
      expect(out.sizeBytes).toBe(bytesNamed(tensors, ['out/kernel', 'out/bias']));
      expect(table.find((l) => l.name === 'in')).toMatchObject({ layout: 'none', sizeBytes: 0 });
      // The same table as from the encoder's own order.
      expect(table).toEqual(layerTable(graph, graph, tensors, new Map()));
    }
  });

  it('names a weight the encoded tensors lack, and a name written twice', () => {
    const withoutOutKernel = tensors.filter((t) => t.name !== 'out/kernel');
    expect(() => layerTable(graph, graph, withoutOutKernel, new Map())).toThrow(
      'the encoded model has no tensor for weight "out/kernel"',
    );
    expect(() => layerTable(graph, graph, [...tensors, tensors[0]], new Map())).toThrow(
      'the encoded model has two tensors named "wide/kernel"',
    );
  });
});
