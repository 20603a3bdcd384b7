/**
 * The engine behind a Web Worker, so a long evaluation or fine-tuning never freezes the page.
 * Runs are serialized (one tfjs computation at a time) and every new run aborts the one before
 * it: only the newest recipe's result is worth computing. Fine-tuning always runs on WASM
 * (fastest without a GPU, and the backend `complab eval` trains on, so a fine-tuned recipe gives
 * the same numbers in both), whichever backend evaluates; its results are kept in IndexedDB.
 *
 * A GPU backend that is lost (WebGPU device lost, WebGL context lost) is replaced by the next
 * backend in the fallback order; a run it touched is computed again there, and the page hears of
 * the change through the callback given to onBackendChange.
 *
 * What ties it to the browser (where assets come from, the IndexedDB cache, the backends and
 * their loss) comes in as LabWorkerDeps: lab.worker.ts wires the browser's, tests in Node their
 * own, so the same engine code is what both run.
 */
import * as tf from '@tensorflow/tfjs';
import type { AssetReader } from '../engine/assets.ts';
import { BACKENDS, type BackendChoice, type BackendName } from '../engine/backend-names.ts';
import type { BackendWatch } from '../engine/browser/backend-loss.ts';
import {
  selectBackend,
  type BackendProbe,
  type BackendStatus,
} from '../engine/browser/select-backend.ts';
import { exportLayersModel, LayersExportError } from '../engine/encode/layers-model-export.ts';
import { Lab, type ModelSource, type PrefixStore } from '../engine/lab.ts';
import { droppedModel } from '../engine/model/dropped-files.ts';
import {
  AbsentUserModelError,
  absentUserModelMessage,
  isUserModelId,
} from '../engine/model/user-models.ts';
import type { DataSetId } from '../engine/data/datasets.ts';
import type { Recipe } from '../engine/recipe/recipe.ts';
import { comparePaired } from '../engine/stats/mcnemar.ts';
import { isCancellation, toErrorData } from './errors.ts';
import { heldPrefixStore } from './held-store.ts';
import { isProgressNews, PROGRESS_INTERVAL_MS, throttleProgress } from './progress-throttle.ts';
import type {
  BackendOutcome,
  CardsOutcome,
  DataSetSizesOutcome,
  LabWorkerApi,
  MaskOutcome,
  MemoryReport,
  ImportOutcome,
  ModelExportOutcome,
  ModelFileData,
  ModelInfoOutcome,
  PairedOutcome,
  PresetOutcome,
  RunOutcome,
  RunProgress,
  WorkerOptions,
} from './protocol.ts';

interface RunInFlight {
  readonly runId: number;
  readonly controller: AbortController;
}

/** The backend every fine-tuning step trains on. */
const TRAINING_BACKEND: BackendName = 'wasm';

/**
 * How long a run may go without progress after its backend was lost before it is given up:
 * tfjs's WebGL backend waits for a fence that a lost context never signals, so such a run never
 * settles. (One that goes on fine-tuning on WASM reports progress every batch.)
 */
const STUCK_AFTER_LOSS_MS = 3000;
/** A WebGPU device reports its loss shortly after the failures it causes. */
const LOSS_REPORT_WAIT_MS = 500;

/** What the worker needs from its surroundings. */
export interface LabWorkerDeps {
  /** Reads the lab's assets from the base URL init() is given. */
  readonly assetReader: (baseUrl: string) => AssetReader;
  /** Where fine-tuned prefixes are kept (held while a run on a GPU backend is unconfirmed). */
  readonly prefixStore: PrefixStore;
  /** Runs before a backend is first selected (e.g. telling tfjs where its .wasm files are). */
  readonly prepareBackends: () => void;
  /** Makes `name` tfjs's active backend; false when it does not start. */
  readonly activate: (name: BackendName) => Promise<boolean>;
  /** Why a backend is not worth trying here, or null (see selectBackend). */
  readonly probe: BackendProbe;
  /** Watches the active backend for its loss. */
  readonly watchBackend: (backend: BackendName) => BackendWatch;
  /** Threads of the wasm backend, for the status. */
  readonly wasmThreads: () => number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Attempt =
  | { readonly kind: 'settled'; readonly outcome: RunOutcome }
  | { readonly kind: 'lost'; readonly reason: string };

class LabWorker implements LabWorkerApi {
  constructor(private readonly deps: LabWorkerDeps) {
    this.store = heldPrefixStore(deps.prefixStore);
  }

  private lab: Lab | null = null;
  private assetBaseUrl = '';
  private options: WorkerOptions = {};
  private current: RunInFlight | null = null;
  /** Tail of the task chain: backend switches and runs execute one after another. */
  private queue: Promise<unknown> = Promise.resolve();
  private requested: BackendChoice = 'auto';
  private watch: BackendWatch | null = null;
  /** Stops the current lab from switching tfjs's backend (a lab that was given up). */
  private retireLab: () => void = () => undefined;
  /** IndexedDB, with the writes of a run on a GPU backend held until it is known good. */
  private readonly store: ReturnType<typeof heldPrefixStore>;
  /** Backends lost in this worker, with the reason later selections give for skipping them. */
  private readonly lost = new Map<BackendName, string>();
  private notifyBackendChange: ((status: BackendStatus) => void) | null = null;
  /** Models the user dropped on the page, by id (user/<name>/<hash>). */
  private readonly userModels = new Map<string, ModelSource>();

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const next = this.queue.then(task, task);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private requireLab(): Lab {
    if (!this.lab) throw new Error('the lab worker was used before init()');
    return this.lab;
  }

  /**
   * A fresh lab; the one before it may no longer switch backend. (A lab given up while stuck on
   * a lost backend may wake up later; it must not switch tfjs away from the backend its
   * successor runs on.) No lab may activate a lost backend.
   */
  private newLab(): Lab {
    this.retireLab();
    let retired = false;
    this.retireLab = () => {
      retired = true;
    };
    return new Lab({
      read: this.deps.assetReader(this.assetBaseUrl),
      trainingBackend: TRAINING_BACKEND,
      activateBackend: async (name) => !retired && !this.lost.has(name) && this.deps.activate(name),
      prefixStore: this.store,
      resolveModel: (model) => this.resolveUserModel(model),
      latencyWindowMs: this.options.latencyWindowMs,
      latencyMinSamples: this.options.latencyMinSamples,
    });
  }

  private resolveUserModel(model: string): ModelSource | undefined {
    const source = this.userModels.get(model);
    if (!source && isUserModelId(model)) {
      throw new AbsentUserModelError(absentUserModelMessage(model));
    }
    return source;
  }

  importModel(files: readonly ModelFileData[]): Promise<ImportOutcome> {
    return this.enqueue(async () => {
      let id: string | undefined;
      try {
        const dropped = droppedModel(files);
        id = dropped.id;
        const known = this.userModels.has(id);
        this.userModels.set(id, dropped.source);
        try {
          // The lab's own loader: the CLI's checks and messages, the graph cached for runs.
          const graph = await this.requireLab().baseGraph(id);
          const { name, kind } = dropped;
          return { ok: true, model: { id, name, kind, params: graph.params } } as const;
        } catch (err) {
          if (!known) this.userModels.delete(id);
          throw err;
        }
      } catch (err) {
        return { ok: false, error: toErrorData(err) } as const;
      }
    });
  }

  async registerModels(
    models: readonly { id: string; files: readonly ModelFileData[] }[],
  ): Promise<void> {
    for (const { id, files } of models) {
      try {
        this.userModels.set(id, droppedModel(files).source);
      } catch {
        // A stored model that no longer reads: its runs say so when it is picked.
      }
    }
  }

  async forgetModel(id: string): Promise<void> {
    this.userModels.delete(id);
  }

  exportModel(recipe: Recipe): Promise<ModelExportOutcome> {
    return this.enqueue(async () => {
      try {
        const lab = this.requireLab();
        // Decoded and evaluated again: a file that is not the model reported is refused.
        const compact = (await lab.exportCompact(recipe)).bytes;
        const graph = await lab.graphOf(recipe);
        let layers: Awaited<ModelExportOutcome & { ok: true }>['files']['layers'];
        try {
          const exported = await exportLayersModel(graph);
          layers = {
            ok: true,
            modelJson: JSON.stringify(exported.modelJson),
            weights: exported.weights,
          };
        } catch (err) {
          if (!(err instanceof LayersExportError)) throw err;
          layers = { ok: false, message: err.message };
        }
        return { ok: true, files: { compact, layers } } as const;
      } catch (err) {
        return { ok: false, error: toErrorData(err) } as const;
      }
    });
  }

  async holdLifeLock(name: string): Promise<boolean> {
    const locks = (globalThis.navigator as Navigator | undefined)?.locks;
    if (!locks) return false;
    return new Promise<boolean>((resolve) => {
      locks
        .request(name, () => {
          resolve(true);
          // Held for as long as this worker lives: the page's request for the same lock is
          // granted only once the worker is gone, however it went.
          return new Promise<never>(() => undefined);
        })
        .catch(() => resolve(false));
    });
  }

  onBackendChange(callback: (status: BackendStatus) => void): void {
    this.notifyBackendChange = callback;
  }

  async init(
    assetBaseUrl: string,
    backend: BackendChoice,
    options: WorkerOptions = {},
  ): Promise<BackendOutcome> {
    this.deps.prepareBackends();
    this.assetBaseUrl = assetBaseUrl;
    this.options = options;
    const previous = this.lab;
    this.lab = null;
    // Runs queued on the previous lab finish (and free their tensors) before the new one starts.
    await previous?.dispose();
    this.lab = this.newLab();
    return this.setBackend(backend);
  }

  setBackend(backend: BackendChoice): Promise<BackendOutcome> {
    this.current?.controller.abort();
    this.requested = backend;
    return this.enqueue(async () => {
      try {
        const status = await this.select();
        return { ok: true, status } as const;
      } catch (err) {
        return { ok: false, error: toErrorData(err) } as const;
      }
    });
  }

  /** Activates the requested backend (or the next one that works) and watches it. */
  private async select(): Promise<BackendStatus> {
    this.watch?.stop();
    this.watch = null;
    let status = await selectBackend(
      this.requested,
      { probe: this.deps.probe, activate: this.deps.activate },
      this.lost,
    );
    const watch = this.deps.watchBackend(status.active);
    this.watch = watch;
    if (status.active === 'wasm') status = { ...status, wasmThreads: this.deps.wasmThreads() };
    // A loss while nothing runs: move on at once, in turn with the runs.
    void watch.whenLost.then(
      (reason) =>
        this.enqueue(async () => {
          if (this.watch === watch) await this.replaceLostBackend(watch, reason);
        }).catch(() => undefined), // no backend at all: the next run says so
    );
    return status;
  }

  /** Moves off a lost backend: the next one in the fallback order, a fresh lab, the page told. */
  private async replaceLostBackend(watch: BackendWatch, reason: string): Promise<BackendStatus> {
    this.lost.set(
      watch.backend,
      `it was lost earlier in this session (${reason}); reload the page to use it again`,
    );
    // Nothing the old lab remembers is trusted (a step may have decided on numbers read back
    // from the lost backend); a run stuck on it is abandoned with it.
    this.lab = this.newLab();
    const status: BackendStatus = {
      ...(await this.select()),
      lost: { backend: watch.backend, reason },
    };
    try {
      this.notifyBackendChange?.(status);
    } catch {
      // The page is gone; nobody to tell.
    }
    return status;
  }

  async cards(): Promise<CardsOutcome> {
    try {
      return { ok: true, cards: await this.requireLab().cards() };
    } catch (err) {
      return { ok: false, error: toErrorData(err) };
    }
  }

  async dataSetSizes(data: DataSetId): Promise<DataSetSizesOutcome> {
    try {
      const dataSet = await this.requireLab().dataSet(data);
      return {
        ok: true,
        sizes: {
          data,
          testBytes: dataSet.downloadBytes('test'),
          trainBytes: dataSet.downloadBytes('train'),
        },
      };
    } catch (err) {
      return { ok: false, error: toErrorData(err) };
    }
  }

  async comparePredictions(
    data: DataSetId,
    a: Uint16Array,
    b: Uint16Array,
  ): Promise<PairedOutcome> {
    try {
      const test = await this.requireLab().test(data);
      return { ok: true, paired: comparePaired(test.labels, a, b) };
    } catch (err) {
      return { ok: false, error: toErrorData(err) };
    }
  }

  modelInfo(model: string): Promise<ModelInfoOutcome> {
    return this.enqueue(async () => {
      try {
        const graph = await this.requireLab().baseGraph(model);
        const info = graph.info();
        const weighted = new Set(graph.weightedLayers().map((n) => n.name));
        const layers = graph.nodes.map((node) => ({
          name: node.name,
          className: node.className,
          outputShape: [...info.get(node.name)!.outputShape],
          kernelShape: node.weights.find((w) => w.prunable)?.shape.slice(),
          weighted: weighted.has(node.name),
        }));
        return { ok: true, info: { model, layers } } as const;
      } catch (err) {
        return { ok: false, error: toErrorData(err) } as const;
      }
    });
  }

  async expandPreset(model: string, preset: string): Promise<PresetOutcome> {
    try {
      return { ok: true, steps: await this.requireLab().expandPreset(model, preset) };
    } catch (err) {
      return { ok: false, error: toErrorData(err) };
    }
  }

  async maskPicture(recipe: Recipe, layer: string): Promise<MaskOutcome> {
    try {
      return { ok: true, picture: await this.requireLab().maskPicture(recipe, layer) };
    } catch (err) {
      return { ok: false, error: toErrorData(err) };
    }
  }

  run(
    recipe: Recipe,
    runId: number,
    onProgress?: (progress: RunProgress) => void,
  ): Promise<RunOutcome> {
    this.current?.controller.abort();
    const controller = new AbortController();
    const inFlight: RunInFlight = { runId, controller };
    this.current = inFlight;
    // At most PROGRESS_PER_SECOND reports reach the page, the newest of each interval, and the
    // last one before the answer: a flood of them would hold the answer back (see the module).
    const progress = onProgress
      ? throttleProgress(onProgress, PROGRESS_INTERVAL_MS, undefined, isProgressNews)
      : null;
    const report = progress ? (p: RunProgress) => progress.report(p) : undefined;
    return this.enqueue(async (): Promise<RunOutcome> => {
      try {
        // One try per backend at most: each loss moves down the fallback order.
        for (let tries = 0; tries < BACKENDS.length; tries++) {
          // Superseded while waiting for the previous task: do not start at all.
          if (controller.signal.aborted) return { kind: 'cancelled', runId };
          const attempt = await this.attempt(recipe, runId, controller, report);
          if (attempt.kind === 'settled') return attempt.outcome;
          await this.replaceLostBackend(this.watch!, attempt.reason);
        }
        throw new Error('every backend was lost during this run');
      } catch (err) {
        return { kind: 'error', runId, error: toErrorData(err) };
      } finally {
        progress?.flush();
        progress?.stop();
        if (this.current === inFlight) this.current = null;
      }
    });
  }

  /** Runs once on the active backend; 'lost' when the backend went away during the run. */
  private async attempt(
    recipe: Recipe,
    runId: number,
    controller: AbortController,
    onProgress?: (progress: RunProgress) => void,
  ): Promise<Attempt> {
    const watch = this.watch;
    const onGpu = watch?.backend === 'webgpu' || watch?.backend === 'webgl';
    // Its own signal, so a run given up as stuck can be stopped without cancelling the retry.
    const own = new AbortController();
    const forward = () => own.abort();
    controller.signal.addEventListener('abort', forward);
    let lastProgressAt = performance.now();
    let lostAt: number | null = null;
    let timer: ReturnType<typeof setInterval> | undefined;
    if (onGpu) this.store.hold();
    try {
      const settled = this.requireLab()
        .run(recipe, {
          signal: own.signal,
          onProgress: (progress) => {
            lastProgressAt = performance.now();
            onProgress?.(progress);
          },
        })
        .then(
          (result) => ({ ok: true, result }) as const,
          (error: unknown) => ({ ok: false, error }) as const,
        );
      const stuck = new Promise<'stuck'>((resolve) => {
        if (!onGpu) return;
        timer = setInterval(() => {
          if (watch.lost() === null) return;
          lostAt ??= performance.now();
          const quiet = performance.now() - Math.max(lostAt, lastProgressAt);
          if (quiet > STUCK_AFTER_LOSS_MS) resolve('stuck');
        }, 250);
      });
      const first = await Promise.race([settled, stuck]);
      if (first === 'stuck') {
        own.abort();
        return { kind: 'lost', reason: watch!.lost()! };
      }
      let reason = watch?.lost() ?? null;
      if (reason === null && !first.ok && onGpu) {
        reason = await Promise.race([watch.whenLost, sleep(LOSS_REPORT_WAIT_MS).then(() => null)]);
      }
      if (reason !== null) return { kind: 'lost', reason };
      await this.store.keep();
      const settledWith = (outcome: RunOutcome): Attempt => ({ kind: 'settled', outcome });
      if (first.ok) {
        return settledWith(
          controller.signal.aborted
            ? { kind: 'cancelled', runId }
            : { kind: 'done', runId, result: first.result },
        );
      }
      if (controller.signal.aborted || isCancellation(first.error)) {
        return settledWith({ kind: 'cancelled', runId });
      }
      return settledWith({ kind: 'error', runId, error: toErrorData(first.error) });
    } finally {
      // Whatever was not kept above was computed across a loss.
      this.store.drop();
      clearInterval(timer);
      controller.signal.removeEventListener('abort', forward);
    }
  }

  cancel(runId: number): void {
    if (this.current?.runId === runId) this.current.controller.abort();
  }

  private requireTestHooks(): void {
    if (!this.options.testHooks) throw new Error('test hooks are off (open the page with ?test)');
  }

  async loseBackendForTest(): Promise<BackendName | null> {
    this.requireTestHooks();
    const watch = this.watch;
    return watch?.loseForTest() ? watch.backend : null;
  }

  async throwForTest(): Promise<void> {
    this.requireTestHooks();
    setTimeout(() => {
      throw new Error('an error nobody caught (test hook)');
    });
  }

  async evalForTest(): Promise<string> {
    this.requireTestHooks();
    try {
      return `evaluated: ${String(new Function('return 1 + 1')())}`;
    } catch (err) {
      return `refused: ${err instanceof Error ? err.name : String(err)}`;
    }
  }

  async memoryForTest(): Promise<MemoryReport> {
    this.requireTestHooks();
    // Counted between tasks, so no run holds tensors at this moment.
    return this.enqueue(async () => ({
      numTensors: tf.memory().numTensors,
      numBytes: tf.memory().numBytes,
      variables: Object.keys(tf.engine().registeredVariables).length,
      backend: tf.getBackend(),
    }));
  }
}

/** The worker's engine, on the given surroundings. */
export function createLabWorkerApi(deps: LabWorkerDeps): LabWorkerApi {
  return new LabWorker(deps);
}
