/**
 * A shared link may ask for hours of training (32 steps of `finetune(epochs=60)` is a valid
 * recipe). A link opened (on load or pasted) whose training is estimated longer than
 * LINK_TRAINING_LIMIT_MS (engine/training-estimate.ts) does not start: the page shows the
 * estimate and waits for Run. A guided tour's link opens at once (its steps are short or
 * cached), and so does any recipe the person edits themselves.
 */
import type { ShareState } from '../engine/recipe/share.ts';
import type { Recipe } from '../engine/recipe/recipe.ts';
import {
  estimateTraining,
  LINK_TRAINING_LIMIT_MS,
  measuredMsPerDigit,
  recipeTraining,
} from '../engine/training-estimate.ts';
import { dispatch, type LabStore } from './lab-store.ts';
import { recipeTextOf, runnableRecipe, type HeldRun, type LabState, type Patch } from './state.ts';

/** The recipe text a link opened, still to be checked before it runs; null for a tour. */
export function linkRecipeOf(share: ShareState): string | null {
  return share.ui.tour === undefined ? recipeTextOf(runnableRecipe(share.recipe)) : null;
}

/** A link was opened: its recipe is checked before it trains. */
export function linkOpened(_state: LabState, share: ShareState): Patch {
  return { linkRecipe: linkRecipeOf(share), heldRun: null };
}

/** The link's recipe may run: it is short, it was edited, or the person pressed Run. */
export function linkCleared(): Patch {
  return { linkRecipe: null, heldRun: null };
}

/** Nothing runs: the page shows the estimate and a Run button instead of a spinner. */
export function runHeld(_state: LabState, held: HeldRun): Patch {
  return { heldRun: held, runStatus: { phase: 'idle' } };
}

/**
 * Whether `recipe` must wait for Run: it is the recipe a link opened and its training is
 * estimated over the limit (the time per digit measured in this page's history for the model
 * and backend, else guessed from `macsOf(model)`). Holds it in the store when so; otherwise
 * the link is cleared, so the check runs once per link.
 */
export async function holdLongLink(
  store: LabStore,
  recipe: Recipe,
  macsOf: (model: string) => Promise<number | undefined>,
): Promise<boolean> {
  const text = recipeTextOf(recipe);
  const link = store.getState().linkRecipe;
  if (link === null) return false;
  if (link !== text || recipeTraining(recipe).every((s) => s.digits === 0)) {
    dispatch(store, linkCleared);
    return false;
  }
  const macs = await macsOf(recipe.model);
  const state = store.getState();
  // An unknown model fails on its own; a newer edit or link is checked by its own run.
  if (macs === undefined || state.linkRecipe !== text) return false;
  const backend = state.backendStatus?.active;
  const measured = backend
    ? measuredMsPerDigit(
        state.runs.map((r) => r.result),
        recipe.model,
        backend,
      )
    : undefined;
  const estimate = estimateTraining(recipe, { measuredMsPerDigit: measured, macsPerDigit: macs });
  if (estimate.ms <= LINK_TRAINING_LIMIT_MS) {
    dispatch(store, linkCleared);
    return false;
  }
  dispatch(store, runHeld, { recipeText: text, estimate });
  return true;
}
