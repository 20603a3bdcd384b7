/**
 * The engine behind a Web Worker, so a long evaluation never freezes the page. Runs are
 * serialized (one tfjs computation at a time) and every new run aborts the one before it:
 * only the newest recipe's result is worth computing.
 */
import * as Comlink from 'comlink';
import { httpAssetReader } from '../engine/assets.ts';
import type { BackendChoice } from '../engine/backend-names.ts';
import { activateBackend } from '../engine/backends.ts';
import { browserBackendProbe, selectBackend } from '../engine/browser/select-backend.ts';
import { allowSoftwareWebGl, configureWasmPaths } from '../engine/browser/wasm-paths.ts';
import { Lab } from '../engine/lab.ts';
import type { Recipe } from '../engine/recipe/recipe.ts';
import { isCancellation, toErrorData } from './errors.ts';
import type {
  BackendOutcome,
  CardsOutcome,
  LabWorkerApi,
  RunOutcome,
  RunProgress,
} from './protocol.ts';

interface RunInFlight {
  readonly runId: number;
  readonly controller: AbortController;
}

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
    this.lab?.dispose();
    this.lab = new Lab({ read: httpAssetReader(assetBaseUrl) });
    return this.setBackend(backend);
  }

  setBackend(backend: BackendChoice): Promise<BackendOutcome> {
    this.current?.controller.abort();
    return this.enqueue(async () => {
      try {
        const status = await selectBackend(backend, {
          probe: browserBackendProbe(),
          activate: async (name) => {
            if (name === 'webgl') allowSoftwareWebGl();
            return activateBackend(name);
          },
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
          onProgress: onProgress
            ? (p) => onProgress({ stage: p.stage, fraction: p.fraction })
            : undefined,
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
