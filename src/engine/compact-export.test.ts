/**
 * A compact file is the model it reports (issue 16, points 1 and 2): pruned then binarized
 * kernels keep their mask in the file, nonzero counts are those of the weights the network
 * computes with, and an export whose file would not decode to the run's numbers is refused.
 * The expected counts come from the file decoded and evaluated here, independently of the run.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeModel, encodeModel } from './encode/model-file.ts';
import { CompactExportError, verifiedCompactFile } from './encode/verified-export.ts';
import { Lab } from './lab.ts';
import { evaluateAccuracy } from './measure/accuracy.ts';
import type { LayerGraph } from './model/graph.ts';
import { createPredictor } from './model/program.ts';
import { useNodeBackend } from './node/backend.ts';
import { parseRecipe } from './recipe/share.ts';
import { publicAssets } from './test/fixtures.ts';

const lab = new Lab({ read: publicAssets });

beforeAll(async () => {
  await useNodeBackend('wasm');
});

async function correctOf(graph: LayerGraph): Promise<number> {
  const predictor = createPredictor(graph);
  try {
    return (await evaluateAccuracy(predictor.predict, await lab.test(), graph.inputShape)).correct;
  } finally {
    predictor.dispose();
  }
}

const nonzeroValues = (graph: LayerGraph) =>
  graph.weights.reduce((sum, w) => sum + w.values.filter((v) => v !== 0).length, 0);

describe('pruned then binarized kernels in the compact file', () => {
  it.each([
    ['lenet300', 'prune(fraction=0.5);binaryconnect(epochs=0)'],
    [
      'lenet5',
      'prune(fraction=0.5);binaryconnect(scale=filter,keepFirst=true,keepLast=true,epochs=0)',
    ],
  ])(
    '%s %s: the file decodes to the run (correct count, nonzero weights)',
    async (model, steps) => {
      // A version 1 link: its file is version 3/4, what encodeModel writes by default.
      const recipe = parseRecipe(`v=1&model=${model}&steps=${steps}`);
      const result = await lab.run(recipe);
      const graph = await lab.graphOf(recipe);
      const file = encodeModel(graph);
      expect(file.bytes.length).toBe(result.sizeBytes);
      const decoded = decodeModel(file.bytes);
      // The decoded floats are what the file says, with no transform or mask to apply.
      expect(await correctOf(decoded)).toBe(result.correct);
      expect(result.nonzeroParams).toBe(nonzeroValues(decoded));
      expect(result.nonzeroParams).toBeLessThan(result.params);
      // A masked binary kernel takes the sparse layout, CLW4.
      expect(result.layers.some((l) => l.layout === 'sparse-binary')).toBe(true);
      expect(String.fromCharCode(...file.bytes.subarray(0, 4))).toBe('CLW4');
      // Encoding the decoded graph gives the same file.
      expect(Array.from(encodeModel(decoded).bytes)).toEqual(Array.from(file.bytes));
      // And the export path checks and hands out that file.
      const exported = await lab.exportCompact(recipe, { reported: result });
      expect(Array.from(exported.bytes)).toEqual(Array.from(file.bytes));
      expect(exported.correct).toBe(result.correct);
    },
    120_000,
  );
});

describe('Lab.exportCompact', () => {
  it('refuses a file whose correct count or length differs from the run, saying which', async () => {
    const recipe = parseRecipe('model=lenet300&steps=prune(fraction=0.9)');
    const result = await lab.run(recipe);
    await expect(lab.exportCompact(recipe)).resolves.toMatchObject({ correct: result.correct });
    await expect(
      lab.exportCompact(recipe, { reported: { ...result, correct: result.correct + 1 } }),
    ).rejects.toThrow(
      new CompactExportError(
        `the compact file was not written: decoded, it classifies ${result.correct} of 2000 test digits correctly, the run reported ${result.correct + 1}`,
      ),
    );
    await expect(
      lab.exportCompact(recipe, { reported: { ...result, sizeBytes: result.sizeBytes - 1 } }),
    ).rejects.toThrow(/not written: it is \d+ B long, the run reported \d+ B/);
  }, 120_000);

  it('catches a file that decodes to another model than the one encoded', async () => {
    const recipe = parseRecipe('model=lenet300&steps=prune(fraction=0.5)');
    const result = await lab.run(recipe);
    const graph = (await lab.graphOf(recipe)).clone();
    // What an encoder that drops the mask would write: pruned weights back at their old values.
    for (const w of graph.prunableWeights()) {
      w.values = w.values.map((v) => v || 0.05);
      w.mask = undefined;
    }
    await expect(
      verifiedCompactFile(
        graph,
        { ...result, sizeBytes: encodeModel(graph).bytes.length },
        correctOf,
      ),
    ).rejects.toThrow(CompactExportError);
  }, 120_000);
});
