import { beforeAll, describe, expect, it } from 'vitest';
import type { LayerGraph, WeightTensor } from '../../model/graph.ts';
import { twoDenseGraph as smallGraph } from '../../test/models.ts';
import { useNodeBackend } from '../../node/backend.ts';
import { RecipeError } from '../../recipe/errors.ts';
import { normalizeStep } from '../../recipe/recipe.ts';
import { indexBits } from '../encode/index-bits.ts';
import type { TechniqueContext } from '../technique.ts';
import { redense } from './dsd.ts';
import { pruneDensity, pruneStd } from './layerwise.ts';
import { density, pruneToDensity } from './masks.ts';
import { densitiesForDrop, type SensitivityResult } from './sensitivity.ts';

// These techniques neither train nor evaluate: a context that says so if they try.
const noContext = new Proxy({} as TechniqueContext, {
  get: (_, key) =>
    key === 'seed' ? 1 : () => Promise.reject(new Error(`unexpected ${String(key)}`)),
});

/** A dense kernel of these values, as pruning sees it. */
const graphWeight = (values: Float32Array): WeightTensor => ({
  name: 'fc/kernel',
  role: 'kernel',
  shape: [values.length, 1],
  values,
  prunable: true,
  trainable: true,
});

const magnitudes = (graph: LayerGraph, layer: string) =>
  Array.from(graph.node(layer).weights[0].values).map(Math.abs);

beforeAll(async () => {
  await useNodeBackend('cpu');
});

describe('per-layer magnitude pruning', () => {
  it('prune-density keeps the exact share of each layer, largest magnitudes', async () => {
    const graph = await smallGraph();
    const step = normalizeStep('prune-density', { density: { a: 0.25, '*': 0.5 } });
    const report = await pruneDensity.apply(graph, step.params, noContext);
    // a keeps round(0.25 * 12) = 3 (10, 11, 12); b keeps 3 of 6 (16, 17, 18).
    expect(magnitudes(graph, 'a')).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 11, 12]);
    expect(magnitudes(graph, 'b')).toEqual([0, 0, 0, 16, 17, 18]);
    expect(report).toEqual({ density: { a: 0.25, b: 0.5 } });
    // Biases untouched.
    expect(Array.from(graph.node('a').weights[1].values)).toEqual([9, 9, 9]);
  });

  it('reads per-layer values by own keys: layers may be named like Object properties', async () => {
    const graph = await smallGraph();
    graph.nodes[1] = { ...graph.nodes[1], name: 'constructor' };
    graph.nodes[2] = { ...graph.nodes[2], name: 'toString', inbound: ['constructor'] };
    graph.output = 'toString';
    const step = normalizeStep('prune-density', { density: { '*': 0.5 } });
    await pruneDensity.apply(graph, step.params, noContext);
    expect(density(graph.node('constructor').weights[0])).toBe(0.5);
    expect(density(graph.node('toString').weights[0])).toBe(0.5);
  });

  it('prune-std drops what lies within q standard deviations of zero', async () => {
    const graph = await smallGraph();
    // a's weights: +-1..12, mean -0.5, std = sqrt(mean of squares - mean^2) = sqrt(54.1667 - 0.25).
    const std = Math.sqrt(650 / 12 - 0.25);
    const q = 0.6; // threshold 4.41: magnitudes 1..4 go
    const step = normalizeStep('prune-std', { quality: { a: q, b: 0 } });
    await pruneStd.apply(graph, step.params, noContext);
    expect(q * std).toBeCloseTo(4.406, 3);
    expect(magnitudes(graph, 'a')).toEqual([0, 0, 0, 0, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(magnitudes(graph, 'b')).toEqual([13, 14, 15, 16, 17, 18]);
  });

  it('never revives what an earlier step pruned, and names an unknown layer', async () => {
    const graph = await smallGraph();
    const w = graph.node('a').weights[0];
    pruneToDensity(w, 0.25);
    pruneToDensity(w, 0.75);
    expect(density(w)).toBe(0.25);
    const bad = normalizeStep('prune-density', { density: { c9: 0.5 } });
    await expect((async () => pruneDensity.apply(graph, bad.params, noContext))()).rejects.toThrow(
      RecipeError,
    );
    await expect((async () => pruneDensity.apply(graph, bad.params, noContext))()).rejects.toThrow(
      /no conv or dense layer "c9" \(its layers: a, b\)/,
    );
  });

  it('prune-to-density breaks ties by position and counts earlier pruning as smallest', () => {
    // Hand count: magnitudes 3, 1, 2, 1, 0(pruned), 1, 5, 1 keep round(0.5 * 8) = 4, so 4 go: the
    // pruned one, then the first three 1s (positions 1, 3, 5); the 1 at position 7 stays.
    const values = Float32Array.from([3, -1, 2, 1, 0, -1, 5, 1]);
    const w = { ...graphWeight(values), mask: Uint8Array.from([1, 1, 1, 1, 0, 1, 1, 1]) };
    pruneToDensity(w, 0.5);
    expect(Array.from(w.mask)).toEqual([1, 0, 1, 0, 0, 0, 1, 1]);
    expect(Array.from(w.values)).toEqual([3, 0, 2, 0, 0, 0, 5, 1]);
  });

  it('prune-to-density prunes what a sort of positions by (magnitude, position) names', () => {
    // The definition, written the slow way: every position sorted by its magnitude (pruned first),
    // then by position; the first n - round(keep * n) go.
    const byDefinition = (values: Float32Array, mask: Uint8Array, keep: number) => {
      const magnitude = (i: number) => (mask[i] ? Math.abs(values[i]) : -1);
      const order = Array.from(values, (_, i) => i).sort(
        (a, b) => magnitude(a) - magnitude(b) || a - b,
      );
      const kept = Uint8Array.from(mask);
      for (const i of order.slice(0, values.length - Math.round(keep * values.length))) kept[i] = 0;
      return Array.from(kept);
    };
    let state = 12345;
    const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let trial = 0; trial < 40; trial++) {
      const n = 1 + Math.floor(next() * 300);
      // Few distinct values (many ties), both signs, some weights pruned before.
      const values = Float32Array.from({ length: n }, () => Math.round((next() - 0.5) * 12) / 4);
      const mask = Uint8Array.from({ length: n }, () => (next() < 0.2 ? 0 : 1));
      values.forEach((_, i) => (values[i] = mask[i] ? values[i] : 0));
      const keep = Math.round(next() * 100) / 100;
      const expected = byDefinition(values, mask, keep);
      const w = { ...graphWeight(Float32Array.from(values)), mask: Uint8Array.from(mask) };
      pruneToDensity(w, keep);
      expect(Array.from(w.mask), `trial ${trial}: ${n} weights, keep ${keep}`).toEqual(expected);
    }
  });

  it('redense releases the masks; the pruned weights restart at zero', async () => {
    const graph = await smallGraph();
    pruneToDensity(graph.node('a').weights[0], 0.5);
    const report = await redense.apply(graph, {}, noContext);
    expect(report).toEqual({ released: 6 });
    expect(graph.node('a').weights[0].mask).toBeUndefined();
    expect(magnitudes(graph, 'a').filter((m) => m === 0)).toHaveLength(6);
  });

  it('index-bits sets Deep Compression widths: conv and dense apart', async () => {
    const graph = await smallGraph();
    await indexBits.apply(graph, normalizeStep('index-bits', { dense: 5 }).params, noContext);
    expect(graph.prunableWeights().map((w) => w.indexBits)).toEqual([5, 5]);
  });
});

describe('choosing densities from sensitivity curves', () => {
  it('gives each layer the lowest density within the accepted drop', () => {
    const result: SensitivityResult = {
      baseAccuracy: 0.98,
      layers: [
        {
          name: 'conv1',
          points: [
            { density: 1, accuracy: 0.98 },
            { density: 0.5, accuracy: 0.975 },
            { density: 0.3, accuracy: 0.9 },
          ],
        },
        {
          name: 'fc1',
          points: [
            { density: 1, accuracy: 0.98 },
            { density: 0.1, accuracy: 0.976 },
            { density: 0.05, accuracy: 0.97 },
          ],
        },
        {
          name: 'fc2',
          points: [
            { density: 1, accuracy: 0.98 },
            { density: 0.5, accuracy: 0.5 },
          ],
        },
      ],
    };
    expect(densitiesForDrop(result, 0.005)).toEqual({ conv1: 0.5, fc1: 0.1, fc2: 1 });
    expect(densitiesForDrop(result, 0.01)).toEqual({ conv1: 0.5, fc1: 0.05, fc2: 1 });
  });
});
