/**
 * A sweep in the page: the editor's recipe with one step's parameter set to each value of a
 * range, run one after another through the session's normal run path (so each shows its
 * progress, lands in the history and the plot, and the prefix cache spares a fine-tuned prefix
 * before the swept step). Cancel stops the run in flight and the sweep; editing the recipe
 * supersedes the run in flight and stops the sweep too. The points done so far stay.
 */
import { RecipeError } from '../engine/recipe/errors.ts';
import type { Recipe } from '../engine/recipe/recipe.ts';
import type { RunOutcome } from '../worker/protocol.ts';
import { dispatch, type LabStore } from './lab-store.ts';
import {
  planSweep,
  sweepEnded,
  sweepPointDone,
  sweepRefused,
  sweepStarted,
  type SweepRequest,
} from './sweep.ts';
import type { RunOrigin } from './sweep-state.ts';

export interface SweepDeps {
  /** Runs a recipe as the current run; null when something newer superseded it. */
  readonly execute: (recipe: Recipe, origin: RunOrigin) => Promise<RunOutcome | null>;
  /** Cancels the run in flight. */
  readonly cancel: () => void;
  /** Called after a sweep that ran to its end. */
  readonly restore: () => void;
}

export interface SweepControl {
  readonly running: boolean;
  cancel(): void;
}

let sweepCounter = 0;

export function runSweep(store: LabStore, request: SweepRequest, deps: SweepDeps): SweepControl {
  let plan;
  try {
    plan = planSweep(store.getState().recipe, request);
  } catch (err) {
    if (!(err instanceof RecipeError)) throw err;
    dispatch(store, sweepRefused, err.message);
    return { running: false, cancel: () => undefined };
  }
  const id = ++sweepCounter;
  let cancelled = false;
  const control = {
    running: true,
    cancel() {
      cancelled = true;
      deps.cancel();
    },
  };
  dispatch(store, sweepStarted, id, plan);
  const endCancelled = (done: number) =>
    dispatch(
      store,
      sweepEnded,
      id,
      'cancelled',
      `Cancelled after ${done} of ${plan.values.length}`,
    );
  void (async () => {
    try {
      for (const [i, recipe] of plan.recipes.entries()) {
        if (cancelled) {
          endCancelled(i);
          return;
        }
        const value = plan.values[i];
        const outcome = await deps.execute(recipe, { kind: 'sweep', sweepId: id, value });
        if (outcome === null) {
          dispatch(
            store,
            sweepEnded,
            id,
            'cancelled',
            `Stopped after ${i} of ${plan.values.length}: the recipe or the backend changed`,
          );
          return;
        }
        if (outcome.kind === 'cancelled') {
          endCancelled(i);
          return;
        }
        if (outcome.kind === 'error') {
          dispatch(store, sweepEnded, id, 'error', `At ${value}: ${outcome.error.message}`);
          return;
        }
        dispatch(store, sweepPointDone, id, {
          value,
          accuracy: outcome.result.accuracy,
          sizeBytes: outcome.result.sizeBytes,
          recipeText: outcome.result.recipeText,
        });
      }
      dispatch(store, sweepEnded, id, 'done');
      deps.restore();
    } finally {
      control.running = false;
    }
  })();
  return control;
}
