import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../engine/lab.ts';
import { fileAssetReader } from '../engine/node/assets.ts';
import { useNodeBackend } from '../engine/node/backend.ts';
import { parseRecipe } from '../engine/recipe/share.ts';

const root = join(import.meta.dirname, '..', '..');
const lenet300 = join(root, 'public', 'models', 'lenet300');

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

async function complab(...args: string[]): Promise<CliRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)('node', ['bin/complab.mjs', ...args], {
      cwd: root,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

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
    await lab.dispose();
  });

  it('takes --prune as shorthand and a model by path', async () => {
    const byPath = await complab(
      'eval',
      '--model',
      join(lenet300, 'model.json'),
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
  ])('rejects %j with one clear line', async (args, message) => {
    expectOneLineError(await complab(...(args as string[])), message);
  });

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
