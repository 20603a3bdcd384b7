/**
 * Recipe version 2 (docs/links-keep-their-numbers.md): a link of version 1 keeps the numbers
 * it was shared with, file version 3 included, and the same steps as a version 2 recipe write
 * file version 5, whose one sparse convention (the skip filler) changes only the sparse floats'
 * bytes. The expected difference is counted here from the pruning mask, by the file format's
 * description (docs/model-file.md), not by the encoder.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeModel } from './encode/model-file.ts';
import { readGoldenTable } from './golden/golden-links.ts';
import { Lab } from './lab.ts';
import { evaluateAccuracy } from './measure/accuracy.ts';
import type { LayerGraph } from './model/graph.ts';
import { createPredictor } from './model/program.ts';
import { useNodeBackend } from './node/backend.ts';
import { RecipeError } from './recipe/errors.ts';
import { fileVersionOf } from './recipe/file-version.ts';
import { formatShareState, parseRecipe, parseShareState } from './recipe/share.ts';
import { publicAssets } from './test/fixtures.ts';

const lab = new Lab({ read: publicAssets });

beforeAll(async () => {
  await useNodeBackend('wasm');
});

const STEPS = 'model=lenet300&seed=1&steps=prune(fraction=0.95)';
const V1 = `v=1&${STEPS}`;
const V2 = `v=2&${STEPS}`;

const magic = (bytes: Uint8Array) => String.fromCharCode(...bytes.subarray(0, 4));

/** The gap before each stored value: how many positions were skipped since the last one. */
function gaps(values: Float32Array): number[] {
  const out: number[] = [];
  let gap = 0;
  for (const v of values) {
    if (v !== 0 || Object.is(v, -0)) {
      out.push(gap);
      gap = 0;
    } else gap++;
  }
  return out;
}

const bytesOfBits = (bits: number) => Math.ceil(bits / 8);
const WIDTHS = Array.from({ length: 16 }, (_, i) => i + 1);

/**
 * Layout 1 in file version 3: u8 layout, u8 k, u32 entries, k bits an entry, a float an entry;
 * a gap of g takes floor(g / 2^k) padding entries (each a stored zero) before its own.
 */
function paddedBytes(g: readonly number[]): number {
  const sizes = WIDTHS.map((k) => {
    const entries = g.reduce((sum, gap) => sum + Math.floor(gap / 2 ** k) + 1, 0);
    return 1 + 1 + 4 + bytesOfBits(k * entries) + 4 * entries;
  });
  return Math.min(...sizes);
}

/**
 * Layout 1 in file version 5: u8 layout, u8 k, u32 kept, u32 entries, k bits an entry, a float
 * a stored value; a gap of g takes floor(g / (2^k - 1)) skip entries (nothing stored) first.
 */
function skipBytes(g: readonly number[]): number {
  const sizes = WIDTHS.map((k) => {
    const entries = g.reduce((sum, gap) => sum + Math.floor(gap / (2 ** k - 1)) + 1, 0);
    return 1 + 1 + 4 + 4 + bytesOfBits(k * entries) + 4 * g.length;
  });
  return Math.min(...sizes);
}

async function correctOf(graph: LayerGraph): Promise<number> {
  const predictor = createPredictor(graph);
  try {
    return (await evaluateAccuracy(predictor.predict, await lab.test(), graph.inputShape)).correct;
  } finally {
    predictor.dispose();
  }
}

describe('recipe version 2: the compact file follows the recipe', () => {
  it('a v=1 link keeps its golden numbers; as v=2 the same network is smaller by exactly its fillers', async () => {
    const golden = readGoldenTable().entries.find((e) => e.link === V1)!.expected!;
    const old = await lab.run(parseRecipe(V1));
    expect(old.recipeText).toBe(V1);
    expect({ correct: old.correct, total: old.total, sizeBytes: old.sizeBytes }).toEqual(golden);

    const now = await lab.run(parseRecipe(V2));
    expect(now.recipeText).toBe(V2);
    // One network: the step is shared between the versions, only its file differs.
    expect(now.steps[0].cached).toBe(true);
    expect(now.correct).toBe(old.correct);

    const file3 = (await lab.exportCompact(parseRecipe(V1), { reported: old })).bytes;
    const file5 = (await lab.exportCompact(parseRecipe(V2), { reported: now })).bytes;
    expect([magic(file3), file3.length]).toEqual(['CLW3', old.sizeBytes]);
    expect([magic(file5), file5.length]).toEqual(['CLW5', now.sizeBytes]);

    // Each pruned kernel is sparse floats in both files; its bytes change by what the
    // conventions predict from its mask, and nothing else changes.
    const decoded = decodeModel(file3);
    let predicted = 0;
    for (const layer of ['fc1', 'fc2', 'fc3']) {
      const [before, after] = [old, now].map((r) => r.layers.find((l) => l.name === layer)!);
      expect([before.layout, after.layout], layer).toEqual(['sparse', 'sparse']);
      const g = gaps(decoded.node(layer).weights.find((w) => w.role === 'kernel')!.values);
      const difference = paddedBytes(g) - skipBytes(g);
      expect(before.sizeBytes - after.sizeBytes, layer).toBe(difference);
      predicted += difference;
    }
    expect(predicted).toBeGreaterThan(0);
    expect(old.sizeBytes - now.sizeBytes).toBe(predicted);
    expect(now.baselineSizeBytes).toBe(old.baselineSizeBytes); // a dense model: no fillers

    // The CLW5 file decodes to the very same weights, so to the same predictions.
    const decoded5 = decodeModel(file5);
    for (const w of decoded.weights) {
      const other = decoded5.weights.find((x) => x.name === w.name)!;
      expect(Buffer.from(other.values.buffer).equals(Buffer.from(w.values.buffer)), w.name).toBe(
        true,
      );
    }
    expect(await correctOf(decoded5)).toBe(now.correct);
  }, 120_000);

  it('the file version is decided by the recipe version: 1 writes 3, 2 (and a new recipe) writes 5', () => {
    expect(fileVersionOf(parseRecipe(V1))).toBe(3);
    expect(fileVersionOf(parseRecipe(V2))).toBe(5);
    expect(fileVersionOf(parseRecipe(STEPS))).toBe(5);
  });
});

describe('recipe versions in links', () => {
  it('reads v=1 and v=2, and a link without v= is a new recipe (v=2)', () => {
    expect(parseRecipe(V1).version).toBe(1);
    expect(formatShareState(parseShareState(STEPS))).toBe(V2);
    expect(formatShareState(parseShareState(V2))).toBe(V2);
  });

  it('re-shares every version 1 link of the golden table as version 1, those the lab wrote byte for byte', () => {
    const entries = readGoldenTable().entries.filter((e) => e.link.startsWith('v=1&'));
    const written = entries.filter((e) => /^(preset|tour) /.test(e.source));
    expect(written.length).toBeGreaterThan(50);
    for (const { link } of entries) {
      const again = formatShareState(parseShareState(link));
      expect(again.startsWith('v=1&'), link).toBe(true);
      expect(parseShareState(again)).toEqual(parseShareState(link));
    }
    for (const { link } of written) expect(formatShareState(parseShareState(link))).toBe(link);
    const withUi = `${V1}&backend=wasm&hide=model,seed&plot=latency`;
    expect(formatShareState(parseShareState(withUi))).toBe(withUi);
  });

  it.each(['3', '0', '01', '1.0', 'two', ''])(
    'refuses v=%s, naming the versions it reads',
    (version) => {
      const link = `v=${version}&${STEPS}`;
      expect(() => parseShareState(link)).toThrow(RecipeError);
      expect(() => parseShareState(link)).toThrow(
        `this link uses format version "${version}"; this lab reads versions 1 and 2`,
      );
    },
  );
});
