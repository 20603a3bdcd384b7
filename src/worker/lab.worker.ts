/**
 * The engine behind a Web Worker, so a long evaluation or fine-tuning never freezes the page.
 * Runs are serialized (one tfjs computation at a time) and every new run aborts the one before
 * it: only the newest recipe's result is worth computing. Fine-tuning always runs on WASM
 * (fastest without a GPU, and the backend `complab eval` trains on, so a fine-tuned recipe gives
 * the same numbers in both), whichever backend evaluates; its results are kept in IndexedDB.
 */
import * as Comlink from 'comlink';
import { httpAssetReader } from '../engine/assets.ts';
import type { BackendChoice, BackendName } from '../engine/backend-names.ts';
import { activateBackend } from '../engine/backends.ts';
import { idbPrefixStore } from '../engine/browser/idb-prefix-store.ts';
import { browserBackendProbe, selectBackend } from '../engine/browser/select-backend.ts';
import { allowSoftwareWebGl, configureWasmPaths } from '../engine/browser/wasm-paths.ts';
import { Lab } from '../engine/lab.ts';
import type { Recipe } from '../engine/recipe/recipe.ts';
import { isCancellation, toErrorData } from './errors.ts';
import type {
  BackendOutcome,
  CardsOutcome,
  LabWorkerApi,
  MaskOutcome,
  ModelInfoOutcome,
  PresetOutcome,
  RunOutcome,
  RunProgress,
} from './protocol.ts';

interface RunInFlight {
  readonly runId: number;
  readonly controller: AbortController;
}

/** The backend every fine-tuning step trains on. */
const TRAINING_BACKEND: BackendName = 'wasm';

const activate = async (name: BackendName) => {
  if (name === 'webgl') allowSoftwareWebGl();
  return activateBackend(name);
};

class LabWorker implements LabWorkerApi {
  private lab: Lab | null = null;
  private current: RunInFlight | null = null;
  /** Tail of the task chain: backend switches and runs execute one after another. */
  private queue: Promise<unknown> = Promise.resolve();

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const next = this.queue.then(task, task);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private requireLab(): Lab {
    if (!this.lab) throw new Error('the lab worker was used before init()');
    return this.lab;
  }

  async init(assetBaseUrl: string, backend: BackendChoice): Promise<BackendOutcome> {
    configureWasmPaths();
    void this.lab?.dispose();
    this.lab = new Lab({
      read: httpAssetReader(assetBaseUrl),
      trainingBackend: TRAINING_BACKEND,
      activateBackend: activate,
      prefixStore: idbPrefixStore(),
    });
    return this.setBackend(backend);
  }

  setBackend(backend: BackendChoice): Promise<BackendOutcome> {
    this.current?.controller.abort();
    return this.enqueue(async () => {
      try {
        const status = await selectBackend(backend, {
          probe: browserBackendProbe(),
          activate,
        });
        return { ok: true, status } as const;
      } catch (err) {
        return { ok: false, error: toErrorData(err) } as const;
      }
    });
  }

  async cards(): Promise<CardsOutcome> {
    try {
      return { ok: true, cards: await this.requireLab().cards() };
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
    return this.enqueue(async (): Promise<RunOutcome> => {
      // Superseded while waiting for the previous task: do not start at all.
      if (controller.signal.aborted) return { kind: 'cancelled', runId };
      try {
        const result = await this.requireLab().run(recipe, {
          signal: controller.signal,
          onProgress,
        });
        if (controller.signal.aborted) return { kind: 'cancelled', runId };
        return { kind: 'done', runId, result };
      } catch (err) {
        if (controller.signal.aborted || isCancellation(err)) return { kind: 'cancelled', runId };
        return { kind: 'error', runId, error: toErrorData(err) };
      } finally {
        if (this.current === inFlight) this.current = null;
      }
    });
  }

  cancel(runId: number): void {
    if (this.current?.runId === runId) this.current.controller.abort();
  }
}

Comlink.expose(new LabWorker());
