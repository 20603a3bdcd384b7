/**
 * One worker thread of `complab sweep`: its own tfjs (wasm) and its own Lab, running the
 * recipes it is sent one at a time and answering with what `complab eval --json` prints.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { AssetError } from '../../engine/assets.ts';
import { RunCancelledError } from '../../engine/cancel.ts';
import { ModelLoadError } from '../../engine/model/errors.ts';
import { RecipeError } from '../../engine/recipe/errors.ts';
import { normalizeRecipe, withDataSet } from '../../engine/recipe/recipe.ts';
import { openLab } from '../open-lab.ts';
import { toJson } from '../run-json.ts';
import { linkFor } from '../share-link.ts';
import type { FromSweepWorker, SweepWorkerData, ToSweepWorker } from './protocol.ts';

const port = parentPort;
if (!port) throw new Error('sweep-worker.ts runs as a worker thread of complab sweep');
const { backend, cache, model, data, warmUp } = workerData as SweepWorkerData;
const post = (message: FromSweepWorker) => port.postMessage(message);

const lab = await openLab(backend, cache);
// The model, the test digits and the baseline (accuracy, size, latency) before any point: the
// workers that wait for the first point pay this start-up while it runs, not after it.
if (warmUp) await lab.run(normalizeRecipe(withDataSet({ model, seed: 1, steps: [] }, data)));
// The run in flight: the engine yields to the event loop every ~50 ms of work, so a 'cancel'
// message gets in during the run and aborts it.
let current: AbortController | undefined;
port.on('message', (message: ToSweepWorker) => {
  if (message.kind === 'stop') {
    void lab.dispose().finally(() => port.close());
    return;
  }
  if (message.kind === 'cancel') {
    current?.abort();
    return;
  }
  const { index, recipe } = message;
  const controller = new AbortController();
  current = controller;
  lab.run(recipe, { signal: controller.signal }).then(
    (result) => post({ kind: 'done', index, json: toJson(result, linkFor(result.recipe)) }),
    (err: unknown) =>
      err instanceof RunCancelledError
        ? post({ kind: 'cancelled', index })
        : post({
            kind: 'failed',
            index,
            message: (err as Error).message?.split('\n')[0] ?? String(err),
            userError: [RecipeError, ModelLoadError, AssetError].some((t) => err instanceof t),
          }),
  );
});
post({ kind: 'ready' });
