import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecipeError } from './errors.ts';
import {
  parseRecipe,
  parseShareState,
  formatRecipe,
  formatShareState,
  tryParseShareState,
  shareUrl,
} from './share.ts';

// Fraction 0 is the identity, dropped from recipes; the property covers every real step.
const fraction = fc.integer({ min: 1, max: 99 }).map((n) => n / 100);
const shareState = fc.record({
  recipe: fc.record({
    model: fc.constantFrom('lenet5', 'lenet300'),
    data: fc.constantFrom('mnist', 'fashion-mnist', undefined),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    steps: fc.array(
      fraction.map((f) => ({ technique: 'prune', params: { fraction: f } })),
      { maxLength: 3 },
    ),
  }),
  ui: fc.record({
    backend: fc.constantFrom('auto', 'webgpu', 'webgl', 'wasm', 'cpu') as fc.Arbitrary<'auto'>,
    hide: fc.subarray(['model', 'backend', 'seed', 'prune', 'history'] as const),
  }),
});

describe('share link codec', () => {
  it('round-trips every state through its canonical text and a full URL', () => {
    fc.assert(
      fc.property(shareState, (state) => {
        const text = formatShareState(state);
        expect(parseShareState(text)).toEqual(state);
        expect(formatShareState(parseShareState(shareUrl('http://localhost:5173/', state)))).toBe(
          text,
        );
      }),
    );
  });

  it('writes the documented canonical recipe text', () => {
    const recipe = parseRecipe('steps=prune(fraction=0.90)&model=lenet300&seed=7');
    expect(formatRecipe(recipe)).toBe('v=2&model=lenet300&seed=7&steps=prune(fraction=0.9)');
    expect(
      parseRecipe('http://example.test/lab/#v=1&model=lenet5&seed=1&steps=prune(fraction=0.5)'),
    ).toEqual({
      model: 'lenet5',
      seed: 1,
      steps: [{ technique: 'prune', params: { fraction: 0.5 } }],
      version: 1,
    });
  });

  it('drops steps that change nothing, so the baseline has one recipe text', () => {
    expect(formatRecipe(parseRecipe('model=lenet5&steps=prune(fraction=0)'))).toBe(
      'v=2&model=lenet5&seed=1&steps=',
    );
    expect(parseRecipe('steps=prune(fraction=0.004);prune(fraction=0.3)').steps).toEqual([
      { technique: 'prune', params: { fraction: 0.3 } },
    ]);
  });

  it('rounds slider values to the parameter step so links stay short and exact', () => {
    expect(parseRecipe('steps=prune(fraction=0.123456)').steps[0].params.fraction).toBe(0.12);
    expect(parseRecipe('steps=prune()').steps[0].params.fraction).toBe(0.5);
  });

  it.each([
    ['steps=prune(fraction=abc)', /fraction must be a number/],
    ['steps=prune(fraction=1.5)', /between 0 and 0.99/],
    ['steps=shrink(fraction=0.5)', /unknown technique "shrink"/],
    ['steps=prune(amount=0.5)', /no parameter "amount"/],
    ['v=99&model=lenet5', /format version "99"/],
    ['model=lenet5&colour=red', /unknown setting "colour"/],
    ['seed=-4', /seed must be a whole number/],
    ['seed=1&seed=2', /appears twice/],
    ['model=<img src=x onerror=alert(1)>', /is not a model name/],
    ['steps=%E0%A4%A', /not validly URL-encoded/],
    ['backend=quantum', /backend must be one of/],
    ['hide=everything', /unknown control "everything"/],
  ])('rejects %s with a clear message and falls back to defaults', (text, message) => {
    expect(() => parseShareState(text)).toThrow(RecipeError);
    expect(() => parseShareState(text)).toThrow(message);
    const result = tryParseShareState(text);
    expect(result.ok).toBe(false);
    // A new experiment's defaults: the "new experiments default to mnist".
    expect(result.state.recipe).toEqual({ model: 'lenet5', data: 'mnist', seed: 1, steps: [] });
  });
});

describe('the data set in a link', () => {
  it('is absent from links made before data sets, which keep mnist-10k and their text', () => {
    const old = 'v=1&model=lenet300&seed=1&steps=prune(fraction=0.95)';
    const recipe = parseRecipe(old);
    expect(recipe).toEqual({
      model: 'lenet300',
      seed: 1,
      steps: [{ technique: 'prune', params: { fraction: 0.95 } }],
      version: 1,
    });
    expect(formatRecipe(recipe)).toBe(old);
    expect(parseRecipe('model=lenet5').data).toBeUndefined();
    expect(parseRecipe('v=2&model=lenet5&seed=1&steps=').data).toBeUndefined();
  });

  it('comes right after the model, and mnist-10k named explicitly reads as a link without one', () => {
    const text = 'v=2&model=lenet5&data=fashion-mnist&seed=3&steps=prune(fraction=0.5)';
    expect(parseRecipe(text).data).toBe('fashion-mnist');
    expect(formatRecipe(parseRecipe(text))).toBe(text);
    expect(formatRecipe(parseRecipe('v=2&model=lenet5&data=mnist-10k&seed=1&steps='))).toBe(
      'v=2&model=lenet5&seed=1&steps=',
    );
  });

  it('defaults to mnist for a page opened without a recipe, and for ui-only links', () => {
    expect(parseShareState('').recipe.data).toBe('mnist');
    expect(parseShareState('backend=wasm').recipe.data).toBe('mnist');
    expect(formatRecipe(parseShareState('').recipe)).toBe(
      'v=2&model=lenet5&data=mnist&seed=1&steps=',
    );
  });

  it('refuses a data set this build lacks, naming the known ones, and opens the defaults', () => {
    const result = tryParseShareState('v=2&model=lenet5&data=cifar10&seed=1&steps=');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBe(
      'data set "cifar10" is not in this build (known: mnist, fashion-mnist, mnist-10k)',
    );
    expect(result.state.recipe.data).toBe('mnist');
  });
});
