import { describe, expect, it } from 'vitest';
import { TOURS } from '../engine/tours.ts';
import { recipeTraining } from '../engine/training-estimate.ts';
import { setSeed } from './actions.ts';
import { createLabStore, dispatch } from './lab-store.ts';
import { holdLongLink } from './link-gate.ts';
import { runnableRecipe } from './state.ts';
import { initialStateFromHash } from './url-sync.ts';

// LeNet-5's multiply-adds per digit (its card).
const lenet5Macs = async () => 2_293_000;
const longLink = `#v=1&model=lenet5&seed=1&steps=${Array.from({ length: 32 }, () => 'finetune(epochs=60)').join(';')}`;

function storeAt(hash: string) {
  return createLabStore(initialStateFromHash(hash));
}

describe('holdLongLink', () => {
  it('holds the review’s link (32 x finetune(epochs=60)) with its estimate, once', async () => {
    const store = storeAt(longLink);
    const recipe = runnableRecipe(store.getState().recipe);
    expect(await holdLongLink(store, recipe, lenet5Macs)).toBe(true);
    const held = store.getState().heldRun!;
    expect(held.estimate.batches).toBe(32 * 60 * 125);
    expect(held.estimate.ms).toBeGreaterThan(3_600_000);
    expect(store.getState().runStatus.phase).toBe('idle');
  });

  it('lets a short link, an edited recipe and a tour link run at once', async () => {
    const short = storeAt('#v=1&model=lenet5&steps=finetune(epochs=1,batches=10)');
    expect(await holdLongLink(short, runnableRecipe(short.getState().recipe), lenet5Macs)).toBe(
      false,
    );
    expect(short.getState().linkRecipe).toBeNull();

    const edited = storeAt(longLink);
    dispatch(edited, setSeed, 7);
    expect(await holdLongLink(edited, runnableRecipe(edited.getState().recipe), lenet5Macs)).toBe(
      false,
    );

    // Every step of every tour opens at once, however long it trains.
    let longest = 0;
    for (const tour of TOURS) {
      for (let step = 1; step <= tour.steps.length; step++) {
        const store = storeAt(`#v=1&tour=${tour.id}&step=${step}`);
        longest = Math.max(
          longest,
          recipeTraining(runnableRecipe(store.getState().recipe)).reduce(
            (n, s) => n + s.batches,
            0,
          ),
        );
        expect(await holdLongLink(store, runnableRecipe(store.getState().recipe), lenet5Macs)).toBe(
          false,
        );
        expect(store.getState().heldRun).toBeNull();
      }
    }
    // The same steps without tour= would wait: Deep Compression's last step trains 4,000 batches.
    expect(longest).toBe(4000);
  });
});
