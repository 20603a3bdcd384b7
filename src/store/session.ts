/**
 * Connects the store to the engine worker: a recipe change starts a run (superseding any run in
 * flight), a backend change restarts the backend, and only the newest run's result reaches the
 * store. The page thread only posts messages, so it never freezes while the engine works.
 *
 * A worker that dies is replaced by a new one, which runs the current recipe again; the history
 * and the link live in the store and are untouched. A worker that keeps dying (three times in a
 * minute) is not started again and the page says so. A GPU backend the worker loses and replaces
 * on its own only changes the backend status.
 */
import { DATA_SET_IDS, type DataSetId } from '../engine/data/datasets.ts';
import { SHIPPED_MODELS } from '../engine/model/catalog.ts';
import type { Recipe } from '../engine/recipe/recipe.ts';
import type { LabClient, LabTestHooks } from '../worker/client.ts';
import type {
  LabErrorData,
  MaskOutcome,
  PairedOutcome,
  PresetOutcome,
  RunOutcome,
} from '../worker/protocol.ts';
import {
  backendFailed,
  backendReady,
  backendStarting,
  backendChanged,
  cardsFailed,
  cardsLoaded,
  dataSizesLoaded,
  engineRestarted,
  engineStopped,
  modelInfoLoaded,
  runCancelled,
  runCancelRequested,
  runFailed,
  runFinished,
  runProgressed,
  runStarted,
} from './actions.ts';
import { macsOfLayers } from '../engine/training-estimate.ts';
import { dispatch, type LabStore } from './lab-store.ts';
import { holdLongLink } from './link-gate.ts';
import { recipeTextOf, runnableRecipe } from './state.ts';
import type { RunOrigin } from './sweep-state.ts';
import type { SweepRequest } from './sweep.ts';
import { runSweep, type SweepControl } from './sweep-runner.ts';

/** Slider drags fire many input events; a short pause lets most of them merge into one run. */
export const RUN_DELAY_MS = 25;

/** A worker that dies this often within CRASH_WINDOW_MS is not started again. */
export const MAX_CRASHES = 3;
export const CRASH_WINDOW_MS = 60_000;

export interface LabSession {
  /** Runs the current recipe again (e.g. after an error or a cancel). */
  rerun(): void;
  /**
   * After a recipe was chosen again (a preset, a run from the history): runs it when the page
   * shows a cancelled or failed run, as the same text would otherwise start nothing.
   */
  runIfStopped(): void;
  /** Stops the run in flight; the last result stays shown. */
  cancel(): void;
  /** The steps a preset becomes for a model (asks the engine). */
  expandPreset(model: string, preset: string): Promise<PresetOutcome>;
  /** The pruning mask of a layer after a recipe (from the engine's cache once it has run). */
  maskPicture(recipe: Recipe, layer: string): Promise<MaskOutcome>;
  /** Two runs' predictions on data set `data`'s test images, compared (see LabWorkerApi). */
  comparePredictions(data: DataSetId, a: Uint16Array, b: Uint16Array): Promise<PairedOutcome>;
  /** Runs the editor's recipe over a range of one step's parameter (see sweep-runner.ts). */
  sweep(request: SweepRequest): void;
  /** Stops the sweep in flight after cancelling its current run. */
  cancelSweep(): void;
  /** The current worker's test-only controls (null unless the page was opened for tests). */
  testHooks(): LabTestHooks | null;
  /** The current worker (a new one after a crash), for imports and exports. */
  client(): LabClient;
  stop(): void;
}

/**
 * Starts the lab on a worker from `createClient`, and on a new one from it whenever the worker
 * dies.
 */
export function startLabSession(
  store: LabStore,
  createClient: () => LabClient,
  assetBaseUrl: string,
  /** Awaited on every new worker before its backend starts (the page registers imported models). */
  beforeStart?: (client: LabClient) => Promise<void>,
): LabSession {
  let client: LabClient;
  const crashTimes: number[] = [];
  // Runs restored from an earlier visit keep their numbers; new ones count on from them.
  let runCounter = Math.max(0, ...store.getState().runs.map((r) => r.runId));
  /** The only run whose answer may reach the store; null while the backend is switching. */
  let currentRunId: number | null = null;
  let latestBackendRequest = 0;
  let ready = false;
  let stopped = false;
  let runTimer: ReturnType<typeof setTimeout> | undefined;
  let requestedAt = performance.now();
  const modelsAsked = new Set<string>();
  let sweepControl: SweepControl | null = null;

  /**
   * Runs `recipe` as the current run: its progress is shown and its result lands in the
   * history. Null when a newer run (or a backend switch) superseded it.
   */
  const execute = async (recipe: Recipe, origin?: RunOrigin): Promise<RunOutcome | null> => {
    // Above every run shown too: another tab's runs arrive with their own numbers.
    runCounter = Math.max(runCounter, ...store.getState().runs.map((r) => r.runId)) + 1;
    const runId = runCounter;
    currentRunId = runId;
    const recipeText = recipeTextOf(recipe);
    const askedAt = requestedAt;
    dispatch(store, runStarted, runId, recipeText);
    const outcome = await client.run(recipe, runId, (progress) => {
      if (runId === currentRunId) dispatch(store, runProgressed, runId, progress);
    });
    // A newer run (or a backend switch) superseded this one: its answer is stale.
    if (stopped || runId !== currentRunId) return null;
    switch (outcome.kind) {
      case 'done':
        dispatch(store, runFinished, {
          runId,
          recipeText: outcome.result.recipeText,
          result: outcome.result,
          timestamp: Date.now(),
          requestedAt: askedAt,
          deliveredAt: performance.now(),
          ...(origin ? { origin } : {}),
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
    return outcome;
  };

  /** Multiply-adds per digit of a model, from its layers (asked of the engine once). */
  const macsOf = async (model: string) => {
    const known = store.getState().models[model];
    const outcome = known ? { ok: true as const, info: known } : await client.modelInfo(model);
    return outcome.ok ? macsOfLayers(outcome.info.layers) : undefined;
  };

  const launchRun = async () => {
    runTimer = undefined;
    const recipe = runnableRecipe(store.getState().recipe);
    if (await holdLongLink(store, recipe, macsOf)) return;
    // Edited while the link was checked: the edit's own launch runs it.
    if (recipeTextOf(runnableRecipe(store.getState().recipe)) !== recipeTextOf(recipe)) return;
    await execute(recipe);
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

  /** What each data set downloads, for the picker's note (a set that fails says so when run). */
  const loadDataSizes = async () => {
    for (const data of DATA_SET_IDS) {
      if (store.getState().dataSizes[data]) continue;
      const outcome = await client.dataSetSizes(data);
      if (stopped) return;
      if (outcome.ok) dispatch(store, dataSizesLoaded, outcome.sizes);
    }
  };

  const loadCards = async () => {
    const cards = await client.cards();
    if (stopped) return;
    if (cards.ok) dispatch(store, cardsLoaded, cards.cards);
    else dispatch(store, cardsFailed, cards.error);
  };

  /** A new worker, watched for its death; starts its backend and runs the current recipe. */
  const connect = () => {
    const connected = createClient();
    client = connected;
    connected.onBackendChange((status) => {
      if (!stopped && client === connected) dispatch(store, backendChanged, status);
    });
    void connected.crashed.then((error) => {
      if (!stopped && client === connected) restart(error);
    });
    void (async () => {
      await beforeStart?.(connected);
      await startBackend(true);
      if (store.getState().cards.length === 0) await loadCards();
      await loadDataSizes();
    })();
  };

  const restart = (error: LabErrorData) => {
    // Whatever the dead worker was doing is over: its answers are stale.
    currentRunId = null;
    ready = false;
    if (runTimer !== undefined) clearTimeout(runTimer);
    runTimer = undefined;
    client.terminate();
    const now = Date.now();
    crashTimes.push(now);
    while (crashTimes.length > 0 && crashTimes[0] < now - CRASH_WINDOW_MS) crashTimes.shift();
    if (crashTimes.length >= MAX_CRASHES) {
      latestBackendRequest++;
      dispatch(store, engineStopped, {
        kind: 'internal',
        message: `${error.message}. It stopped ${crashTimes.length} times within a minute, so it was not started again: reload the page to try again.`,
      });
      return;
    }
    dispatch(
      store,
      engineRestarted,
      `${error.message}. A new one was started to run the recipe again.`,
    );
    modelsAsked.clear();
    connect();
  };

  connect();

  return {
    rerun: () => {
      if (ready) {
        requestedAt = performance.now();
        scheduleRun();
      } else void startBackend(false);
    },
    runIfStopped: () => {
      const { phase } = store.getState().runStatus;
      if (ready && (phase === 'cancelled' || phase === 'error')) {
        requestedAt = performance.now();
        scheduleRun();
      }
    },
    cancel: () => {
      if (runTimer !== undefined) {
        clearTimeout(runTimer);
        runTimer = undefined;
      }
      if (currentRunId !== null) {
        dispatch(store, runCancelRequested, currentRunId);
        client.cancel(currentRunId);
      }
    },
    expandPreset: (model, preset) => client.expandPreset(model, preset),
    maskPicture: (recipe, layer) => client.maskPicture(recipe, layer),
    comparePredictions: (data, a, b) => client.comparePredictions(data, a, b),
    sweep: (request) => {
      if (!ready || sweepControl?.running) return;
      if (runTimer !== undefined) clearTimeout(runTimer);
      runTimer = undefined;
      sweepControl = runSweep(store, request, {
        execute,
        cancel: () => {
          if (currentRunId !== null) client.cancel(currentRunId);
        },
        // Finished: the editor's own recipe again (cached), so the result shown matches it.
        restore: () => scheduleRun(),
      });
    },
    cancelSweep: () => sweepControl?.cancel(),
    testHooks: () => client.testHooks,
    client: () => client,
    stop: () => {
      stopped = true;
      unsubscribe();
      if (runTimer !== undefined) clearTimeout(runTimer);
    },
  };
}
