/**
 * The page's handle on the lab worker. Wraps comlink so callers get plain promises, and turns a
 * worker that dies into an error outcome instead of promises that never settle. A worker can
 * die loudly (its script fails, an uncaught error: the 'error' event) or silently (the browser
 * ends it, out of memory, terminate()): for the silent end the worker holds a Web Lock for its
 * whole life and the page asks for the same lock, which it is granted only once the worker is
 * gone.
 */
import * as Comlink from 'comlink';
import type { BackendChoice, BackendName } from '../engine/backend-names.ts';
import type { LatencySettings } from '../engine/measure/latency-settings.ts';
import type { DataSetId } from '../engine/data/datasets.ts';
import type { Recipe } from '../engine/recipe/recipe.ts';
import type {
  BackendOutcome,
  BackendStatus,
  CardsOutcome,
  DataSetSizesOutcome,
  ImportOutcome,
  LabErrorData,
  LabWorkerApi,
  MaskOutcome,
  MemoryReport,
  ModelExportOutcome,
  ModelFileData,
  ModelInfoOutcome,
  PairedOutcome,
  PresetOutcome,
  RunOutcome,
  RunProgress,
} from './protocol.ts';

/** Latency settings: for every lab the worker makes (test knobs, see latency-settings.ts). */
export interface LabClientOptions extends LatencySettings {
  /** Enables the worker's test-only methods (see LabClient.testHooks). */
  readonly testHooks?: boolean;
}

/** Test-only controls: lose the GPU backend, read tfjs's memory, kill the worker. */
export interface LabTestHooks {
  loseBackend(): Promise<BackendName | null>;
  memory(): Promise<MemoryReport>;
  /** Ends the worker as a crash would: without telling anyone. */
  killWorker(): void;
  /** Makes the worker throw an error nothing catches (its 'error' event reaches the page). */
  throwInWorker(): Promise<void>;
  /** Makes the worker evaluate a string as code ("evaluated: 2" or "refused: EvalError"). */
  evalInWorker(): Promise<string>;
}

export interface LabClient {
  init(assetBaseUrl: string, backend: BackendChoice): Promise<BackendOutcome>;
  setBackend(backend: BackendChoice): Promise<BackendOutcome>;
  cards(): Promise<CardsOutcome>;
  dataSetSizes(data: DataSetId): Promise<DataSetSizesOutcome>;
  comparePredictions(data: DataSetId, a: Uint16Array, b: Uint16Array): Promise<PairedOutcome>;
  modelInfo(model: string): Promise<ModelInfoOutcome>;
  expandPreset(model: string, preset: string): Promise<PresetOutcome>;
  maskPicture(recipe: Recipe, layer: string): Promise<MaskOutcome>;
  run(recipe: Recipe, runId: number, onProgress?: (p: RunProgress) => void): Promise<RunOutcome>;
  cancel(runId: number): void;
  /** Imported models (see LabWorkerApi): check dropped files, re-register kept ones, forget. */
  importModel(files: readonly ModelFileData[]): Promise<ImportOutcome>;
  registerModels(models: readonly { id: string; files: readonly ModelFileData[] }[]): Promise<void>;
  forgetModel(id: string): Promise<void>;
  exportModel(recipe: Recipe): Promise<ModelExportOutcome>;
  /** Backend changes the worker made on its own (a lost GPU backend replaced). */
  onBackendChange(callback: (status: BackendStatus) => void): void;
  /** Settles once, when the worker has died; every call then answers with this error. */
  readonly crashed: Promise<LabErrorData>;
  /** Ends the worker on purpose (no crash is reported). */
  terminate(): void;
  readonly testHooks: LabTestHooks | null;
}

function lockName(): string {
  const id =
    typeof crypto !== 'undefined' && 'randomUUID' in crypto
      ? crypto.randomUUID()
      : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
  return `complab-worker-${id}`;
}

export function createLabClient(options: LabClientOptions = {}): LabClient {
  const worker = new Worker(new URL('./lab.worker.ts', import.meta.url), {
    type: 'module',
    name: 'complab-engine',
  });
  const api = Comlink.wrap<LabWorkerApi>(worker);

  let crash: LabErrorData | null = null;
  let ended = false;
  const stopWatching = new AbortController();
  let reportCrash: (error: LabErrorData) => void = () => undefined;
  const crashed = new Promise<LabErrorData>((resolve) => {
    reportCrash = (error) => {
      if (crash || ended) return;
      crash = error;
      stopWatching.abort();
      resolve(error);
    };
  });
  worker.addEventListener('error', (event) => {
    event.preventDefault();
    reportCrash({
      kind: 'internal',
      message: `The compute worker failed (${event.message || 'it could not be loaded'})`,
    });
  });

  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  if (locks) {
    const name = lockName();
    void api
      .holdLifeLock(name)
      .then((held) => {
        if (!held || ended) return;
        return locks.request(name, { signal: stopWatching.signal }, () => {
          reportCrash({
            kind: 'internal',
            message: 'The compute worker stopped unexpectedly (the browser ended it)',
          });
        });
      })
      .catch(() => undefined); // aborted on purpose, or the worker died before it answered
  }

  /** Races a worker call against the worker dying. */
  const guard = <T>(call: () => Promise<T>, onCrash: (error: LabErrorData) => T): Promise<T> => {
    if (crash) return Promise.resolve(onCrash(crash));
    return Promise.race([call(), crashed.then(onCrash)]);
  };
  const failed = (error: LabErrorData) => ({ ok: false, error }) as const;

  const testHooks: LabTestHooks | null = options.testHooks
    ? {
        loseBackend: () => api.loseBackendForTest(),
        memory: () => api.memoryForTest(),
        killWorker: () => worker.terminate(),
        throwInWorker: () => api.throwForTest(),
        evalInWorker: () => api.evalForTest(),
      }
    : null;

  return {
    init: (assetBaseUrl, backend) =>
      guard<BackendOutcome>(
        () =>
          api.init(assetBaseUrl, backend, {
            testHooks: options.testHooks,
            latencyWindowMs: options.latencyWindowMs,
            latencyMinSamples: options.latencyMinSamples,
          }),
        failed,
      ),
    setBackend: (backend) => guard<BackendOutcome>(() => api.setBackend(backend), failed),
    cards: () => guard<CardsOutcome>(() => api.cards(), failed),
    dataSetSizes: (data) => guard<DataSetSizesOutcome>(() => api.dataSetSizes(data), failed),
    comparePredictions: (data, a, b) =>
      guard<PairedOutcome>(() => api.comparePredictions(data, a, b), failed),
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
      if (!crash) void api.cancel(runId);
    },
    importModel: (files) => guard<ImportOutcome>(() => api.importModel(files), failed),
    registerModels: (models) =>
      guard<void>(
        () => api.registerModels(models),
        () => undefined,
      ),
    forgetModel: (id) =>
      guard<void>(
        () => api.forgetModel(id),
        () => undefined,
      ),
    exportModel: (recipe) => guard<ModelExportOutcome>(() => api.exportModel(recipe), failed),
    onBackendChange: (callback) => {
      void api.onBackendChange(Comlink.proxy(callback));
    },
    crashed,
    terminate: () => {
      ended = true;
      stopWatching.abort();
      api[Comlink.releaseProxy]();
      worker.terminate();
    },
    testHooks,
  };
}
