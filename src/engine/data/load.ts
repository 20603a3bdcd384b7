/**
 * Loads a data set's splits through an AssetReader (HTTP in the page and the worker, files in
 * Node), as the DigitSplit the lab computes on. Every decoded file must match the SHA-256 that
 * datasets.ts pins (a file that does not is named), so a stale or tampered manifest cannot slip
 * other data in. Splits load on demand: the page fetches a training split only to train.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { AssetError, type AssetReader } from '../assets.ts';
import {
  dataSetInfo,
  MNIST_10K_VALIDATION_COUNT,
  type DataSetId,
  type DataSetInfo,
  type DataSplitName,
} from './datasets.ts';
import { loadDigitSplit, loadDigitsManifest, PIXELS, type DigitSplit } from './digits.ts';
import { gunzipExactly, isGzip } from './gzip.ts';
import { decodeDataSetManifest, type DataFileEntry, type DataSetManifest } from './manifest.ts';

/** Where a data set's manifest lives; mnist-10k keeps the place the lab always read it from. */
export function dataSetManifestPath(id: DataSetId): string {
  return id === 'mnist-10k' ? 'data/manifest.json' : `data/${id}/manifest.json`;
}

/** A data set whose manifest has been read: its splits load (once each) on demand. */
export interface DataSet {
  readonly info: DataSetInfo;
  /** Bytes read to load `split`, as stored (compressed where the files are): for "downloading N MB". */
  downloadBytes(split: DataSplitName): number;
  split(split: DataSplitName): Promise<DigitSplit>;
}

/** Reads data set `id`'s manifest and checks it against the pinned checksums; loads no split. */
export async function loadDataSet(read: AssetReader, id: string): Promise<DataSet> {
  const info = dataSetInfo(id);
  return info.id === 'mnist-10k'
    ? await legacyDataSet(read, info)
    : standardDataSet(read, info, await loadDataSetManifest(read, info));
}

/** One split of data set `id`, checked. */
export async function loadDataSplit(
  read: AssetReader,
  id: string,
  split: DataSplitName,
): Promise<DigitSplit> {
  return (await loadDataSet(read, id)).split(split);
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  // WebCrypto where there is one (native: 107 ms against 413 ms on 43 MB here); absent from pages
  // served over plain HTTP from a host other than localhost, where the pure-JS hash takes over.
  const subtle = globalThis.crypto?.subtle;
  if (subtle) {
    return bytesToHex(
      new Uint8Array(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)),
    );
  }
  return bytesToHex(sha256(bytes));
}

async function loadDataSetManifest(read: AssetReader, info: DataSetInfo): Promise<DataSetManifest> {
  const path = dataSetManifestPath(info.id);
  let raw: ArrayBuffer;
  try {
    raw = await read(path);
  } catch (err) {
    throw new AssetError(
      `data set ${info.id}: ${(err as Error).message} (its files are built by npm install; run npm run build:data)`,
    );
  }
  const manifest = decodeDataSetManifest(new Uint8Array(raw), path);
  if (manifest.id !== info.id) {
    throw new AssetError(
      `${path} is the manifest of data set "${manifest.id.slice(0, 60)}", not ${info.id}`,
    );
  }
  for (const split of ['train', 'validation', 'test'] as const) {
    const entry = manifest.splits[split];
    const pinned = info.splits[split];
    if (
      entry.count !== pinned.count ||
      entry.images.sha256 !== pinned.imagesSha256 ||
      entry.labels.sha256 !== pinned.labelsSha256
    ) {
      throw new AssetError(
        `${path} does not describe ${info.id}'s ${split} split as this version of the lab knows it (built by another version? run npm run build:data)`,
      );
    }
  }
  return manifest;
}

/**
 * Reads one file of data set folder `folder` (e.g. data/mnist): gzip'd as stored, or already
 * decoded by the server; its sizes and decoded SHA-256 checked either way.
 */
export async function readDataFile(
  read: AssetReader,
  folder: string,
  entry: DataFileEntry,
): Promise<Uint8Array> {
  const path = `${folder}/${entry.path}`;
  const bytes = new Uint8Array(await read(path));
  let decoded: Uint8Array;
  if (entry.encoding === 'gzip' && isGzip(bytes)) {
    if (bytes.length !== entry.bytes) {
      throw new AssetError(`${path} has ${bytes.length} bytes, the manifest says ${entry.bytes}`);
    }
    decoded = await gunzipExactly(bytes, entry.decodedBytes, path);
  } else {
    // Raw as stored, or a server that sent the gzip file with Content-Encoding: gzip, which the
    // browser undid: the decoded size and checksum still have to hold.
    if (bytes.length !== entry.decodedBytes) {
      throw new AssetError(
        `${path} has ${bytes.length} bytes, the manifest says ${entry.bytes} (${entry.decodedBytes} decoded)`,
      );
    }
    decoded = bytes;
  }
  const digest = await sha256Hex(decoded);
  if (digest !== entry.sha256) {
    throw new AssetError(`${path} fails its checksum (sha256 ${digest}, expected ${entry.sha256})`);
  }
  return decoded;
}

/** Each split's load promise, kept once made; a failed one is forgotten so a retry reads again. */
function onceEach(
  load: (split: DataSplitName) => Promise<DigitSplit>,
): (split: DataSplitName) => Promise<DigitSplit> {
  const loads = new Map<DataSplitName, Promise<DigitSplit>>();
  return (split) => {
    let pending = loads.get(split);
    if (!pending) {
      pending = load(split);
      loads.set(split, pending);
      pending.catch(() => loads.delete(split));
    }
    return pending;
  };
}

function standardDataSet(read: AssetReader, info: DataSetInfo, manifest: DataSetManifest): DataSet {
  const folder = `data/${info.id}`;
  return {
    info,
    downloadBytes: (split) =>
      manifest.splits[split].images.bytes + manifest.splits[split].labels.bytes,
    split: onceEach(async (split) => {
      const entry = manifest.splits[split];
      const [images, labels] = await Promise.all([
        readDataFile(read, folder, entry.images),
        readDataFile(read, folder, entry.labels),
      ]);
      return { count: entry.count, images, labels };
    }),
  };
}

/**
 * mnist-10k: the committed 8,000 / 2,000 files and their manifest, read by digits.ts as always;
 * its validation split is the last 2,000 training digits (views, not copies).
 */
async function legacyDataSet(read: AssetReader, info: DataSetInfo): Promise<DataSet> {
  const manifest = await loadDigitsManifest(read);
  for (const split of ['train', 'test'] as const) {
    const pinned = info.splits[split];
    if (
      manifest[split].count !== pinned.count ||
      manifest[split].images.sha256 !== pinned.imagesSha256 ||
      manifest[split].labels.sha256 !== pinned.labelsSha256
    ) {
      throw new AssetError(
        `data/manifest.json does not describe mnist-10k's ${split} split as this version of the lab knows it`,
      );
    }
  }
  const bytesOf = (split: 'train' | 'test') =>
    manifest[split].images.bytes + manifest[split].labels.bytes;
  const split = onceEach(async (name): Promise<DigitSplit> => {
    if (name !== 'validation') return loadDigitSplit(read, name, manifest);
    const train = await split('train');
    const start = train.count - MNIST_10K_VALIDATION_COUNT;
    const validation = {
      count: MNIST_10K_VALIDATION_COUNT,
      images: train.images.subarray(start * PIXELS),
      labels: train.labels.subarray(start),
    };
    const pinned = info.splits.validation;
    if (
      (await sha256Hex(validation.images)) !== pinned.imagesSha256 ||
      (await sha256Hex(validation.labels)) !== pinned.labelsSha256
    ) {
      throw new AssetError(
        `mnist-10k's validation digits (the last 2,000 training digits) fail their checksum`,
      );
    }
    return validation;
  });
  return {
    info,
    downloadBytes: (name) => bytesOf(name === 'validation' ? 'train' : name),
    split,
  };
}

/**
 * Data sets by id, each manifest read once (and each split, through its DataSet, once): what a
 * lab holds. A load that fails is forgotten, so the next call tries again.
 */
export class DataSets {
  private readonly loads = new Map<string, Promise<DataSet>>();

  constructor(private readonly read: AssetReader) {}

  get(id: string): Promise<DataSet> {
    let pending = this.loads.get(id);
    if (!pending) {
      pending = loadDataSet(this.read, id);
      this.loads.set(id, pending);
      pending.catch(() => this.loads.delete(id));
    }
    return pending;
  }
}
