import * as tf from '@tensorflow/tfjs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../model/zoo.ts';
import { useNodeBackend } from './backend.ts';
import { loadModelFromDir, saveModelToDir } from './save-model.ts';

let dir: string;

beforeAll(async () => {
  await useNodeBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'complab-save-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('saveModelToDir / loadModelFromDir', () => {
  it('writes model.json + one weights.bin in the tfjs LayersModel format', async () => {
    const model = buildModel('lenet300', 4);
    const target = join(dir, 'lenet300');
    await saveModelToDir(model, target);
    const json = JSON.parse(await readFile(join(target, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.modelTopology.config.name).toBe('lenet300');
    expect(json.weightsManifest).toHaveLength(1);
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    expect(json.weightsManifest[0].weights.map((w: { name: string }) => w.name)).toEqual([
      'fc1/kernel',
      'fc1/bias',
      'fc2/kernel',
      'fc2/bias',
      'fc3/kernel',
      'fc3/bias',
    ]);
    expect((await stat(join(target, 'weights.bin'))).size).toBe(266_610 * 4);
    model.dispose();
  });

  it('loads back a model that predicts exactly like the saved one', async () => {
    const model = buildModel('lenet5', 4);
    const target = join(dir, 'lenet5');
    await saveModelToDir(model, target);
    const loaded = await loadModelFromDir(target);
    expect(loaded.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
    const x = tf.randomUniform([4, 28, 28, 1], 0, 1, 'float32', 1);
    const [expected, actual] = [model, loaded].map((m) => m.predict(x) as tf.Tensor);
    expect(actual.dataSync()).toEqual(expected.dataSync());
    tf.dispose([x, expected, actual]);
    model.dispose();
    loaded.dispose();
  });

  it('rejects a weights path that leaves the model folder', async () => {
    const model = buildModel('lenet300', 4);
    const target = join(dir, 'escape');
    await saveModelToDir(model, target);
    const jsonPath = join(target, 'model.json');
    const json = JSON.parse(await readFile(jsonPath, 'utf8'));
    json.weightsManifest[0].paths = ['../lenet300/weights.bin'];
    await writeFile(jsonPath, JSON.stringify(json));
    await expect(loadModelFromDir(target)).rejects.toThrow(/leaves/);
    model.dispose();
  });

  it('fails clearly on a folder without a model', async () => {
    await expect(loadModelFromDir(join(dir, 'missing'))).rejects.toThrow(/model\.json/);
  });
});
