import * as tf from '@tensorflow/tfjs';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../engine/lab.ts';
import { fileAssetReader } from '../engine/node/assets.ts';
import { useNodeBackend } from '../engine/node/backend.ts';
import { loadModelFromDir } from '../engine/node/save-model.ts';
import { parseRecipe } from '../engine/recipe/share.ts';
import { complab, type CliRun } from '../engine/test/complab-cli.ts';

const root = join(import.meta.dirname, '..', '..');
const lenet300 = join(root, 'public', 'models', 'lenet300');

/** A copy of the shipped lenet300 with one file altered, to play a user's broken model. */
function brokenCopy(
  alter: (dir: string, modelJson: Record<string, unknown>) => Record<string, unknown> | string,
): string {
  const dir = mkdtempSync(join(tmpdir(), 'complab-'));
  const modelJson = JSON.parse(readFileSync(join(lenet300, 'model.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const manifest = modelJson.weightsManifest as { paths: string[] }[];
  for (const path of manifest.flatMap((g) => g.paths))
    copyFileSync(join(lenet300, path), join(dir, path));
  const altered = alter(dir, modelJson);
  writeFileSync(
    join(dir, 'model.json'),
    typeof altered === 'string' ? altered : JSON.stringify(altered),
  );
  return join(dir, 'model.json');
}

function expectOneLineError(run: CliRun, message: RegExp) {
  expect(run.code).not.toBe(0);
  expect(run.stdout).toBe('');
  const lines = run.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^complab: /);
  expect(lines[0]).toMatch(message);
  expect(run.stderr).not.toMatch(/\bat .*\.(ts|js):\d+/); // no stack trace
}

describe('complab eval', () => {
  beforeAll(async () => {
    await useNodeBackend('wasm');
  });

  it('prints the same numbers as the engine for a share link, as one JSON object', async () => {
    const link = 'http://localhost:5173/#v=1&model=lenet300&seed=1&steps=prune(fraction=0.8)';
    const run = await complab('eval', '--recipe', link, '--json');
    expect(run.code).toBe(0);
    const printed = JSON.parse(run.stdout);
    const lab = new Lab({ read: fileAssetReader() });
    const expected = await lab.run(parseRecipe(link));
    expect(printed).toMatchObject({
      model: 'lenet300',
      backend: 'wasm',
      accuracy: expected.accuracy,
      baselineAccuracy: expected.baselineAccuracy,
      sizeBytes: expected.sizeBytes,
      baselineSizeBytes: expected.baselineSizeBytes,
      params: 266_610,
      nonzeroParams: expected.nonzeroParams,
      macs: expected.macs,
      recipe: 'v=1&model=lenet300&seed=1&steps=prune(fraction=0.8)',
      shareUrl: link,
    });
    expect(printed.compressionRatio).toBeCloseTo(
      expected.baselineSizeBytes / expected.sizeBytes,
      10,
    );
    // A link without data= is a run on mnist-10k's 2,000 test digits.
    expect(printed.data).toBe('mnist-10k');
    expect(printed.total).toBe(2000);
    expect(printed).not.toHaveProperty('predicted');
    expect(printed).not.toHaveProperty('confidence');

    // The table names the data set and reads the paired comparison as points, lost, gained, p.
    const table = await complab('eval', '--recipe', link, '--quiet');
    const { lost, gained } = expected.paired!;
    const points = (100 * (gained - lost)) / 2000;
    expect(table.stdout).toMatch(/\ndata +mnist-10k \(MNIST, .*\), 2,000 test images\n/);
    expect(table.stdout).toContain(
      `\nvs baseline  ${points < 0 ? '-' : '+'}${Math.abs(points).toFixed(2)} pt (${lost} lost, ${gained} gained; p `,
    );
    await lab.dispose();
  });

  it('takes --prune as shorthand and a model by path', async () => {
    const byPath = await complab(
      'eval',
      '--model',
      join(lenet300, 'model.json'),
      '--data',
      'mnist-10k',
      '--prune',
      '0.8',
      '--json',
    );
    const byId = await complab(
      'eval',
      '--model',
      'lenet300',
      '--recipe',
      'steps=prune(fraction=0.8)',
      '--json',
    );
    expect(byPath.code).toBe(0);
    const [a, b] = [JSON.parse(byPath.stdout), JSON.parse(byId.stdout)];
    expect(a.accuracy).toBe(b.accuracy);
    expect(a.sizeBytes).toBe(b.sizeBytes);
    expect(a.shareUrl).toBeNull(); // a file on this disk cannot be opened from a link
  });

  it.each([
    [['eval', '--model', 'resnet50'], /unknown model "resnet50"/],
    [['eval', '--model', '/nonexistent/model.json'], /file not found: \/nonexistent\/model\.json/],
    [['eval', '--model', 'lenet5', '--recipe', 'steps=prune(fraction=1.2)'], /between 0 and 0.99/],
    [['eval', '--recipe', 'model=lenet5&steps=prune(fraction=0.5'], /not of the form/],
    [['eval', '--model', 'lenet5', '--prune', 'lots'], /fraction must be a number/],
    [['eval', '--model', 'lenet5', '--backend', 'webgl'], /--backend must be one of wasm, cpu/],
    [['eval', '--model', 'lenet5', '--recipe', 'model=lenet300'], /disagrees/],
    [['eval'], /name a model/],
    [['evaluate'], /unknown command "evaluate"/],
    [['constructor'], /unknown command "constructor"/],
    [
      ['eval', '--recipe', 'model=../../etc/passwd'],
      /not shipped .* give a model file with --model/,
    ],
    [['eval', '--model', 'lenet5', '--preset', 'magic'], /unknown preset "magic"/],
    [
      ['eval', '--model', 'lenet5', '--preset', 'dsd', '--prune', '0.5'],
      /give one of --recipe, --prune and --preset/,
    ],
    [['eval', '--model', 'lenet5', '--seed=-0'], /--seed must be a whole number/],
    [
      ['eval', '--model', 'lenet5', '--recipe', 'steps=prune-density(density=conv9:0.5)'],
      /step 1 \(prune-density\): .*no conv or dense layer "conv9" \(its layers: conv1, conv2, fc1, fc2\)/,
    ],
    [
      ['eval', '--model', 'lenet5', '--recipe', 'steps=prune-density(density=*:1.5)'],
      /density for \* must be between 0.001 and 1/,
    ],
    [
      ['eval', '--model', 'lenet300', '--recipe', 'steps=ssl(filters=0.01)'],
      /step 1 \(ssl\): .*need conv layers/,
    ],
    [['sensitivity'], /name a model/],
    [['sensitivity', '--model', 'lenet5', '--digits', 'train'], /--digits must be test or check/],
    [['sensitivity', '--model', 'lenet5', '--densities', '0.5,2'], /--densities must be fractions/],
    [['reproduce', 'magic', '--model', 'lenet5'], /unknown preset "magic"/],
    [
      ['eval', '--model', 'lenet5', '--data', 'cifar10'],
      /^complab: unknown data set "cifar10" for --data \(known: mnist, fashion-mnist, mnist-10k\)$/,
    ],
    [['zoo', '--data', 'svhn'], /unknown data set "svhn" for --data \(known: mnist, /],
    [
      ['eval', '--recipe', 'model=lenet5&data=fashion-mnist&steps=', '--data', 'mnist'],
      /--data mnist disagrees with the recipe's data set fashion-mnist/,
    ],
    [
      ['eval', '--recipe', 'model=lenet5&data=cifar10&steps='],
      /data set "cifar10" is not in this build \(known: mnist, fashion-mnist, mnist-10k\)/,
    ],
    [
      ['eval', '--model', 'squeezenet', '--data', 'mnist'],
      /^complab: no trained squeezenet for mnist in this build \(mnist has .*; squeezenet is trained on .*mnist-10k/,
    ],
    [['reproduce', 'dsd', '--model', 'lenet5', '--seeds', '0'], /--seeds must be a whole number/],
    [['reproduce', 'dsd', '--model', 'my/model.json'], /reproduce needs a shipped model/],
  ])('rejects %j with one clear line', async (args, message) => {
    expectOneLineError(await complab(...(args as string[])), message);
  });

  it('runs a short fine-tuning recipe and reports every step, progress on stderr only', async () => {
    const run = await complab(
      'eval',
      '--model',
      'lenet300',
      '--recipe',
      'steps=prune(fraction=0.9);finetune(epochs=1,batches=5)',
      '--json',
    );
    expect(run.code).toBe(0);
    const printed = JSON.parse(run.stdout);
    expect(printed.steps.map((s: { technique: string }) => s.technique)).toEqual([
      'prune',
      'finetune',
    ]);
    expect(printed.trainedOn).toBe('wasm');
    // Fine-tuning keeps the pruned weights at zero: the same nonzero count as after pruning.
    expect(printed.steps[1].nonzeroParams).toBe(printed.steps[0].nonzeroParams);
    expect(printed.nonzeroParams).toBe(printed.steps[0].nonzeroParams);
  });

  it('prints what a preset expands to', async () => {
    const run = await complab('presets', '--model', 'lenet5', '--json');
    expect(run.code).toBe(0);
    const rows = JSON.parse(run.stdout) as { id: string; recipe: string }[];
    expect(rows.map((r) => r.id)).toEqual([
      'deep-compression-pruning',
      'ssl',
      'dsd',
      'svd',
      'tucker2',
      'force-tucker2',
      'deep-compression',
      'wq',
      'ttq',
      'xnor',
      'binaryconnect',
    ]);
    // The paper's LeNet-5 densities (Deep Compression, Table 3; fc1 at 7.5% so the total stays
    // within the paper's 8%) and the DSD rule (conv1 dense).
    expect(rows[0].recipe).toContain('density=conv1:0.66|conv2:0.12|fc1:0.075|fc2:0.19');
    expect(rows[2].recipe).toContain('prune-density(density=*:0.7|conv1:1)');
    expect(rows[2].recipe).toContain('redense()');
    expect(rows[4].recipe).toContain(
      'tucker2(rankIn=conv2:12,rankOut=conv2:20);svd(energy=*:1,rank=fc1:64);finetune(',
    );
  });

  it('prints sensitivity curves as JSON: each layer alone, at each density', async () => {
    const run = await complab(
      'sensitivity',
      '--model',
      'lenet300',
      '--data',
      'mnist-10k',
      '--densities',
      '0.5,0.05',
      '--json',
    );
    expect(run.code).toBe(0);
    const printed = JSON.parse(run.stdout);
    expect(printed.model).toBe('lenet300');
    // Choices are made on validation images by default, not on the test split.
    expect(printed.digits).toBe('check');
    expect(printed.layers.map((l: { name: string }) => l.name)).toEqual(['fc1', 'fc2', 'fc3']);
    for (const layer of printed.layers) {
      expect(layer.points.map((p: { density: number }) => p.density)).toEqual([1, 0.5, 0.05]);
      expect(layer.points[0].accuracy).toBe(printed.baseAccuracy);
    }
    // One-shot: keeping 5% of fc1 hurts more than keeping half of it.
    expect(printed.layers[0].points[2].accuracy).toBeLessThan(printed.layers[0].points[1].accuracy);
  });

  it("on MNIST by default: --json's paired figures are what plain tfjs and a hand count give", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'complab-paired-')), 'out');
    const run = await complab(
      'eval',
      '--model',
      'lenet300',
      '--prune',
      '0.7',
      '--export-model',
      dir,
      '--quiet',
      '--json',
    );
    expect(run.code).toBe(0);
    const printed = JSON.parse(run.stdout);
    expect(printed.data).toBe('mnist');
    expect(printed.recipe).toBe('v=2&model=lenet300&data=mnist&seed=1&steps=prune(fraction=0.7)');
    expect(printed.total).toBe(10_000);
    expect(printed).not.toHaveProperty('predicted');

    // Both networks through plain tfjs on MNIST's 10,000 test images: the shipped baseline and
    // the pruned network eval wrote, then the images one gets right and the other wrong.
    const lab = new Lab({ read: fileAssetReader() });
    const test = await lab.test('mnist');
    await lab.dispose();
    const x = tf.tensor(
      Float32Array.from(test.images, (v) => v / 255),
      [test.count, 28, 28, 1],
    );
    const classesOf = async (model: tf.LayersModel) => {
      // LeNet-300-100 takes the 784 pixels flat.
      const shape = [test.count, ...model.inputs[0].shape.slice(1).map(Number)];
      const classes = tf.tidy(() => (model.predict(x.reshape(shape)) as tf.Tensor).argMax(-1));
      const data = await classes.data();
      classes.dispose();
      model.dispose();
      return data;
    };
    const base = await classesOf(
      await loadModelFromDir(join(root, 'public/models/mnist/lenet300')),
    );
    const ours = await classesOf(await loadModelFromDir(dir));
    x.dispose();
    let lost = 0;
    let gained = 0;
    for (let i = 0; i < test.count; i++) {
      const [b, o] = [base[i] === test.labels[i], ours[i] === test.labels[i]];
      if (b && !o) lost++;
      if (o && !b) gained++;
    }
    expect(printed.paired.lost).toBe(lost);
    expect(printed.paired.gained).toBe(gained);
    // McNemar's exact two-sided p: 2 P(X <= min) for X ~ Binomial(lost + gained, 1/2), in
    // exact integers, capped at 1.
    const n = BigInt(lost + gained);
    let binomial = 1n;
    let tail = 0n;
    for (let i = 0n; i <= BigInt(Math.min(lost, gained)); i++) {
      tail += binomial;
      binomial = (binomial * (n - i)) / (i + 1n);
    }
    const scale = 10n ** 100n;
    const p = Math.min(1, Number((2n * tail * scale) / 2n ** n) / 1e100);
    expect(printed.paired.pValue / p).toBeCloseTo(1, 9);
    expect(printed.accuracy - printed.baselineAccuracy).toBeCloseTo((gained - lost) / 10_000, 12);
  }, 120_000);

  it('reproduces with seeds 1..n: ours holds their means and sample standard deviations', async () => {
    const run = await complab(
      'reproduce',
      'svd',
      '--model',
      'lenet300',
      '--data',
      'mnist-10k',
      '--seeds',
      '2',
      '--batches',
      '2',
      '--json',
      '--quiet',
    );
    expect(run.code).toBe(0);
    const { data, ours } = JSON.parse(run.stdout);
    expect(data).toBe('mnist-10k');
    const seeds = ours.seeds as Record<string, number & Record<string, unknown>>[];
    expect(seeds.map((s) => s.seed)).toEqual([1, 2]);
    expect(seeds.map((s) => s.data)).toEqual(['mnist-10k', 'mnist-10k']);
    expect(seeds[0].recipe).toMatch(/&seed=1&/);
    expect(seeds[1].recipe).toMatch(/&seed=2&/);
    for (const s of seeds) expect(Object.keys(s.paired)).toEqual(['lost', 'gained', 'pValue']);
    // By hand: the mean of two values and their sample standard deviation |a - b| / sqrt(2).
    for (const field of ['accuracy', 'accuracyDrop', 'compressionRatio', 'nonzeroParams']) {
      const [a, b] = seeds.map((s) => s[field] as number);
      expect(ours[field], field).toBeCloseTo((a + b) / 2, 12);
      expect(ours.std[field], field).toBeCloseTo(Math.abs(a - b) / Math.SQRT2, 12);
    }
    // Each seed trains on its own shuffle: the accuracies differ, so the spread is not nothing.
    expect(ours.std.accuracy).toBeGreaterThan(0);
    // Each seed's p-value stays its own; a mean of them would mean nothing.
    expect(ours).not.toHaveProperty('paired');
    expect(ours.std).not.toHaveProperty('recipe');
  }, 180_000);

  it('rejects broken model files with one line naming the problem', async () => {
    const truncatedJson = brokenCopy((_, json) => JSON.stringify(json).slice(0, 300));
    expectOneLineError(await complab('eval', '--model', truncatedJson), /is not valid JSON/);

    const truncatedWeights = brokenCopy((dir, json) => {
      const path = (json.weightsManifest as { paths: string[] }[])[0].paths[0];
      const bytes = readFileSync(join(dir, path));
      writeFileSync(join(dir, path), bytes.subarray(0, bytes.length - 1000));
      return json;
    });
    expectOneLineError(
      await complab('eval', '--model', truncatedWeights),
      /hold \d+ bytes but its manifest needs \d+/,
    );

    const unknownLayer = brokenCopy((_, json) =>
      JSON.parse(JSON.stringify(json).replace('"class_name":"Dense"', '"class_name":"FancyLayer"')),
    );
    expectOneLineError(
      await complab('eval', '--model', unknownLayer),
      /layer type FancyLayer, which the lab does not support/,
    );

    const notAModel = brokenCopy(() => '{"hello": "world"}');
    expectOneLineError(await complab('eval', '--model', notAModel), /not a tfjs LayersModel/);
  });
});
