import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDigitSplit, PIXELS } from '../engine/data/digits.ts';
import { useNodeBackend } from '../engine/node/backend.ts';
import { loadModelFromDir } from '../engine/node/save-model.ts';
import { publicAssets } from '../engine/test/fixtures.ts';
import { complab } from '../engine/test/complab-cli.ts';

beforeAll(async () => {
  await useNodeBackend('wasm');
});

describe('complab eval --export-model DIR', () => {
  it('writes a LayersModel plain tfjs loads, with the same correct count, and the compact file', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'complab-export-model-')), 'out');
    const recipe = 'v=1&model=lenet5&seed=1&steps=prune-density(density=*:0.1);kmeans(bits=*:4)';
    const run = await complab(
      'eval',
      '--recipe',
      recipe,
      '--export-model',
      dir,
      '--quiet',
      '--json',
    );
    expect(run.code).toBe(0);
    const evaluated = JSON.parse(run.stdout) as {
      correct: number;
      sizeBytes: number;
      params: number;
    };

    // Plain tfjs: tf.loadLayersModel through a file handler, the pixels scaled as in training.
    const model = await loadModelFromDir(dir);
    const test = await loadDigitSplit(publicAssets, 'test');
    const x = tf.tensor(
      Float32Array.from(test.images.subarray(0, test.count * PIXELS), (v) => v / 255),
      [test.count, 28, 28, 1],
    );
    const classes = tf.tidy(() => (model.predict(x) as tf.Tensor).argMax(-1));
    const predicted = await classes.data();
    tf.dispose([x, classes]);
    model.dispose();
    let correct = 0;
    for (let k = 0; k < test.count; k++) if (predicted[k] === test.labels[k]) correct++;
    expect(correct).toBe(evaluated.correct);
    expect(statSync(join(dir, 'weights.bin')).size).toBe(4 * evaluated.params);

    // The compact file is the reported size and reads back to the same accuracy.
    expect(statSync(join(dir, 'model.clw')).size).toBe(evaluated.sizeBytes);
    const back = await complab(
      'eval',
      '--model',
      join(dir, 'model.clw'),
      '--data',
      'mnist-10k',
      '--quiet',
      '--json',
    );
    expect((JSON.parse(back.stdout) as { correct: number }).correct).toBe(evaluated.correct);
  }, 180_000);

  it('refuses a binary (XNOR-Net) network with one line naming the layer, writing nothing', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'complab-export-model-')), 'out');
    const run = await complab(
      'eval',
      '--recipe',
      'v=1&model=lenet300&seed=1&steps=xnor(epochs=0)',
      '--export-model',
      dir,
      '--quiet',
    );
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^complab: layer "fc2" is a BinaryDense/);
    expect(existsSync(dir)).toBe(false);
    const missing = await complab('eval', '--model', 'lenet300', '--export-model');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--export-model needs a value/);
  }, 120_000);
});

describe('complab eval --model FILE on a link to a model imported in a browser', () => {
  it('runs the link with the same files, and names the mismatch with other files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'complab-imported-'));
    const file = join(dir, 'my-mlp.clw');
    expect(
      (await complab('export', '--model', 'lenet300', '--data', 'mnist-10k', '--out', file)).code,
    ).toBe(0);
    // The page's id for a dropped compact file, computed here with node:crypto: sha256 over
    // "name\0length\0" and the bytes, the first 16 hex digits.
    const bytes = readFileSync(file);
    const hash = createHash('sha256');
    hash.update(`my-mlp.clw\0${bytes.length}\0`);
    hash.update(bytes);
    const id = `user/my-mlp/${hash.digest('hex').slice(0, 16)}`;

    const steps = 'steps=prune(fraction=0.5)';
    const viaLink = await complab(
      'eval',
      '--model',
      file,
      '--recipe',
      `v=1&model=${id}&seed=1&${steps}`,
      '--quiet',
      '--json',
    );
    const direct = await complab(
      'eval',
      '--model',
      file,
      '--recipe',
      `v=1&seed=1&${steps}`,
      '--quiet',
      '--json',
    );
    expect(viaLink.code).toBe(0);
    expect(direct.code).toBe(0);
    const [a, b] = [viaLink, direct].map(
      (r) => JSON.parse(r.stdout) as { correct: number; sizeBytes: number },
    );
    expect(a.correct).toBe(b.correct);
    expect(a.sizeBytes).toBe(b.sizeBytes);

    const other = await complab(
      'eval',
      '--model',
      file,
      '--recipe',
      `v=1&model=user/my-mlp/0123456789abcdef&seed=1&${steps}`,
    );
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('is not the model the link needs');
    expect(other.stderr).toContain(id);
  }, 120_000);
});
