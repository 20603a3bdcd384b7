import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TECHNIQUE_SPECS } from '../techniques/catalog.ts';
import type { ParamSpec, ParamValue } from '../techniques/technique.ts';
import { growthOf, timeOf, attempt } from '../test/timing.ts';
import { RecipeError } from './errors.ts';
import {
  MAX_STEPS,
  formatSteps,
  normalizeRecipe,
  parseNumber,
  parseSteps,
  roundToStep,
  type RecipeStep,
} from './recipe.ts';
import { MAX_STATE_TEXT, formatRecipe, parseRecipe, parseShareState } from './share.ts';

const refuses = (text: string, message: RegExp) => {
  expect(() => parseShareState(text)).toThrow(RecipeError);
  expect(() => parseShareState(text)).toThrow(message);
};

describe('parsing time', () => {
  it('refuses a 20,000-digit number as fast as a 2,000-digit one (it once took 0.2 s)', () => {
    const digits = (n: number) => `${'1'.repeat(n)}a`;
    const { ratio, largeMs } = growthOf(digits, (t) => parseNumber(t, 'x'), 2000);
    // A quadratic pattern takes ~100 times as long for ten times the digits; a capped linear
    // parser takes about as long.
    expect(ratio).toBeLessThan(30);
    expect(largeMs).toBeLessThan(20);
    expect(() => parseNumber(digits(20_000), 'fraction')).toThrow(/fraction must be a number/);
  });

  it('refuses over-long links, steps and values before parsing them', () => {
    refuses(`steps=prune(fraction=${'1'.repeat(20_000)}a)`, /the link is too long/);
    refuses(`steps=prune(fraction=${'1'.repeat(9_000)}a)`, /the steps are too long/);
    refuses(`steps=prune(fraction=${'1'.repeat(5_000)}a)`, /fraction is too long/);
    refuses(`steps=prune(fraction=${'1'.repeat(100)})`, /fraction must be a number/);
    refuses(`model=${'a'.repeat(201)}`, /is not a model name/);
    expect(() => parseShareState('x'.repeat(MAX_STATE_TEXT + 1))).toThrow(/too long/);
  });

  // Inputs built from the grammar's own characters, in runs and repeated pieces: the shapes
  // that make backtracking patterns and nested loops blow up.
  const families: Record<string, (n: number) => string> = {
    'a run of digits, then a letter': (n) => `steps=prune(fraction=${'1'.repeat(n)}a)`,
    'digits and points': (n) => `steps=prune(fraction=${'1.'.repeat(n / 2)})`,
    'a long exponent': (n) => `steps=prune(fraction=1${'e1'.repeat(n / 2)})`,
    signs: (n) => `steps=prune(fraction=${'-+'.repeat(n / 2)}1)`,
    'per-layer entries': (n) => `steps=prune-density(density=${'a:1|'.repeat(n / 4)})`,
    'a long layer name': (n) => `steps=prune-density(density=${'a'.repeat(n)}:0.5)`,
    colons: (n) => `steps=prune-density(density=${':'.repeat(n)}1)`,
    parameters: (n) => `steps=prune(${'fraction=1,'.repeat(n / 11)})`,
    steps: (n) => `steps=${'prune(fraction=0.5);'.repeat(n / 20)}`,
    parentheses: (n) => `steps=prune${'('.repeat(n)}`,
    'equals signs': (n) => `steps=prune(fraction${'='.repeat(n)})`,
    ampersands: (n) => `v=1${'&'.repeat(n)}`,
    settings: (n) => 'v=1&model=lenet5'.repeat(n / 16),
    'percent escapes': (n) => `steps=${'%2'.repeat(n / 2)}`,
    'hide entries': (n) => `hide=${'model,'.repeat(n / 6)}`,
    hashes: (n) => `http://x/${'#'.repeat(n)}`,
    'a scheme': (n) => `${'a'.repeat(n)}://`,
  };

  it.each(Object.entries(families))(
    'parses links of %s in time linear in their length',
    (_, make) => {
      // 900 and 9,000 characters: both under the link's cap, so the parser itself is timed.
      const { ratio } = growthOf(make, (t) => parseShareState(t), 900);
      expect(ratio).toBeLessThan(30);
    },
  );

  it('parses a long valid recipe quickly', () => {
    const layers = Array.from({ length: 200 }, (_, i) => `layer${i}:0.5`).join('|');
    const text = `steps=prune-density(density=${layers});finetune(epochs=1,batches=3)`;
    expect(parseRecipe(text).steps).toHaveLength(2);
    expect(timeOf(() => attempt(() => parseRecipe(text)))).toBeLessThan(20);
  });
});

describe('recipe grammar', () => {
  it('reads exponents, as String() writes them', () => {
    expect(parseNumber('1e+3', 'x')).toBe(1000);
    expect(parseNumber('5E-1', 'x')).toBe(0.5);
    expect(parseNumber('+.5', 'x')).toBe(0.5);
    expect(parseRecipe('steps=finetune(batches=1e+3)').steps[0].params.batches).toBe(1000);
    expect(parseRecipe('steps=prune(fraction=5e-1)').steps[0].params.fraction).toBe(0.5);
    for (const bad of ['1e', 'e1', '1.2.3', '--1', '1e+', '0x10', 'Infinity', 'NaN', '']) {
      expect(() => parseNumber(bad, 'x')).toThrow(RecipeError);
    }
  });

  /** Values a parameter may take, on its grid, canonical. */
  function valueOf(spec: ParamSpec): fc.Arbitrary<ParamValue> {
    switch (spec.type) {
      case 'number': {
        const steps = Math.round((spec.max - spec.min) / spec.step);
        return fc
          .integer({ min: 0, max: steps })
          .map((k) => roundToStep(spec.min + k * spec.step, spec));
      }
      case 'integer':
        return fc.integer({ min: spec.min, max: spec.max });
      case 'boolean':
        return fc.boolean();
      case 'choice':
        return fc.constantFrom(...spec.options.map((o) => o.value));
      case 'perLayer': {
        const steps = Math.round((spec.max - spec.min) / spec.step);
        const value = fc
          .integer({ min: 0, max: steps })
          .map((k) => roundToStep(spec.min + k * spec.step, spec));
        const name = fc.stringMatching(/^[A-Za-z0-9_./-]{1,12}$/);
        return fc
          .tuple(value, fc.dictionary(name, value, { maxKeys: 4 }))
          .map(([star, layers]) => ({ '*': star, ...layers }));
      }
    }
  }

  const step: fc.Arbitrary<RecipeStep> = fc.constantFrom(...TECHNIQUE_SPECS).chain((t) =>
    fc.tuple(...t.params.map(valueOf)).map((values) => ({
      technique: t.id,
      params: Object.fromEntries(t.params.map((p, i) => [p.name, values[i]])),
    })),
  );

  it('round-trips every technique and parameter through its text, exactly', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 4 }), (steps) => {
        const normalized = normalizeRecipe({ model: 'lenet5', seed: 1, steps }).steps;
        const text = formatSteps(normalized);
        expect(parseSteps(text)).toEqual(normalized);
        expect(formatSteps(parseSteps(text))).toBe(text);
        const link = formatRecipe({ model: 'lenet5', seed: 1, steps: normalized });
        expect(parseRecipe(link).steps).toEqual(normalized);
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    ['seed=-0', /seed must be a whole number/],
    ['seed=+1', /seed must be a whole number/],
    ['seed=1.0', /seed must be a whole number/],
    ['seed=2147483648', /seed must be a whole number from 0 to 2147483647/],
    ['hide=model,model', /hide lists "model" twice/],
    ['hide=seed,backend,seed', /hide lists "seed" twice/],
    ['steps=prune(fraction=0.5,)', /an empty parameter/],
    ['steps=prune(,fraction=0.5)', /an empty parameter/],
    ['steps=prune(fraction=0.5);', /is not of the form/],
    ['steps=prune(constructor=1)', /prune has no parameter "constructor"/],
    ['steps=prune(__proto__=1)', /prune has no parameter "__proto__"/],
    ['steps=prune(toString=1)', /prune has no parameter "toString"/],
    ['steps=prune(hasOwnProperty=0.5)', /prune has no parameter "hasOwnProperty"/],
    ['steps=constructor()', /unknown technique "constructor"/],
    ['steps=prune-density(density=constructor:0.5|constructor:0.4)', /constructor is given twice/],
    ['constructor=1', /unknown setting "constructor"/],
    ['__proto__=1', /unknown setting "__proto__"/],
    ['hide=constructor', /unknown control "constructor"/],
    ['backend=constructor', /backend must be one of/],
    ['steps=finetune(optimizer=constructor)', /optimizer must be one of adam|must be one of/],
  ])('refuses %s', (text, message) => {
    refuses(text, message);
  });

  it('takes layer names that are also names of Object properties', () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const text = `v=1&model=lenet5&seed=1&steps=prune-density(density=*:0.5|${name}:0.25)`;
      const recipe = parseRecipe(text);
      expect(Object.keys(recipe.steps[0].params.density as object)).toEqual(['*', name]);
      expect(formatRecipe(recipe)).toBe(text);
    }
  });

  it('applies the step limit to recipes from anywhere, not only to links', () => {
    const step = { technique: 'prune', params: { fraction: 0.5 } };
    const recipe = (n: number) => ({ model: 'lenet5', seed: 1, steps: new Array(n).fill(step) });
    expect(normalizeRecipe(recipe(MAX_STEPS)).steps).toHaveLength(MAX_STEPS);
    expect(() => normalizeRecipe(recipe(MAX_STEPS + 1))).toThrow(
      `a recipe has at most ${MAX_STEPS} steps`,
    );
    expect(() =>
      parseShareState(`steps=${new Array(MAX_STEPS + 1).fill('prune(fraction=0.5)').join(';')}`),
    ).toThrow(`a recipe has at most ${MAX_STEPS} steps`);
  });

  it('refuses -0 and other non-canonical seeds in recipes from anywhere', () => {
    for (const seed of [-0, -1, 0.5, 2 ** 31, NaN]) {
      expect(() => normalizeRecipe({ model: 'lenet5', seed, steps: [] })).toThrow(RecipeError);
    }
    expect(normalizeRecipe({ model: 'lenet5', seed: 0, steps: [] }).seed).toBe(0);
  });

  it('checks parameters given as objects with a prototype by their own keys only', () => {
    const inherited = Object.create({ fraction: 0.9 }) as Record<string, ParamValue>;
    expect(
      normalizeRecipe({
        model: 'lenet5',
        seed: 1,
        steps: [{ technique: 'prune', params: inherited }],
      }).steps[0].params.fraction,
    ).toBe(0.5); // the default: an inherited value is not a given one
    expect(() =>
      normalizeRecipe({
        model: 'lenet5',
        seed: 1,
        steps: [{ technique: 'prune', params: JSON.parse('{"__proto__": 1}') }],
      }),
    ).toThrow(/no parameter "__proto__"/);
  });
});
