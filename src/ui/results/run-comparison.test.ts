import { beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../engine/lab.ts';
import { useNodeBackend } from '../../engine/node/backend.ts';
import { parseRecipe } from '../../engine/recipe/share.ts';
import { publicAssets } from '../../engine/test/fixtures.ts';
import { changeMark, compareLayers } from './run-comparison.ts';

const lab = new Lab({ read: publicAssets });

beforeAll(async () => {
  await useNodeBackend('wasm');
});

describe('compareLayers on real runs of lenet300', () => {
  it('marks what pruning changed and leaves what it did not', async () => {
    const base = await lab.run(parseRecipe('model=lenet300'));
    const pruned = await lab.run(parseRecipe('model=lenet300&steps=prune(fraction=0.9)'));
    const rows = compareLayers(base, pruned);
    // LeNet-300-100: 784-300-100-10, weights and biases.
    expect(rows.map((r) => r.a?.params)).toEqual([784 * 300 + 300, 300 * 100 + 100, 100 * 10 + 10]);
    for (const row of rows) {
      expect(row.differs.params).toBe(false);
      expect(row.differs.macs).toBe(false);
      // Float32 stored densely: 32 bits a weight, no positions.
      expect(row.a?.bits).toBe(32);
      expect(row.a?.nonzero).toBe(row.a?.params);
    }
    // Global pruning at 90 % leaves each layer sparse: fewer nonzeros, fewer bytes, and each
    // kept weight costs its 32-bit value plus a relative index.
    for (const row of rows) {
      expect(row.differs.nonzero).toBe(true);
      expect(row.b!.nonzero).toBeLessThan(row.a!.nonzero);
      expect(row.differs.bytes).toBe(true);
      expect(row.b!.bits).toBeGreaterThan(32);
      expect(row.differs.bits).toBe(true);
    }
    // A run compared with itself differs nowhere.
    expect(
      compareLayers(pruned, pruned).every((r) => Object.values(r.differs).every((d) => !d)),
    ).toBe(true);
  }, 120_000);

  it('lists a layer only one run has, where the network runs it', async () => {
    const base = await lab.run(parseRecipe('model=lenet300'));
    const svd = await lab.run(parseRecipe('model=lenet300&steps=svd(energy=*:1,rank=fc1:64)'));
    const rows = compareLayers(base, svd);
    const svdNames = svd.layers.filter((l) => l.params > 0).map((l) => l.name);
    const baseNames = base.layers.filter((l) => l.params > 0).map((l) => l.name);
    // Every layer of either run appears once, each run's layers in that run's order.
    expect(new Set(rows.map((r) => r.name))).toEqual(new Set([...svdNames, ...baseNames]));
    expect(rows.map((r) => r.name).filter((n) => svdNames.includes(n))).toEqual(svdNames);
    expect(rows.map((r) => r.name).filter((n) => baseNames.includes(n))).toEqual(baseNames);
    const onlyOne = rows.filter((r) => r.a === null || r.b === null);
    expect(onlyOne.length).toBeGreaterThan(0);
    for (const row of onlyOne) expect(Object.values(row.differs).every(Boolean)).toBe(true);
  }, 120_000);
});

describe('changeMark', () => {
  it('says how B moved against A', () => {
    expect(changeMark(1000, 100)).toBe('▼ 90.0 %');
    expect(changeMark(8, 9)).toBe('▲ 12.5 %');
    expect(changeMark('xnnpack', 'csr')).toBe('≠');
    expect(changeMark(0, 5)).toBe('≠');
  });
});
