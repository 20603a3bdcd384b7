/**
 * The recipe version of what the CLI runs: a recipe it makes (--prune, --preset, --recipe
 * without v=) is version 2, a link given with its v= keeps it (docs/links-keep-their-numbers.md).
 */
import { describe, expect, it } from 'vitest';
import { formatRecipe } from '../engine/recipe/share.ts';
import { recipeOptionsOf } from './recipe-options.ts';

const text = async (flags: Parameters<typeof recipeOptionsOf>[0]) =>
  formatRecipe((await recipeOptionsOf(flags)).recipe);

describe('the recipe version of a CLI run', () => {
  it('makes version 2 recipes from --prune and --recipe without v=', async () => {
    expect(await text({ model: 'lenet300', prune: '0.9', backend: 'wasm' })).toBe(
      'v=2&model=lenet300&seed=1&steps=prune(fraction=0.9)',
    );
    expect(await text({ recipe: 'model=lenet5&steps=prune(fraction=0.5)', backend: 'wasm' })).toBe(
      'v=2&model=lenet5&seed=1&steps=prune(fraction=0.5)',
    );
  });

  it("keeps a link's own version, and another --seed makes a new recipe", async () => {
    const link = 'http://localhost:5173/#v=1&model=lenet300&seed=1&steps=prune(fraction=0.95)';
    const own = link.split('#')[1];
    expect(await text({ recipe: link, backend: 'wasm' })).toBe(own);
    expect(await text({ recipe: link, model: 'lenet300', seed: 1, backend: 'wasm' })).toBe(own);
    expect(await text({ recipe: link, seed: 3, backend: 'wasm' })).toBe(
      'v=2&model=lenet300&seed=3&steps=prune(fraction=0.95)',
    );
  });
});
