/**
 * The lab worker's engine (lab-worker-api.ts, what lab.worker.ts exposes through Comlink), run in
 * Node on WASM with the shipped assets. The expected results come from a separate Lab run
 * directly on the same recipes; the order of events, the cancellations and the backend changes
 * are checked against what the worker promises in protocol.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { activateBackend, wasmThreadCount } from '../engine/backends.ts';
import type { BackendName } from '../engine/backend-names.ts';
import { watchBackend, type BackendWatch } from '../engine/browser/backend-loss.ts';
import type { BackendStatus } from '../engine/browser/select-backend.ts';
import { Lab, type PrefixStore, type RunResult } from '../engine/lab.ts';
import { useNodeBackend } from '../engine/node/backend.ts';
import { parseRecipe } from '../engine/recipe/share.ts';
import { publicAssets, shippedGraph } from '../engine/test/fixtures.ts';
import { createLabWorkerApi, type LabWorkerDeps } from './lab-worker-api.ts';
import { PROGRESS_INTERVAL_MS } from './progress-throttle.ts';
import type { LabWorkerApi, RunOutcome, RunProgress } from './protocol.ts';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

const recipeText = (steps: string) => `v=1&model=lenet300&seed=1&steps=${steps}`;
const PRUNED = recipeText('prune(fraction=0.5)');
/** Long enough to still be running when the test acts on its first progress report. */
const LONG = recipeText('finetune(epochs=1,batches=400)');
const THROTTLED = recipeText('finetune(epochs=1,batches=40)');

function memoryPrefixStore(): PrefixStore & { readonly keys: string[] } {
  const entries = new Map<string, Uint8Array>();
  return {
    keys: [] as string[],
    get: async (key) => entries.get(key),
    async set(key, bytes) {
      this.keys.push(key);
      entries.set(key, bytes);
    },
  };
}

/** A watch on a GPU backend that this test loses on purpose (Node has no GPU backend). */
function losableWatch(backend: BackendName): BackendWatch & { lose(reason: string): void } {
  let reason: string | null = null;
  let resolveLost: (why: string) => void = () => undefined;
  const whenLost = new Promise<string>((resolve) => (resolveLost = resolve));
  return {
    backend,
    whenLost,
    lost: () => reason,
    loseForTest: () => false,
    stop: () => undefined,
    lose(why) {
      reason = why;
      resolveLost(why);
    },
  };
}

function nodeDeps(patch: Partial<LabWorkerDeps> = {}): LabWorkerDeps {
  return {
    assetReader: () => publicAssets,
    prefixStore: memoryPrefixStore(),
    prepareBackends: () => undefined,
    activate: activateBackend,
    // Node has no GPU: 'auto' goes straight to WASM, as a browser without one does.
    probe: async (name) => (name === 'webgpu' || name === 'webgl' ? 'no GPU in Node' : null),
    watchBackend,
    wasmThreads: wasmThreadCount,
    ...patch,
  };
}

async function startedWorker(patch: Partial<LabWorkerDeps> = {}): Promise<LabWorkerApi> {
  const api = createLabWorkerApi(nodeDeps(patch));
  const started = await api.init('unused', 'auto');
  expect(started).toMatchObject({ ok: true, status: { active: 'wasm' } });
  return api;
}

/** Resolves at the run's first progress report, with the run's outcome still to come. */
function runUntilProgress(
  api: LabWorkerApi,
  text: string,
  runId: number,
  log: string[],
): { outcome: Promise<RunOutcome>; progressed: Promise<void> } {
  let progressed: () => void = () => undefined;
  const first = new Promise<void>((resolve) => (progressed = resolve));
  const outcome = api.run(parseRecipe(text), runId, () => {
    log.push(`progress ${runId}`);
    progressed();
  });
  void outcome.then((o) => log.push(`${o.kind} ${runId}`));
  return { outcome, progressed: first };
}

const expected = new Map<string, RunResult>();
/** The engine's own last progress report on THROTTLED. */
let lastRawReport: RunProgress | undefined;
beforeAll(async () => {
  await useNodeBackend('wasm');
  const reference = new Lab({ read: publicAssets });
  for (const text of [recipeText(''), PRUNED]) {
    expected.set(text, await reference.run(parseRecipe(text)));
  }
  const onProgress = (progress: RunProgress) => {
    lastRawReport = progress;
  };
  expected.set(THROTTLED, await reference.run(parseRecipe(THROTTLED), { onProgress }));
  await reference.dispose();
}, 300_000);

const done = (outcome: RunOutcome): RunResult => {
  if (outcome.kind !== 'done') throw new Error(`expected a result, got ${JSON.stringify(outcome)}`);
  return outcome.result;
};

describe('the lab worker', () => {
  it('answers a run with the engine’s result, its progress at most once an interval', async () => {
    const api = await startedWorker();
    const reports: { at: number; progress: RunProgress }[] = [];
    const outcome = await api.run(parseRecipe(THROTTLED), 1, (progress) =>
      reports.push({ at: performance.now(), progress }),
    );
    const result = done(outcome);
    expect(outcome.runId).toBe(1);
    expect(result.correct).toBe(expected.get(THROTTLED)!.correct);
    expect(result.sizeBytes).toBe(expected.get(THROTTLED)!.sizeBytes);
    // Every training batch and evaluation chunk reports; the page gets far fewer: one an
    // interval, but at once when it is news (a new stage or step, the first accuracy estimate),
    // and the last one flushed before the answer.
    expect(reports.length).toBeGreaterThan(1);
    // (How many get through depends on the machine's speed; the spacing does not.)
    for (let i = 1; i < reports.length - 1; i++) {
      const [last, next] = [reports[i - 1].progress, reports[i].progress];
      const news =
        next.stage !== last.stage ||
        next.step !== last.step ||
        (next.estimate !== undefined && last.estimate === undefined);
      if (!news) {
        expect(reports[i].at - reports[i - 1].at).toBeGreaterThanOrEqual(PROGRESS_INTERVAL_MS - 2);
      }
    }
    // The engine's last report is never lost to the throttle.
    expect(reports.at(-1)!.progress).toEqual(lastRawReport);
  }, 300_000);

  it('a newer run aborts the one in flight, which answers cancelled; runs go one at a time', async () => {
    const api = await startedWorker();
    const log: string[] = [];
    const first = runUntilProgress(api, LONG, 1, log);
    await first.progressed;
    const second = api.run(parseRecipe(PRUNED), 2, () => log.push('progress 2'));
    expect(await first.outcome).toEqual({ kind: 'cancelled', runId: 1 });
    const result = done(await second);
    expect(result.correct).toBe(expected.get(PRUNED)!.correct);
    expect(result.sizeBytes).toBe(expected.get(PRUNED)!.sizeBytes);
    // The second run started only once the first had answered.
    expect(log.indexOf('cancelled 1')).toBeLessThan(log.indexOf('progress 2'));
    expect(log.indexOf('progress 2')).toBeGreaterThan(-1);
  }, 300_000);

  it('cancel stops only the run it names', async () => {
    const api = await startedWorker();
    const log: string[] = [];
    const run = runUntilProgress(api, LONG, 5, log);
    await run.progressed;
    api.cancel(4); // an older run, already gone: nothing happens
    api.cancel(6); // not started: nothing happens
    const cancelledAt = log.length;
    await new Promise((resolve) => setTimeout(resolve, 3 * PROGRESS_INTERVAL_MS));
    expect(log.length).toBeGreaterThan(cancelledAt); // still running
    expect(log).not.toContain('cancelled 5');
    api.cancel(5);
    expect(await run.outcome).toEqual({ kind: 'cancelled', runId: 5 });
    // The worker goes on: the next run answers with its result.
    expect(done(await api.run(parseRecipe(recipeText('')), 7)).correct).toBe(
      expected.get(recipeText(''))!.correct,
    );
  }, 300_000);

  it('a GPU backend lost during a run: the run is computed again on WASM, the page told', async () => {
    // A pretend WebGL backend (tfjs's cpu under it) that this test loses mid-run.
    let gpuWatch: ReturnType<typeof losableWatch> | null = null;
    const activated: BackendName[] = [];
    const worker = createLabWorkerApi(
      nodeDeps({
        probe: async (name) => (name === 'webgpu' ? 'no WebGPU here' : null),
        activate: async (name) => {
          activated.push(name);
          return name === 'webgl' ? useNodeBackend('cpu').then(() => true) : activateBackend(name);
        },
        watchBackend: (backend) => {
          if (backend !== 'webgl') return watchBackend(backend);
          gpuWatch = losableWatch(backend);
          return gpuWatch;
        },
      }),
    );
    const started = await worker.init('unused', 'auto');
    expect(started).toMatchObject({ ok: true, status: { active: 'webgl' } });
    const changes: BackendStatus[] = [];
    worker.onBackendChange((status) => changes.push(status));
    let lostOnce = false;
    const outcome = await worker.run(parseRecipe(PRUNED), 1, () => {
      if (lostOnce) return;
      lostOnce = true;
      gpuWatch!.lose('its context was lost (test)');
    });
    expect(lostOnce).toBe(true);
    const result = done(outcome);
    expect(result.backend).toBe('wasm');
    expect(result.correct).toBe(expected.get(PRUNED)!.correct);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({
      active: 'wasm',
      lost: { backend: 'webgl', reason: 'its context was lost (test)' },
    });
    // The lost backend is never started again, even when asked for by name.
    activated.length = 0;
    const again = await worker.setBackend('webgl');
    expect(again).toMatchObject({ ok: true, status: { active: 'wasm' } });
    expect(activated).not.toContain('webgl');
    await useNodeBackend('wasm');
  }, 300_000);

  it('imports a dropped model and runs it as the shipped one; exports a model that imports back', async () => {
    const api = await startedWorker();
    const dir = join('public', 'models', 'lenet300');
    const files = await Promise.all(
      ['model.json', 'weights.bin'].map(async (name) => ({
        name,
        bytes: new Uint8Array(await readFile(join(dir, name))),
      })),
    );
    const imported = await api.importModel(files);
    if (!imported.ok) throw new Error(imported.error.message);
    expect(imported.model.params).toBe((await shippedGraph('lenet300')).params);
    const asShipped = parseRecipe(PRUNED);
    const onImported = await api.run({ ...asShipped, model: imported.model.id }, 1);
    expect(done(onImported).correct).toBe(expected.get(PRUNED)!.correct);

    const exported = await api.exportModel(asShipped);
    if (!exported.ok) throw new Error(exported.error.message);
    const back = await api.importModel([{ name: 'pruned.clw', bytes: exported.files.compact }]);
    if (!back.ok) throw new Error(back.error.message);
    const onExported = await api.run({ ...parseRecipe(recipeText('')), model: back.model.id }, 2);
    expect(done(onExported).correct).toBe(expected.get(PRUNED)!.correct);

    // A file that is no model gets the loader's message; a forgotten model is refused by name.
    const broken = await api.importModel([{ name: 'notes.txt', bytes: new Uint8Array([1, 2]) }]);
    expect(broken).toMatchObject({ ok: false, error: { kind: 'model' } });
    // A fresh worker (a reloaded page) knows the model only once the page registers it again.
    const reloaded = await startedWorker();
    const unknown = await reloaded.run({ ...asShipped, model: imported.model.id }, 1);
    expect(unknown).toMatchObject({ kind: 'error', error: { kind: 'model' } });
    await reloaded.registerModels([{ id: imported.model.id, files }]);
    const registered = await reloaded.run({ ...asShipped, model: imported.model.id }, 2);
    expect(done(registered).correct).toBe(expected.get(PRUNED)!.correct);
  }, 300_000);

  it('tells the page what each data set downloads: the stored files of its splits', async () => {
    const api = await startedWorker();
    const bytes = async (...files: string[]) => {
      const sizes = await Promise.all(files.map((f) => stat(join('public', 'data', f))));
      return sizes.reduce((sum, s) => sum + s.size, 0);
    };
    expect(await api.dataSetSizes('mnist')).toEqual({
      ok: true,
      sizes: {
        data: 'mnist',
        testBytes: await bytes('mnist/test-images.u8.gz', 'mnist/test-labels.u8.gz'),
        trainBytes: await bytes('mnist/train-images.u8.gz', 'mnist/train-labels.u8.gz'),
      },
    });
    expect(await api.dataSetSizes('mnist-10k')).toEqual({
      ok: true,
      sizes: {
        data: 'mnist-10k',
        testBytes: await bytes('test-images.u8', 'test-labels.u8'),
        trainBytes: await bytes('train-images.u8', 'train-labels.u8'),
      },
    });
  });

  it('compares two runs on the same test images: lost and gained counted against the labels', async () => {
    const api = await startedWorker();
    const baseline = expected.get(recipeText(''))!;
    const pruned = expected.get(PRUNED)!;
    // Counted here from the test labels file itself.
    const labels = await readFile(join('public', 'data', 'test-labels.u8'));
    let lost = 0;
    let gained = 0;
    labels.forEach((label, i) => {
      const a = baseline.predicted![i] === label;
      const b = pruned.predicted![i] === label;
      if (a && !b) lost++;
      if (!a && b) gained++;
    });
    expect(lost + gained).toBeGreaterThan(0);
    const outcome = await api.comparePredictions(
      'mnist-10k',
      baseline.predicted!,
      pruned.predicted!,
    );
    expect(outcome).toEqual({ ok: true, paired: { lost, gained, pValue: pruned.paired!.pValue } });
    const reversed = await api.comparePredictions(
      'mnist-10k',
      pruned.predicted!,
      baseline.predicted!,
    );
    expect(reversed).toMatchObject({ ok: true, paired: { lost: gained, gained: lost } });
    // Predictions of another data set's length are refused with a message, not miscounted.
    const wrong = await api.comparePredictions('mnist', baseline.predicted!, pruned.predicted!);
    expect(wrong).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/10000 labels, 2000 baseline/) },
    });
  });

  it('says so when used before init', async () => {
    const api = createLabWorkerApi(nodeDeps());
    expect(await api.cards()).toEqual({
      ok: false,
      error: {
        kind: 'internal',
        message: 'Unexpected error: the lab worker was used before init()',
      },
    });
  });
});
