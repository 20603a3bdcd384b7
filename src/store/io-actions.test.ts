import { describe, expect, it } from 'vitest';
import { restoredState, userModelAdded, userModelRemoved } from './io-actions.ts';
import type { UserModelInfo } from './page-io-state.ts';
import { INITIAL_STATE, type LabState } from './state.ts';
import { initialStateFromHash } from './url-sync.ts';

const mine: UserModelInfo = {
  id: 'user/my-mlp/0123456789abcdef',
  name: 'my-mlp',
  kind: 'layers',
  params: 266_610,
  bytes: 1_068_000,
  importedAt: 1,
  persisted: true,
};
const link = `#v=1&model=${mine.id}&seed=3&steps=prune(fraction=0.9)&backend=wasm`;

describe('restoredState: a reload or a link on an imported model', () => {
  it('opens a link on an imported model where the model is', () => {
    const state = restoredState(initialStateFromHash(link), [], [mine], null);
    expect(state.recipe?.model).toBe(mine.id);
    expect(state.recipe?.seed).toBe(3);
    expect(state.linkError).toBeNull();
  });

  it('opens the defaults where it is not, saying which model the link needs', () => {
    const state = restoredState(initialStateFromHash(link), [], [], null);
    expect(state.recipe?.model).toBe(INITIAL_STATE.recipe.model);
    expect(state.recipe?.seed).toBe(INITIAL_STATE.recipe.seed);
    expect(state.linkError).toContain(
      'this link needs the model "my-mlp" (user/my-mlp/0123456789abcdef) that was imported in another browser',
    );
    expect(state.stepKeys).toHaveLength(state.recipe!.steps.length);
  });
});

describe('imported models in the store', () => {
  it('adding selects the model; removing the current one falls back to the default model', () => {
    const base: LabState = { ...INITIAL_STATE };
    const added = { ...base, ...userModelAdded(base, mine) };
    expect(added.recipe.model).toBe(mine.id);
    expect(added.recipe.steps).toEqual(base.recipe.steps);
    expect(added.userModels).toEqual([mine]);
    const removed = { ...added, ...userModelRemoved(added, mine.id) };
    expect(removed.userModels).toEqual([]);
    expect(removed.recipe.model).toBe(INITIAL_STATE.recipe.model);
    // Removing a model that is not in use leaves the recipe alone.
    const other = { ...added, recipe: { ...added.recipe, model: 'lenet300' } };
    expect(userModelRemoved(other, mine.id).recipe).toBeUndefined();
  });
});
