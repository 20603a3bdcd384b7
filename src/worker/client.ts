/**
 * The page's handle on the lab worker. Wraps comlink so callers get plain promises, and turns a
 * worker that dies (script failed to load, out of memory) into an error outcome instead of
 * promises that never settle.
 */
import * as Comlink from 'comlink';
import type { BackendChoice } from '../engine/backend-names.ts';
import type { Recipe } from '../engine/recipe/recipe.ts';
import type {
  BackendOutcome,
  CardsOutcome,
  LabErrorData,
  LabWorkerApi,
  MaskOutcome,
  ModelInfoOutcome,
  PresetOutcome,
  RunOutcome,
  RunProgress,
} from './protocol.ts';

export interface LabClient {
  init(assetBaseUrl: string, backend: BackendChoice): Promise<BackendOutcome>;
  setBackend(backend: BackendChoice): Promise<BackendOutcome>;
  cards(): Promise<CardsOutcome>;
  modelInfo(model: string): Promise<ModelInfoOutcome>;
  expandPreset(model: string, preset: string): Promise<PresetOutcome>;
  maskPicture(recipe: Recipe, layer: string): Promise<MaskOutcome>;
  run(recipe: Recipe, runId: number, onProgress?: (p: RunProgress) => void): Promise<RunOutcome>;
  cancel(runId: number): void;
  terminate(): void;
}

export function createLabClient(): LabClient {
  const worker = new Worker(new URL('./lab.worker.ts', import.meta.url), {
    type: 'module',
    name: 'complab-engine',
  });
  const api = Comlink.wrap<LabWorkerApi>(worker);

  let crash: LabErrorData | null = null;
  let rejectOnCrash: (error: LabErrorData) => void = () => undefined;
  const crashed = new Promise<LabErrorData>((resolve) => {
    rejectOnCrash = resolve;
  });
  worker.addEventListener('error', (event) => {
    event.preventDefault();
    crash = {
      kind: 'internal',
      message: `The compute worker stopped: ${event.message || 'it could not be loaded'}`,
    };
    rejectOnCrash(crash);
  });

  /** Races a worker call against the worker dying. */
  const guard = <T>(call: () => Promise<T>, onCrash: (error: LabErrorData) => T): Promise<T> => {
    if (crash) return Promise.resolve(onCrash(crash));
    return Promise.race([call(), crashed.then(onCrash)]);
  };
  const failed = (error: LabErrorData) => ({ ok: false, error }) as const;

  return {
    init: (assetBaseUrl, backend) =>
      guard<BackendOutcome>(() => api.init(assetBaseUrl, backend), failed),
    setBackend: (backend) => guard<BackendOutcome>(() => api.setBackend(backend), failed),
    cards: () => guard<CardsOutcome>(() => api.cards(), failed),
    modelInfo: (model) => guard<ModelInfoOutcome>(() => api.modelInfo(model), failed),
    expandPreset: (model, preset) =>
      guard<PresetOutcome>(() => api.expandPreset(model, preset), failed),
    maskPicture: (recipe, layer) =>
      guard<MaskOutcome>(() => api.maskPicture(recipe, layer), failed),
    run: (recipe, runId, onProgress) =>
      guard<RunOutcome>(
        () => api.run(recipe, runId, onProgress ? Comlink.proxy(onProgress) : undefined),
        (error) => ({ kind: 'error', runId, error }),
      ),
    cancel: (runId) => {
      void api.cancel(runId);
    },
    terminate: () => {
      api[Comlink.releaseProxy]();
      worker.terminate();
    },
  };
}
