/**
 * The page's client of the lab worker (client.ts). Node has no Web Worker and no Web Locks, so
 * this file plays the browser: FakeWorker carries Comlink's messages over a MessageChannel to
 * the real worker engine (lab-worker-api.ts on WASM, in this process), fires 'error' as a
 * browser does for an uncaught error, and, when terminated, frees the locks its side holds, as a
 * browser frees a dead worker's locks. The results expected come from a separate Lab; the crash
 * rules are client.ts's documented ones.
 */
import * as Comlink from 'comlink';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { activateBackend, wasmThreadCount } from '../engine/backends.ts';
import { watchBackend } from '../engine/browser/backend-loss.ts';
import { Lab, type RunResult } from '../engine/lab.ts';
import { useNodeBackend } from '../engine/node/backend.ts';
import { parseRecipe } from '../engine/recipe/share.ts';
import { publicAssets } from '../engine/test/fixtures.ts';
import { createLabClient } from './client.ts';
import { createLabWorkerApi } from './lab-worker-api.ts';
import type { LabWorkerApi, RunOutcome } from './protocol.ts';

const PRUNED = 'v=1&model=lenet300&seed=1&steps=prune(fraction=0.5)';
/** Still running when the test kills the worker. */
const LONG = 'v=1&model=lenet300&seed=1&steps=finetune(epochs=3,batches=1000)';

/** Exclusive Web Locks, enough for client.ts: request(name, [options], callback). */
class FakeLocks {
  private readonly held = new Map<string, () => void>();
  private readonly waiting = new Map<string, (() => void)[]>();

  request(
    name: string,
    optionsOrCallback: { signal?: AbortSignal } | (() => unknown),
    maybeCallback?: () => unknown,
  ): Promise<unknown> {
    const callback = typeof optionsOrCallback === 'function' ? optionsOrCallback : maybeCallback!;
    const signal = typeof optionsOrCallback === 'function' ? undefined : optionsOrCallback.signal;
    return new Promise((resolve, reject) => {
      const grant = () => {
        const done = Promise.resolve(callback());
        let released = false;
        const release = () => {
          if (released) return;
          released = true;
          this.held.delete(name);
          this.waiting.get(name)?.shift()?.();
        };
        this.held.set(name, release);
        done.then(release, release);
        done.then(resolve, reject);
      };
      if (!this.held.has(name)) return grant();
      if (signal?.aborted) return reject(new DOMException('aborted', 'AbortError'));
      const queue = this.waiting.get(name) ?? [];
      queue.push(grant);
      this.waiting.set(name, queue);
      signal?.addEventListener('abort', () => {
        const i = queue.indexOf(grant);
        if (i >= 0) queue.splice(i, 1);
        reject(new DOMException('aborted', 'AbortError'));
      });
    });
  }

  /** Frees every granted lock: only the worker's side holds any (the page waits on its own). */
  freeWorkerLocks(): void {
    for (const release of [...this.held.values()]) release();
  }
}

let locks: FakeLocks;
let workers: FakeWorker[] = [];

/** A browser Worker whose far end is the real engine in this process. */
class FakeWorker {
  readonly api: LabWorkerApi;
  private readonly port: MessagePort;
  private readonly errorListeners: ((event: unknown) => void)[] = [];
  private alive = true;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.api = createLabWorkerApi({
      assetReader: () => publicAssets,
      prefixStore: { get: async () => undefined, set: async () => undefined },
      prepareBackends: () => undefined,
      activate: activateBackend,
      probe: async (name) => (name === 'webgpu' || name === 'webgl' ? 'no GPU in Node' : null),
      watchBackend,
      wasmThreads: wasmThreadCount,
    });
    Comlink.expose(this.api, port2);
    workers.push(this);
  }

  postMessage(message: unknown, transfer: Transferable[] = []): void {
    if (this.alive) this.port.postMessage(message, transfer);
  }

  addEventListener(type: string, listener: (event: unknown) => void): void {
    if (type === 'error') this.errorListeners.push(listener);
    else this.port.addEventListener(type, listener as (event: Event) => void);
  }

  removeEventListener(type: string, listener: (event: unknown) => void): void {
    this.port.removeEventListener(type, listener as (event: Event) => void);
  }

  start(): void {
    this.port.start();
  }

  /** What a browser does with an error nothing in the worker caught. */
  fail(message: string): void {
    for (const listener of this.errorListeners) listener({ message, preventDefault: () => {} });
  }

  terminate(): void {
    if (!this.alive) return;
    this.alive = false;
    this.port.close();
    locks.freeWorkerLocks();
  }
}

let expected: RunResult;
beforeAll(async () => {
  await useNodeBackend('wasm');
  const reference = new Lab({ read: publicAssets });
  expected = await reference.run(parseRecipe(PRUNED));
  await reference.dispose();
}, 120_000);

function stubBrowser() {
  locks = new FakeLocks();
  workers = [];
  vi.stubGlobal('Worker', FakeWorker);
  vi.stubGlobal('navigator', { locks });
}

afterEach(() => {
  // The engines of killed workers live on in this process: stop their runs.
  for (const worker of workers) for (let id = 0; id < 10; id++) worker.api.cancel(id);
  vi.unstubAllGlobals();
});

const settledWithin = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms))]);

/** Starts a client on WASM and a run that is still going once it has reported progress. */
async function clientWithRunInFlight() {
  const client = createLabClient({ testHooks: true });
  expect(await client.init('unused', 'auto')).toMatchObject({ ok: true });
  let progressed: () => void = () => undefined;
  const firstProgress = new Promise<void>((resolve) => (progressed = resolve));
  const run = client.run(parseRecipe(LONG), 1, () => progressed());
  await firstProgress;
  return { client, run };
}

describe('the lab client', () => {
  it('runs a recipe in the worker and answers with the engine’s result and progress', async () => {
    stubBrowser();
    const client = createLabClient();
    expect(await client.init('unused', 'auto')).toMatchObject({
      ok: true,
      status: { active: 'wasm' },
    });
    let reports = 0;
    const outcome = await client.run(parseRecipe(PRUNED), 3, () => reports++);
    expect(outcome.kind === 'done' && outcome.result.correct).toBe(expected.correct);
    expect(outcome.kind === 'done' && outcome.result.sizeBytes).toBe(expected.sizeBytes);
    expect(reports).toBeGreaterThan(0);
    client.terminate();
  }, 120_000);

  it('a worker that dies silently (its lock freed) is reported, and its calls answer with that', async () => {
    stubBrowser();
    const { client, run } = await clientWithRunInFlight();
    client.testHooks!.killWorker();
    const crash = await settledWithin(client.crashed, 5000);
    expect(crash).toEqual({
      kind: 'internal',
      message: 'The compute worker stopped unexpectedly (the browser ended it)',
    });
    const outcome: RunOutcome | 'pending' = await settledWithin(run, 5000);
    expect(outcome).toEqual({ kind: 'error', runId: 1, error: crash });
    // Later calls answer at once, without a worker to ask.
    expect(await settledWithin(client.cards(), 1000)).toEqual({ ok: false, error: crash });
    expect(await settledWithin(client.run(parseRecipe(PRUNED), 2), 1000)).toEqual({
      kind: 'error',
      runId: 2,
      error: crash,
    });
  }, 120_000);

  it('an uncaught error in the worker is reported with its message', async () => {
    stubBrowser();
    const { client, run } = await clientWithRunInFlight();
    workers[0].fail('boom');
    const crash = await settledWithin(client.crashed, 5000);
    expect(crash).toEqual({ kind: 'internal', message: 'The compute worker failed (boom)' });
    expect(await settledWithin(run, 5000)).toEqual({ kind: 'error', runId: 1, error: crash });
    client.terminate();
  }, 120_000);

  it('a worker ended on purpose is no crash', async () => {
    stubBrowser();
    const { client, run } = await clientWithRunInFlight();
    client.terminate();
    expect(await settledWithin(client.crashed, 1000)).toBe('pending');
    void run;
  }, 120_000);
});
