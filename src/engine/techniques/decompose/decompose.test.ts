import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { digitsToTensor } from '../../data/batches.ts';
import { loadDigitSplit, type DigitSplit } from '../../data/digits.ts';
import { Lab } from '../../lab.ts';
import type { LayerGraph } from '../../model/graph.ts';
import { evaluateAccuracy } from '../../measure/accuracy.ts';
import { createPredictor } from '../../model/program.ts';
import { deserializeGraph, serializeGraph } from '../../model/serialize.ts';
import { useNodeBackend } from '../../node/backend.ts';
import { RecipeError } from '../../recipe/errors.ts';
import { normalizeStep } from '../../recipe/recipe.ts';
import { parseRecipe } from '../../recipe/share.ts';
import { publicAssets } from '../../test/fixtures.ts';
import type { TechniqueContext } from '../technique.ts';
import { makeCheckpoint } from '../../cancel.ts';
import { kernelOf, type DecompositionReport } from './common.ts';
import { filterSpectrum, rankCuts } from './force.ts';
import { svdDecompose } from './svd.ts';
import { tucker2 } from './tucker2.ts';

// Decompositions neither train nor evaluate: a context that says so if they try.
const noContext = new Proxy({} as TechniqueContext, {
  get: (_, key) =>
    key === 'seed' ? 1 : () => Promise.reject(new Error(`unexpected ${String(key)}`)),
});

const lab = new Lab({ read: publicAssets });
let test: DigitSplit;

beforeAll(async () => {
  await useNodeBackend('wasm');
  test = await loadDigitSplit(publicAssets, 'test');
});

const base = async (model: string) => (await lab.baseGraph(model)).clone();

/** Logits of the first `count` test digits. */
function logits(graph: LayerGraph, count = 1000): Float32Array {
  const predictor = createPredictor(graph);
  try {
    return tf.tidy(() => {
      const x = digitsToTensor(test, 0, count, graph.inputShape);
      return predictor.predict(x).dataSync() as Float32Array;
    });
  } finally {
    predictor.dispose();
  }
}

/** Compares two sets of logits: largest difference, and class disagreements on clear digits. */
function compare(a: Float32Array, b: Float32Array) {
  let worst = 0;
  let disagreements = 0;
  for (let d = 0; d < a.length / 10; d++) {
    const row = (x: Float32Array) => Array.from(x.subarray(d * 10, d * 10 + 10));
    const ra = row(a);
    const rb = row(b);
    ra.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - rb[i]))));
    const sorted = [...ra].sort((x, y) => y - x);
    // Near-ties (top two within 1e-3) may fall either way in float32; the rest must agree.
    if (sorted[0] - sorted[1] > 1e-3 && ra.indexOf(sorted[0]) !== rb.indexOf(Math.max(...rb)))
      disagreements++;
  }
  return { worst, disagreements };
}

const apply = async (technique: typeof svdDecompose, graph: LayerGraph, params: object) =>
  (await technique.apply(
    graph,
    normalizeStep(technique.id, params as Record<string, unknown>).params,
    noContext,
  )) as DecompositionReport;

describe('decomposed LeNets on the real digits', () => {
  it('at full rank, Tucker-2 of conv2 and SVD of fc1 predict what lenet5 predicts', async () => {
    const original = await base('lenet5');
    const graph = original.clone();
    await apply(tucker2, graph, { rankIn: { conv2: 20 }, rankOut: { conv2: 50 } });
    await apply(svdDecompose, graph, { rank: { fc1: 500 }, energy: { '*': 1 } });
    // The factor layers execute: conv2 and fc1 are gone, their factors are in the graph.
    const names = graph.nodes.map((n) => `${n.name}:${n.className}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'conv2_in:Conv2D',
        'conv2_core:Conv2D',
        'conv2_out:Conv2D',
        'fc1_u:Dense',
        'fc1_v:Dense',
      ]),
    );
    expect(graph.hasNode('conv2') || graph.hasNode('fc1')).toBe(false);
    expect(graph.node('conv2_in').weights[0].shape).toEqual([1, 1, 20, 20]);
    expect(graph.node('conv2_core').weights[0].shape).toEqual([5, 5, 20, 50]);
    expect(graph.node('conv2_out').weights.map((w) => w.shape)).toEqual([[1, 1, 50, 50], [50]]);
    expect(graph.node('conv2_out').config.activation).toBe(
      original.node('conv2').config.activation,
    );
    const { worst, disagreements } = compare(logits(original), logits(graph));
    expect(worst).toBeLessThan(1e-3);
    expect(disagreements).toBe(0);
  });

  it('saves and reloads as a CLG1 graph file that predicts the same', async () => {
    const graph = await base('lenet5');
    await apply(tucker2, graph, { rankIn: { conv2: 8 }, rankOut: { conv2: 12 } });
    await apply(svdDecompose, graph, { rank: { fc1: 16 }, energy: { '*': 1 } });
    const { graph: reloaded } = deserializeGraph(serializeGraph(graph));
    expect(reloaded.structureKey()).toBe(graph.structureKey());
    expect(Array.from(logits(reloaded, 200))).toEqual(Array.from(logits(graph, 200)));
  });

  it('at full rank, the SVD of lenet300 fc1 predicts what lenet300 predicts', async () => {
    const original = await base('lenet300');
    const graph = original.clone();
    const report = await apply(svdDecompose, graph, { rank: { fc1: 300 }, energy: { '*': 1 } });
    const { worst, disagreements } = compare(logits(original), logits(graph));
    expect(worst).toBeLessThan(1e-3);
    expect(disagreements).toBe(0);
    // 784 x 300 as 784 x 300 + 300 x 300: bigger, allowed, with a warning naming the step.
    expect(report.decomposition[0].paramsAfter).toBe(784 * 300 + 300 * 300 + 300);
    expect(report.warnings).toHaveLength(1);
    expect(report.warnings[0]).toMatch(
      /^svd: fc1 has 325500 weights after decomposition, more than its 235500/,
    );
  });

  it('counts params and MACs of the factor layers by hand, and picks ranks by energy', async () => {
    const graph = await base('lenet5');
    const report = await apply(tucker2, graph, { rankIn: { conv2: 12 }, rankOut: { conv2: 20 } });
    const layer = report.decomposition[0];
    // conv2: 5x5x20x50 + 50 weights, 8x8 outputs; factors 20x12, 5x5x12x20, 20x50 + 50.
    expect(layer.paramsBefore).toBe(25 * 20 * 50 + 50);
    expect(layer.paramsAfter).toBe(20 * 12 + 25 * 12 * 20 + 20 * 50 + 50);
    expect(layer.macsBefore).toBe(64 * 25 * 20 * 50);
    // 1x1 on the 12x12 input, core on the 8x8 output, 1x1 on 8x8.
    expect(layer.macsAfter).toBe(144 * 20 * 12 + 64 * 25 * 12 * 20 + 64 * 20 * 50);
    expect(layer.spectra.map((s) => [s.mode, s.rank, s.source])).toEqual([
      ['out', 20, 'given'],
      ['in', 12, 'given'],
    ]);
    expect(graph.macs).toBe(2_293_000 - layer.macsBefore + layer.macsAfter);

    const dense = await base('lenet300');
    const byEnergy = await apply(svdDecompose, dense, { energy: { fc1: 0.5, '*': 0.9 } });
    const spectrum = byEnergy.decomposition[0].spectra[0];
    // The chosen rank is the first whose squared singular values reach half of the total.
    const squares = spectrum.values.map((v) => v * v);
    const total = squares.reduce((a, b) => a + b, 0);
    const prefix = (r: number) => squares.slice(0, r).reduce((a, b) => a + b, 0);
    expect(prefix(spectrum.rank)).toBeGreaterThanOrEqual(0.5 * total * (1 - 1e-4));
    expect(prefix(spectrum.rank - 1)).toBeLessThan(0.5 * total);
    expect(spectrum.source).toBe('energy');
    // "*" skipped the output layer fc3 and decomposed the other hidden layer fc2 at 90%.
    expect(byEnergy.decomposition.map((l) => l.name)).toEqual(['fc1', 'fc2']);
    expect(dense.hasNode('fc3')).toBe(true);
  });

  it('chooses Tucker-2 ranks by VBMF when asked (rank 0) and says how', async () => {
    const graph = await base('lenet5');
    const report = await apply(tucker2, graph, { rankIn: { '*': 0 }, rankOut: { '*': 0 } });
    // "*" covers conv2 only: conv1 reads the image's single channel.
    expect(report.decomposition.map((l) => l.name)).toEqual(['conv2']);
    for (const s of report.decomposition[0].spectra) {
      expect(['vbmf', 'vbmf-fallback']).toContain(s.source);
      expect(s.rank).toBeGreaterThanOrEqual(1);
    }
  });
});

describe('force’s accuracy probes', () => {
  // The probes reuse one decomposition per layer for every rank; each cut must still be what
  // the svd or tucker2 step alone gives at that rank, bit for bit.
  const weightsOf = (graph: LayerGraph) =>
    graph.weights.map((w) => ({ name: w.name, shape: [...w.shape], values: Array.from(w.values) }));

  it('cut lenet5 conv2 (Tucker-2, input mode whole) and lenet300 fc1 (SVD) as the steps do', async () => {
    const rank = 4;
    const conv = await base('lenet5');
    const byTucker = conv.clone();
    const tuckerStep = normalizeStep('tucker2', {
      rankIn: { conv2: -1 },
      rankOut: { conv2: rank },
    });
    await tucker2.apply(byTucker, tuckerStep.params, noContext);
    const convCuts = await rankCuts(conv, 'conv2', makeCheckpoint());
    expect(weightsOf(await convCuts.cut(rank))).toEqual(weightsOf(byTucker));

    const dense = await base('lenet300');
    const bySvd = dense.clone();
    const svdStep = normalizeStep('svd', { rank: { fc1: rank }, energy: { '*': 1 } });
    await svdDecompose.apply(bySvd, svdStep.params, noContext);
    const denseCuts = await rankCuts(dense, 'fc1', makeCheckpoint());
    expect(weightsOf(await denseCuts.cut(rank))).toEqual(weightsOf(bySvd));
    // The report's spectrum after force comes from that SVD instead of a second eigensolve.
    const fc1 = kernelOf(dense.node('fc1'))!;
    expect(Array.from(denseCuts.spectrum!)).toEqual(
      Array.from(await filterSpectrum(fc1.values, fc1.shape)),
    );
    // Cutting leaves the graphs cut from as they were.
    expect(weightsOf(conv)).toEqual(weightsOf(await base('lenet5')));
    expect(weightsOf(dense)).toEqual(weightsOf(await base('lenet300')));
  });
});

describe('bad input, named by the step', () => {
  it('refuses a rank above min(in, out) and a layer type the decomposition does not fit', async () => {
    const graph = await base('lenet5');
    const before = graph.structureKey();
    await expect(apply(svdDecompose, graph, { rank: { fc2: 11 } })).rejects.toThrow(
      new RecipeError('svd: the rank of fc2 must be between 1 and 10 (got 11)'),
    );
    await expect(apply(tucker2, graph, { rankIn: { conv2: 21 } })).rejects.toThrow(
      /^tucker2: rankIn of conv2 must be between 1 and 20 \(got 21\)$/,
    );
    await expect(apply(svdDecompose, graph, { rank: { conv2: 4 } })).rejects.toThrow(
      /^svd: conv2 is a Conv2D layer; SVD applies to Dense layers \(use tucker2 for conv layers\)$/,
    );
    await expect(apply(tucker2, graph, { rankOut: { fc1: 4 } })).rejects.toThrow(
      /^tucker2: fc1 is a Dense layer; Tucker-2 applies to Conv2D layers/,
    );
    await expect(apply(svdDecompose, graph, { rank: { fc9: 4 } })).rejects.toThrow(
      /svd rank: the model has no conv or dense layer "fc9"/,
    );
    // Nothing was changed by the refused steps.
    expect(graph.structureKey()).toBe(before);
  });

  it('falls back to a stated rank when VBMF finds no signal, and says so', async () => {
    const graph = await base('lenet5');
    // A kernel of pure seeded noise: no singular value stands above the noise level.
    const kernel = graph.node('conv2').weights[0];
    let state = 7;
    kernel.values = kernel.values.map(() => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state / 2 ** 31 - 0.5;
    });
    const report = await apply(tucker2, graph, { rankIn: { conv2: 0 }, rankOut: { conv2: -1 } });
    const input = report.decomposition[0].spectra.find((s) => s.mode === 'in')!;
    expect(input.source).toBe('vbmf-fallback');
    expect(input.energyKept).toBeGreaterThanOrEqual(0.9);
    expect(report.warnings.join('\n')).toMatch(
      /tucker2: VBMF found no signal above the noise in the input-channel mode of conv2; kept rank \d+, the smallest holding 90% of the squared singular values/,
    );
  });

  it('refuses a step that would decompose nothing', async () => {
    const graph = await base('lenet300');
    await expect(apply(tucker2, graph, { rankIn: { '*': 0 } })).rejects.toThrow(
      /^tucker2: no conv layer to decompose/,
    );
  });
});

describe('the decomposed model in the lab', () => {
  it('fine-tunes with the factor layers kept, and the run reports their ranks', async () => {
    const result = await lab.run(
      parseRecipe(
        'model=lenet300&steps=svd(rank=fc1:32,energy=*:1);finetune(epochs=1,batches=4,lr=0.0005)',
      ),
    );
    const layers = result.layers.map((l) => [l.name, l.kernelShape ?? null]);
    expect(layers).toEqual([
      ['fc1_input', null],
      ['fc1_u', [784, 32]],
      ['fc1_v', [32, 300]],
      ['fc2', [300, 100]],
      ['fc3', [100, 10]],
    ]);
    expect(result.params).toBe(784 * 32 + 32 * 300 + 300 + 300 * 100 + 100 + 100 * 10 + 10);
    expect(result.steps.map((s) => s.technique)).toEqual(['svd', 'finetune']);
    const report = result.steps[0].report as unknown as DecompositionReport;
    expect(report.decomposition[0].factors).toEqual(['fc1_u', 'fc1_v']);
    // A step error names the step.
    await expect(lab.run(parseRecipe('model=lenet300&steps=svd(rank=fc1:301)'))).rejects.toThrow(
      /step 1 \(svd\).*rank of fc1 must be between 1 and 300/,
    );
  });

  it('force-trains with the pruning masks held and reports each layer’s spectrum before and after', async () => {
    const result = await lab.run(
      parseRecipe(
        'model=lenet5&steps=prune(fraction=0.5);force(strength=*:0|conv2:0.001,epochs=1,batches=3)',
      ),
    );
    const [pruned, forced] = result.steps;
    // Fine-tuning under the force changes the kept weights, never the pruned ones.
    expect(forced.nonzeroParams).toBeLessThanOrEqual(pruned.nonzeroParams);
    expect(forced.params).toBe(pruned.params);
    interface ForceLayer {
      name: string;
      before: number[];
      after: number[];
      accuracy: { rank: number; without: number; with: number }[];
    }
    const force = (forced.report as { force: { layers: ForceLayer[] } }).force;
    expect(force.layers.map((l) => l.name)).toEqual(['conv2']);
    expect(force.layers[0].before).toHaveLength(50);
    expect(force.layers[0].after).not.toEqual(force.layers[0].before);
    // Accuracy per rank: powers of two up to half of conv2's 50 filters; "without" is the
    // network the step received (pruned, not force-trained) with conv2's filters cut to rank 8.
    const curve = force.layers[0].accuracy;
    expect(curve.map((p) => p.rank)).toEqual([2, 4, 8, 16]);
    const received = (
      await lab.graphOf(parseRecipe('model=lenet5&steps=prune(fraction=0.5)'))
    ).clone();
    await apply(tucker2, received, { rankIn: { conv2: -1 }, rankOut: { conv2: 8 } });
    const predictor = createPredictor(received);
    try {
      const check = await lab.checkDigits();
      const { accuracy } = await evaluateAccuracy(predictor.predict, check, received.inputShape);
      expect(curve[2].without).toBe(accuracy);
    } finally {
      predictor.dispose();
    }
  });
});
