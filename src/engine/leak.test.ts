/**
 * The lab over a long session, as the page and the CLI use it: 200 evaluations that mix pruning
 * recipes, short fine-tuning recipes, runs cancelled at every stage, runs that fail (a layer the
 * model lacks, model files that cannot be loaded) and switches between the wasm and cpu
 * backends. Afterwards tfjs holds exactly the tensors and variables it held before. And
 * Lab.dispose waits for the runs queued before it.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AssetReader } from './assets.ts';
import { Lab, RunCancelledError } from './lab.ts';
import { ModelLoadError } from './model/errors.ts';
import { PUBLIC_DIR } from './node/assets.ts';
import { useNodeBackend, type NodeBackendName } from './node/backend.ts';
import { RecipeError } from './recipe/errors.ts';
import { parseRecipe } from './recipe/share.ts';
import { publicAssets } from './test/fixtures.ts';
import { createRng } from './util/random.ts';

interface LenetJson {
  modelTopology: { config: { layers: { config: Record<string, unknown> }[] } };
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[] }[] }[];
}

/** lenet300's files, with the model.json altered: models that fail at each stage of loading. */
function brokenLenet300(alter: (json: LenetJson) => void, weights?: Uint8Array): AssetReader {
  const dir = join(PUBLIC_DIR, 'models', 'lenet300');
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as LenetJson;
  alter(json);
  const files: Record<string, Uint8Array> = {
    'model.json': new TextEncoder().encode(JSON.stringify(json)),
    'weights.bin': weights ?? new Uint8Array(readFileSync(join(dir, 'weights.bin'))),
  };
  return async (path) => files[path].slice().buffer as ArrayBuffer;
}

const BROKEN: Record<string, AssetReader> = {
  // tfjs builds the model, then the weights do not fit it.
  'broken/shape.json': brokenLenet300((j) => (j.weightsManifest[0].weights[0].shape = [300, 784])),
  // tfjs fails half-way through building the layers.
  'broken/activation.json': brokenLenet300(
    (j) => (j.modelTopology.config.layers[1].config.activation = 'sparkle'),
  ),
  // the weights file is short.
  'broken/truncated.json': brokenLenet300(() => undefined, new Uint8Array(1000)),
};

let backend: NodeBackendName = 'wasm';
async function use(name: NodeBackendName): Promise<void> {
  await useNodeBackend(name);
  backend = name;
}

const lab = new Lab({
  read: publicAssets,
  resolveModel: (model) =>
    Object.hasOwn(BROKEN, model) ? { read: BROKEN[model], modelJsonPath: 'model.json' } : undefined,
  trainingBackend: 'wasm', // as the CLI: fine-tuning runs on wasm, evaluation where it is asked
  activateBackend: async (name) => {
    if (name !== 'wasm' && name !== 'cpu') return false;
    await useNodeBackend(name);
    return true;
  },
});

const run = (text: string, options: Parameters<Lab['run']>[1] = {}) =>
  lab.run(parseRecipe(text), options);

const FRACTIONS = [0.3, 0.5, 0.7, 0.9];
const pruning = (f: number) => `model=lenet300&steps=prune(fraction=${f})`;
const fineTuning = (seed: number) =>
  `model=lenet300&seed=${seed}&steps=prune(fraction=0.8);finetune(epochs=1,batches=2,batch=32)`;

beforeAll(async () => {
  await use('wasm');
  // Warm-up: the first run on each backend fills caches that live as long as the process
  // (the test digits, tfjs-layers' cached scalars, kernel choices); the count starts after it.
  for (const name of ['cpu', 'wasm'] as const) {
    await use(name);
    await run(pruning(FRACTIONS[0]));
    await run(fineTuning(1));
  }
});

describe('200 evaluations in one session', () => {
  it('leave tf.memory().numTensors and the variables where they started', async () => {
    const tensors = tf.memory().numTensors;
    const variables = Object.keys(tf.engine().registeredVariables).length;
    const rng = createRng(2024);
    const pick = <T>(items: readonly T[]) => items[Math.floor(rng() * items.length)];
    const outcomes: Record<string, number> = {};
    const count = (what: string) => (outcomes[what] = (outcomes[what] ?? 0) + 1);

    for (let i = 0; i < 200; i++) {
      const roll = rng();
      // Stretches on cpu are kept short (it evaluates ~20 times slower than wasm).
      if (roll < (backend === 'wasm' ? 0.1 : 0.35)) {
        // A backend switch, then a run on the new backend.
        await use(backend === 'wasm' ? 'cpu' : 'wasm');
        count(`switch to ${backend}`);
        await run(pruning(pick(FRACTIONS)));
        count('pruned');
      } else if (roll < 0.35) {
        await run(pruning(pick(FRACTIONS)));
        count('pruned');
      } else if (roll < 0.5) {
        // Fine-tuning; a few seeds, so some runs are computed and some come from the cache.
        const result = await run(fineTuning(pick([1, 2, 3, 4, 5, 6])));
        expect(result.trainedOn).toBe('wasm');
        count('fine-tuned');
      } else if (roll < 0.75) {
        // Cancelled at a random progress event: loading, baseline, compressing, evaluating,
        // measuring; or so late that it finishes.
        const controller = new AbortController();
        let events = 0;
        const stopAt = 1 + Math.floor(rng() * 6);
        const text = rng() < 0.5 ? fineTuning(pick([7, 8, 9])) : pruning(pick([0.1, 0.2, 0.95]));
        try {
          await run(text, {
            signal: controller.signal,
            onProgress: () => ++events === stopAt && controller.abort(),
          });
          count('finished before its cancellation');
        } catch (err) {
          expect(err).toBeInstanceOf(RunCancelledError);
          count('cancelled');
        }
      } else if (roll < 0.87) {
        await expect(
          run(`model=lenet300&steps=prune(fraction=0.5);prune-density(density=conv9:0.5)`),
        ).rejects.toThrow(RecipeError);
        count('failed: no such layer');
      } else {
        const model = pick(Object.keys(BROKEN));
        await expect(run(`model=${model}`)).rejects.toThrow(ModelLoadError);
        count(`failed: ${model}`);
      }
    }
    await use('wasm');
    await lab.dispose();

    expect(tf.memory().numTensors).toBe(tensors);
    expect(Object.keys(tf.engine().registeredVariables).length).toBe(variables);
    // Every kind of evaluation happened.
    for (const kind of [
      'pruned',
      'fine-tuned',
      'cancelled',
      'switch to cpu',
      'switch to wasm',
      'failed: no such layer',
    ]) {
      expect(outcomes[kind], kind).toBeGreaterThan(0);
    }
    expect(Object.keys(outcomes).filter((k) => k.startsWith('failed: broken/')).length).toBe(3);
  }, 300_000); // ~90 s on a quiet machine: the suite's 120 s default fails it on a busy one
});

describe('Lab.dispose', () => {
  it('waits for the runs queued before it, failing ones included', async () => {
    const fresh = new Lab({ read: publicAssets });
    const order: string[] = [];
    const first = fresh.run(parseRecipe(pruning(0.4))).then(() => order.push('run 1'));
    const failing = fresh
      .run(parseRecipe('model=lenet300&steps=prune-density(density=conv9:0.5)'))
      .catch(() => order.push('run 2 failed'));
    const third = fresh.run(parseRecipe(pruning(0.6))).then(() => order.push('run 3'));
    await fresh.dispose().then(() => order.push('disposed'));
    await Promise.all([first, failing, third]);
    expect(order).toEqual(['run 1', 'run 2 failed', 'run 3', 'disposed']);
  });
});
