import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecipeError } from './errors.ts';
import {
  MAX_GRID_POINTS,
  expandRange,
  parseGrid,
  parseShard,
  rangeCount,
  shardIndices,
} from './grid.ts';
import { formatSteps, parseSteps } from './recipe.ts';

const refuses = (text: string, message: RegExp) => {
  expect(() => parseGrid(text)).toThrow(RecipeError);
  expect(() => parseGrid(text)).toThrow(message);
};

describe('expandRange', () => {
  it('includes `to` when it lands on the grid, and stops below it otherwise', () => {
    expect(expandRange(0.5, 0.99, 0.01)).toHaveLength(50);
    expect(expandRange(0.5, 0.99, 0.01).at(-1)).toBe(0.99);
    expect(expandRange(0.5, 0.99, 0.01)[7]).toBe(0.57); // 0.5 + 7 * 0.01 is 0.5700000000000001
    expect(expandRange(0.1, 0.35, 0.1)).toEqual([0.1, 0.2, 0.3]);
    expect(expandRange(2, 8, 3)).toEqual([2, 5, 8]);
    expect(expandRange(0.7, 0.7, 0.05)).toEqual([0.7]);
  });

  it('counts floor((to - from) / step) + 1 values, ascending, within [from, to], on the decimal grid', () => {
    // from, step and to drawn as whole hundredths (thousandths, ...), so the expected values
    // are exact decimals written independently of the code under test.
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: -5000, max: 5000 }),
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 0, max: 499 }),
        (decimals, fromUnits, stepUnits, steps, over) => {
          const remainder = over % stepUnits; // to lies `remainder` units past the last value
          const toUnits = fromUnits + steps * stepUnits + remainder;
          const text = (units: number) => {
            const scale = 10 ** decimals;
            return Number(
              `${units < 0 ? '-' : ''}${Math.floor(Math.abs(units) / scale)}.${String(Math.abs(units) % scale).padStart(decimals, '0')}`,
            );
          };
          const [from, to, step] = [text(fromUnits), text(toUnits), text(stepUnits)];
          const values = expandRange(from, to, step);
          expect(values).toHaveLength(steps + 1);
          expect(rangeCount(from, to, step)).toBe(steps + 1);
          expect(values[0]).toBe(from);
          expect(values.at(-1)).toBe(text(fromUnits + steps * stepUnits));
          for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThan(values[i - 1]);
          for (const [i, v] of values.entries()) {
            expect(v).toBeGreaterThanOrEqual(from);
            expect(v).toBeLessThanOrEqual(to);
            expect(v).toBe(text(fromUnits + i * stepUnits));
          }
        },
      ),
    );
  });
});

describe('parseGrid', () => {
  it('expands one range into recipes that differ only in that value', () => {
    const grid = parseGrid('prune(fraction=0.5..0.99:0.01)');
    expect(grid.size).toBe(50);
    expect(grid.axes).toEqual([
      expect.objectContaining({ technique: 'prune', param: 'fraction', stepIndex: 0 }),
    ]);
    expect(formatSteps(grid.point(0).steps)).toBe('prune(fraction=0.5)');
    expect(formatSteps(grid.point(49).steps)).toBe('prune(fraction=0.99)');
    expect(grid.point(7).values).toEqual([0.57]);
  });

  it('makes the product of several ranges, the first range outermost', () => {
    const grid = parseGrid('prune(fraction=0.5..0.7:0.1);finetune(epochs=1..2:1,batches=3)');
    expect(grid.size).toBe(6);
    const texts = Array.from({ length: grid.size }, (_, i) => formatSteps(grid.point(i).steps));
    const expected = [0.5, 0.6, 0.7].flatMap((f) =>
      [1, 2].map((e) =>
        formatSteps(parseSteps(`prune(fraction=${f});finetune(epochs=${e},batches=3)`)),
      ),
    );
    expect(texts).toEqual(expected);
    expect(grid.point(3).values).toEqual([0.6, 2]);
  });

  it('keeps the steps without ranges as they are', () => {
    const grid = parseGrid('finetune(epochs=1,batches=2);prune(fraction=0..0.2:0.1)');
    // fraction 0 is pruning's identity, dropped as in any recipe.
    expect(formatSteps(grid.point(0).steps)).toBe(
      formatSteps(parseSteps('finetune(epochs=1,batches=2)')),
    );
    expect(grid.point(2).steps[1]).toEqual(parseSteps('prune(fraction=0.2)')[0]);
  });

  it('refuses malformed ranges with a message naming the step and parameter', () => {
    refuses('prune(fraction=0.5..0.9:0)', /prune fraction=0.5..0.9:0: the step must be above 0/);
    refuses('prune(fraction=0.5..0.9:-0.1)', /the step must be above 0/);
    refuses('prune(fraction=0.9..0.5:0.1)', /from \(0.9\) is above to \(0.5\)/);
    refuses('prune(fraction=0.5..:0.1)', /step 1 prune fraction: "0.5..:0.1" is not a range/);
    refuses('prune(fraction=0.5..0.9)', /is not a range from..to:step/);
    refuses('prune(fraction=a..0.9:0.1)', /range from must be a number/);
    refuses('prune(fraction=0.5..0.9:0.1x)', /range step must be a number/);
  });

  it('refuses a range outside the parameter bounds or off its step', () => {
    refuses('prune(fraction=0.5..1:0.1)', /prune fraction must be between 0 and 0.99/);
    refuses('prune(fraction=-0.1..0.5:0.1)', /must be between 0 and 0.99/);
    refuses('prune(fraction=0.5..0.9:0.005)', /step 0.005 is not a multiple of 0.01/);
    refuses('prune(fraction=0.505..0.9:0.01)', /from 0.505 is not a multiple of 0.01/);
    refuses('finetune(epochs=1..3:0.5)', /step 0.5 is not a multiple of 1/);
  });

  it('refuses a range on a parameter that is not a number', () => {
    refuses(
      'finetune(optimizer=1..2:1)',
      /a range needs a number parameter, and finetune optimizer takes a choice/,
    );
    refuses('prune-density(density=0.1..0.5:0.1)', /prune-density density takes per-layer values/);
    refuses('prune(amount=0.1..0.5:0.1)', /prune has no parameter "amount"/);
  });

  it('refuses too many points, for one range and for a product', () => {
    refuses(
      'finetune(lr=0.000001..0.1:0.000001)',
      /100000 values, more than the 10000 a sweep may have/,
    );
    refuses(
      'prune(fraction=0..0.99:0.01);finetune(epochs=0..60:1,batches=0..1000:10)',
      new RegExp(
        `the grid has ${100 * 61 * 101} points \\(100 x 61 x 101\\), more than the ${MAX_GRID_POINTS}`,
      ),
    );
    expect(() => parseGrid('prune(fraction=0.5..0.99:0.01)', 20)).toThrow(
      /50 values, more than the 20/,
    );
  });

  it('refuses what the recipe grammar refuses in the rest of the text', () => {
    refuses('prune(fraction=0.5..0.9:0.1);nope(x=1)', /unknown technique "nope"/);
    refuses('prune(fraction=0.5..0.9:0.1,fraction=0.2)', /fraction is given twice/);
  });
});

describe('shards', () => {
  it('reads i/n counted from 0 and refuses the rest', () => {
    expect(parseShard('3/4')).toEqual({ index: 3, count: 4 });
    expect(() => parseShard('4/4')).toThrow(/counted from 0, so the last is 3\/4/);
    expect(() => parseShard('1/0')).toThrow(/at least 1/);
    expect(() => parseShard('a/b')).toThrow(/a shard is i\/n/);
  });

  it('split the grid into disjoint slices whose union is the whole grid, in a fixed order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 1, max: 64 }), (size, n) => {
        const slices = Array.from({ length: n }, (_, i) =>
          shardIndices(size, { index: i, count: n }),
        );
        const all = slices.flat();
        expect(all).toHaveLength(size); // disjoint: no index twice ...
        expect(new Set(all).size).toBe(size);
        expect([...all].sort((a, b) => a - b)).toEqual(Array.from({ length: size }, (_, i) => i));
        for (const [i, slice] of slices.entries()) {
          // ... each in grid order, the same on every call, sizes within one of each other
          expect(slice).toEqual([...slice].sort((a, b) => a - b));
          expect(shardIndices(size, { index: i, count: n })).toEqual(slice);
          expect(Math.abs(slice.length - size / n)).toBeLessThan(1);
        }
      }),
    );
  });
});
