/**
 * Keeps location.hash and the store in step. The hash is the share link: on load it decides the
 * initial state, store changes rewrite it (debounced, with replaceState so the back button is
 * not flooded with slider positions), and hash edits or pasted links update the store.
 */
import {
  formatShareState,
  tryParseShareState,
  type ShareParseResult,
} from '../engine/recipe/share.ts';
import { applyShareState, linkFailed } from './actions.ts';
import { dispatch, type LabStore } from './lab-store.ts';
import { linkOpened, linkRecipeOf } from './link-gate.ts';
import { editorSteps, runnableRecipe, type LabState } from './state.ts';

export const URL_WRITE_DELAY_MS = 150;

/** Reads a location hash ("#..." included). An empty hash is simply the defaults, not an error. */
export const readHash: (hash: string) => ShareParseResult = tryParseShareState;

/** The initial store fields for a page opened at `hash`. */
export function initialStateFromHash(hash: string): Partial<LabState> {
  const parsed = readHash(hash);
  const steps = editorSteps(parsed.state.recipe.steps);
  return {
    recipe: { ...parsed.state.recipe, steps },
    stepKeys: steps.map((_, i) => i + 1),
    nextStepKey: steps.length + 1,
    ui: parsed.state.ui,
    linkError: parsed.ok
      ? null
      : `This link could not be read, so the lab opened with its defaults: ${parsed.error}`,
    linkRecipe: linkRecipeOf(parsed.state),
  };
}

/** The link's text for a state: the runnable recipe (steps at their identity left out). */
export function shareText(state: Pick<LabState, 'recipe' | 'ui'>): string {
  return formatShareState({ recipe: runnableRecipe(state.recipe), ui: state.ui });
}

/** Starts syncing; returns a function that stops it. */
export function startUrlSync(store: LabStore, win: Window = window): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** The hash as this module last wrote or read it; anything else was pasted since. */
  let known = win.location.hash;

  const writeHash = () => {
    timer = undefined;
    // A link pasted since: its hashchange event is on its way and wins; writing now would
    // overwrite it before it is read.
    if (win.location.hash !== known) return;
    const hash = `#${shareText(store.getState())}`;
    if (win.location.hash !== hash) {
      win.history.replaceState(win.history.state, '', hash);
      known = win.location.hash;
    }
  };

  const unsubscribe = store.subscribe((state, previous) => {
    if (state.recipe === previous.recipe && state.ui === previous.ui) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(writeHash, URL_WRITE_DELAY_MS);
  });

  const onHashChange = () => {
    // A link typed or pasted into the address bar wins over a pending write of older state.
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    known = win.location.hash;
    const current = shareText(store.getState());
    const parsed = readHash(win.location.hash);
    if (!parsed.ok) {
      dispatch(
        store,
        linkFailed,
        `This link could not be read, so nothing changed: ${parsed.error}`,
      );
      // The address bar goes back to the link of what the page shows.
      win.history.replaceState(win.history.state, '', `#${current}`);
      known = win.location.hash;
      return;
    }
    if (shareText(parsed.state) === current) return;
    dispatch(store, applyShareState, parsed.state);
    dispatch(store, linkOpened, parsed.state);
  };
  win.addEventListener('hashchange', onHashChange);

  return () => {
    unsubscribe();
    if (timer !== undefined) clearTimeout(timer);
    win.removeEventListener('hashchange', onHashChange);
  };
}
