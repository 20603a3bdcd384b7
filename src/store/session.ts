/**
 * Connects the store to the engine worker: a recipe change starts a run (superseding any run in
 * flight), a backend change restarts the backend, and only the newest run's result reaches the
 * store. The page thread only posts messages, so it never freezes while the engine works.
 */
import { SHIPPED_MODELS } from '../engine/model/catalog.ts';
import type { Recipe } from '../engine/recipe/recipe.ts';
import type { LabClient } from '../worker/client.ts';
import type { MaskOutcome, PresetOutcome } from '../worker/protocol.ts';
import {
  backendFailed,
  backendReady,
  backendStarting,
  cardsFailed,
  cardsLoaded,
  modelInfoLoaded,
  runCancelled,
  runFailed,
  runFinished,
  runProgressed,
  runStarted,
} from './actions.ts';
import { dispatch, type LabStore } from './lab-store.ts';
import { recipeTextOf, runnableRecipe } from './state.ts';

/** Slider drags fire many input events; a short pause lets most of them merge into one run. */
export const RUN_DELAY_MS = 25;

export interface LabSession {
  /** Runs the current recipe again (e.g. after an error or a cancel). */
  rerun(): void;
  /** Stops the run in flight; the last result stays shown. */
  cancel(): void;
  /** The steps a preset becomes for a model (asks the engine). */
  expandPreset(model: string, preset: string): Promise<PresetOutcome>;
  /** The pruning mask of a layer after a recipe (from the engine's cache once it has run). */
  maskPicture(recipe: Recipe, layer: string): Promise<MaskOutcome>;
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
  const modelsAsked = new Set<string>();

  const launchRun = async () => {
    runTimer = undefined;
    const runId = ++runCounter;
    currentRunId = runId;
    const recipe = runnableRecipe(store.getState().recipe);
    const recipeText = recipeTextOf(recipe);
    const askedAt = requestedAt;
    dispatch(store, runStarted, runId, recipeText);
    const outcome = await client.run(recipe, runId, (progress) => {
      if (runId === currentRunId) dispatch(store, runProgressed, runId, progress);
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
        // Only the user's Cancel gets here: a superseded run is no longer current.
        dispatch(store, runCancelled, runId);
        break;
    }
  };

  const scheduleRun = () => {
    if (!ready || stopped) return;
    if (runTimer !== undefined) clearTimeout(runTimer);
    runTimer = setTimeout(() => void launchRun(), RUN_DELAY_MS);
  };

  /** Loads the layers of `model` once (per-layer controls, shapes before compression). */
  const askModelInfo = async (model: string) => {
    if (modelsAsked.has(model) || store.getState().models[model]) return;
    modelsAsked.add(model);
    const outcome = await client.modelInfo(model);
    if (stopped) return;
    if (outcome.ok) dispatch(store, modelInfoLoaded, outcome.info);
    else modelsAsked.delete(model); // an unknown model: its run shows the error
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
    if (initial) {
      // The current model first, then the others, so switching model keeps per-layer values.
      const current = store.getState().recipe.model;
      for (const model of [current, ...SHIPPED_MODELS.filter((m) => m !== current)]) {
        void askModelInfo(model);
      }
    }
  };

  const unsubscribe = store.subscribe((state, previous) => {
    if (state.ui.backend !== previous.ui.backend) {
      void startBackend(false);
      return;
    }
    if (state.recipe.model !== previous.recipe.model && ready) {
      void askModelInfo(state.recipe.model);
    }
    if (
      state.recipe !== previous.recipe &&
      recipeTextOf(state.recipe) !== recipeTextOf(previous.recipe)
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
    cancel: () => {
      if (runTimer !== undefined) {
        clearTimeout(runTimer);
        runTimer = undefined;
      }
      if (currentRunId !== null) client.cancel(currentRunId);
    },
    expandPreset: (model, preset) => client.expandPreset(model, preset),
    maskPicture: (recipe, layer) => client.maskPicture(recipe, layer),
    stop: () => {
      stopped = true;
      unsubscribe();
      if (runTimer !== undefined) clearTimeout(runTimer);
    },
  };
}
