import { createHash } from 'node:crypto';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEvalArgs } from '../../cli/commands/eval.ts';
import { UsageError } from '../../cli/errors.ts';
import { droppedModel } from '../model/dropped-files.ts';
import { readModelArtifacts } from '../model/load.ts';
import { fileAssetReader, PUBLIC_DIR } from './assets.ts';
import { modelFilesOnDisk } from './model-files.ts';

const lenet300 = join(PUBLIC_DIR, 'models', 'lenet300');

/** A folder `dir/model` holding lenet300's model.json with its manifest's paths replaced. */
function modelWithPaths(paths: string[], link?: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'complab-paths-')), 'a', 'b', 'model');
  mkdirSync(dir, { recursive: true });
  const json = JSON.parse(readFileSync(join(lenet300, 'model.json'), 'utf8')) as {
    weightsManifest: { paths: string[] }[];
  };
  json.weightsManifest[0].paths = paths;
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  if (link) symlinkSync(link, join(dir, paths[0]));
  return join(dir, 'model.json');
}

/** What a call costs in time and resident memory (the error it throws, if any). */
async function cost(call: () => unknown) {
  const rss = process.memoryUsage().rss;
  const start = performance.now();
  let error: unknown;
  try {
    await call();
  } catch (err) {
    error = err;
  }
  return { error, ms: performance.now() - start, grewMb: (process.memoryUsage().rss - rss) / 1e6 };
}

const link = 'v=1&model=user/my-mlp/0123456789abcdef&seed=1&steps=prune(fraction=0.5)';

describe('reading the files a manifest names', () => {
  // `complab eval --model DIR` with a link to an imported model read these before any check:
  // ../../../../dev/zero grew the process to 3.1 GB.
  it.each(['../../../../../../../../dev/zero', '/dev/zero', 'ok.bin/../../../secret'])(
    'refuses the path %j before reading it, in the id of imported files and in the loader',
    async (path) => {
      const modelJson = modelWithPaths([path]);
      const leaves = `lists the weights path ${JSON.stringify(path)}, which leaves the model's folder`;
      const direct = await cost(() => modelFilesOnDisk(modelJson));
      expect((direct.error as Error).message).toContain(leaves);
      const cli = await cost(() => parseEvalArgs(['--model', modelJson, '--recipe', link]));
      expect(cli.error).toBeInstanceOf(UsageError);
      expect((cli.error as Error).message).toContain(leaves);
      await expect(readModelArtifacts(fileAssetReader(''), modelJson)).rejects.toThrow(leaves);
      for (const c of [direct, cli]) {
        expect(c.ms).toBeLessThan(1000);
        expect(c.grewMb).toBeLessThan(100);
      }
    },
  );

  it('reads no device, even through a link inside the folder', async () => {
    const modelJson = modelWithPaths(['weights.bin'], '/dev/zero');
    const direct = await cost(() => modelFilesOnDisk(modelJson));
    expect((direct.error as Error).message).toMatch(/weights\.bin is not a regular file$/);
    expect(direct.grewMb).toBeLessThan(100);
    await expect(readModelArtifacts(fileAssetReader(''), modelJson)).rejects.toThrow(
      /weights\.bin is not a regular file$/,
    );
    expect(() => modelFilesOnDisk('/dev/zero')).toThrow('/dev/zero is not a regular file');
  });

  it("gives the same files the page's drop does, so the same id", () => {
    const dir = mkdtempSync(join(tmpdir(), 'complab-ok-'));
    copyFileSync(join(lenet300, 'model.json'), join(dir, 'my-mlp.json'));
    copyFileSync(join(lenet300, 'weights.bin'), join(dir, 'weights.bin'));
    // The page's id by hand (node:crypto): sha256 over "name\0length\0" and the bytes of each
    // file in name order, its first 16 hex digits.
    const hash = createHash('sha256');
    for (const name of ['my-mlp.json', 'weights.bin']) {
      const bytes = readFileSync(join(dir, name));
      hash.update(`${name}\0${bytes.length}\0`);
      hash.update(bytes);
    }
    const files = modelFilesOnDisk(join(dir, 'my-mlp.json'));
    expect(files.map((f) => f.name)).toEqual(['my-mlp.json', 'weights.bin']);
    expect(droppedModel(files).id).toBe(`user/my-mlp/${hash.digest('hex').slice(0, 16)}`);
  });
});
