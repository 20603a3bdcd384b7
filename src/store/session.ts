/**
 * Connects the store to the engine worker: a recipe change starts a run (superseding any run in
 * flight), a backend change restarts the backend, and only the newest run's result reaches the
 * store. The page thread only posts messages, so it never freezes while the engine works.
 */
import { formatRecipe } from '../engine/recipe/share.ts';
import type { LabClient } from '../worker/client.ts';
import {
  backendFailed,
  backendReady,
  backendStarting,
  cardsFailed,
  cardsLoaded,
  runFailed,
  runFinished,
  runProgressed,
  runStarted,
} from './actions.ts';
import { dispatch, type LabStore } from './lab-store.ts';

/** Slider drags fire many input events; a short pause lets most of them merge into one run. */
export const RUN_DELAY_MS = 25;

export interface LabSession {
  /** Runs the current recipe again (e.g. after an error). */
  rerun(): void;
  stop(): void;
}

export function startLabSession(
  store: LabStore,
  client: LabClient,
  assetBaseUrl: string,
): LabSession {
  let runCounter = 0;
  /** The only run whose answer may reach the store; null while the backend is switching. */
  let currentRunId: number | null = null;
  let latestBackendRequest = 0;
  let ready = false;
  let stopped = false;
  let runTimer: ReturnType<typeof setTimeout> | undefined;
  let requestedAt = performance.now();

  const launchRun = async () => {
    runTimer = undefined;
    const runId = ++runCounter;
    currentRunId = runId;
    const { recipe } = store.getState();
    const recipeText = formatRecipe(recipe);
    const askedAt = requestedAt;
    dispatch(store, runStarted, runId, recipeText);
    const outcome = await client.run(recipe, runId, (p) => {
      if (runId === currentRunId) dispatch(store, runProgressed, runId, p.stage, p.fraction);
    });
    // A newer run (or a backend switch) superseded this one: its answer is stale.
    if (stopped || runId !== currentRunId) return;
    switch (outcome.kind) {
      case 'done':
        dispatch(store, runFinished, {
          runId,
          recipeText: outcome.result.recipeText,
          result: outcome.result,
          timestamp: Date.now(),
          requestedAt: askedAt,
          deliveredAt: performance.now(),
        });
        break;
      case 'error':
        dispatch(store, runFailed, outcome.error);
        break;
      case 'cancelled':
        break;
    }
  };

  const scheduleRun = () => {
    if (!ready || stopped) return;
    if (runTimer !== undefined) clearTimeout(runTimer);
    runTimer = setTimeout(() => void launchRun(), RUN_DELAY_MS);
  };

  const startBackend = async (initial: boolean) => {
    const request = ++latestBackendRequest;
    ready = false;
    currentRunId = null; // whatever runs now belongs to the old backend
    const { backend } = store.getState().ui;
    dispatch(store, backendStarting, backend);
    const outcome = initial
      ? await client.init(assetBaseUrl, backend)
      : await client.setBackend(backend);
    if (stopped || request !== latestBackendRequest) return;
    if (!outcome.ok) {
      dispatch(store, backendFailed, outcome.error);
      return;
    }
    dispatch(store, backendReady, outcome.status);
    ready = true;
    requestedAt = performance.now();
    void launchRun();
  };

  const unsubscribe = store.subscribe((state, previous) => {
    if (state.ui.backend !== previous.ui.backend) {
      void startBackend(false);
      return;
    }
    if (
      state.recipe !== previous.recipe &&
      formatRecipe(state.recipe) !== formatRecipe(previous.recipe)
    ) {
      requestedAt = performance.now();
      scheduleRun();
    }
  });

  void (async () => {
    await startBackend(true);
    const cards = await client.cards();
    if (stopped) return;
    if (cards.ok) dispatch(store, cardsLoaded, cards.cards);
    else dispatch(store, cardsFailed, cards.error);
  })();

  return {
    rerun: () => {
      if (ready) {
        requestedAt = performance.now();
        scheduleRun();
      } else void startBackend(false);
    },
    stop: () => {
      stopped = true;
      unsubscribe();
      if (runTimer !== undefined) clearTimeout(runTimer);
    },
  };
}
