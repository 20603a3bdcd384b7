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
    expect(
      await text({ model: 'lenet300', prune: '0.9', data: 'mnist-10k', backend: 'wasm' }),
    ).toBe('v=2&model=lenet300&seed=1&steps=prune(fraction=0.9)');
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

describe('the data set of a CLI run', () => {
  it('puts a new experiment on mnist, or on the data set --data names', async () => {
    expect(await text({ model: 'lenet5', prune: '0.5', backend: 'wasm' })).toBe(
      'v=2&model=lenet5&data=mnist&seed=1&steps=prune(fraction=0.5)',
    );
    expect(await text({ model: 'lenet5', preset: 'dsd', backend: 'wasm' })).toBe(
      'v=2&model=lenet5&data=mnist&seed=1&steps=',
    );
    expect(
      await text({ model: 'lenet5', prune: '0.5', data: 'fashion-mnist', backend: 'wasm' }),
    ).toBe('v=2&model=lenet5&data=fashion-mnist&seed=1&steps=prune(fraction=0.5)');
  });

  it("keeps a recipe's own data set: none named is mnist-10k, as its link always was", async () => {
    const link = 'http://localhost:5173/#v=1&model=lenet300&seed=1&steps=prune(fraction=0.95)';
    expect(await text({ recipe: link, backend: 'wasm' })).toBe(link.split('#')[1]);
    expect(
      await text({
        recipe: 'model=lenet5&data=fashion-mnist&steps=prune(fraction=0.5)',
        backend: 'wasm',
      }),
    ).toBe('v=2&model=lenet5&data=fashion-mnist&seed=1&steps=prune(fraction=0.5)');
  });

  it('lets --data name the data set of a recipe that names none: a new recipe', async () => {
    const link = 'http://localhost:5173/#v=1&model=lenet300&seed=1&steps=prune(fraction=0.95)';
    expect(await text({ recipe: link, data: 'mnist', backend: 'wasm' })).toBe(
      'v=2&model=lenet300&data=mnist&seed=1&steps=prune(fraction=0.95)',
    );
    // The same data set as the recipe's own is no change.
    expect(await text({ recipe: link, data: 'mnist-10k', backend: 'wasm' })).toBe(
      link.split('#')[1],
    );
  });

  it('refuses --data against a recipe that names another data set, naming both', async () => {
    await expect(
      recipeOptionsOf({
        recipe: 'model=lenet5&data=fashion-mnist&steps=',
        data: 'mnist',
        backend: 'wasm',
      }),
    ).rejects.toThrow(
      "--data mnist disagrees with the recipe's data set fashion-mnist (leave out --data, or data= in the recipe)",
    );
    // The one the recipe names is no disagreement.
    expect(
      await text({
        recipe: 'model=lenet5&data=fashion-mnist&steps=',
        data: 'fashion-mnist',
        backend: 'wasm',
      }),
    ).toBe('v=2&model=lenet5&data=fashion-mnist&seed=1&steps=');
  });
});
