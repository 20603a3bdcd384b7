import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { AssetError, type AssetReader } from '../assets.ts';

export const IMAGE_SIZE = 28;
export const PIXELS = IMAGE_SIZE * IMAGE_SIZE;
export const NUM_CLASSES = 10;

const fileEntry = z.object({ path: z.string(), bytes: z.number().int(), sha256: z.string() });
const splitEntry = z.object({ count: z.number().int(), images: fileEntry, labels: fileEntry });
export const digitsManifestSchema = z.object({
  format: z.literal('complab-digits'),
  version: z.literal(1),
  source: z.string(),
  seed: z.number().int(),
  imageShape: z.tuple([z.literal(28), z.literal(28), z.literal(1)]),
  classCounts: z.object({ train: z.array(z.number().int()), test: z.array(z.number().int()) }),
  train: splitEntry,
  test: splitEntry,
});
export type DigitsManifest = z.infer<typeof digitsManifestSchema>;
export type SplitName = 'train' | 'test';

/**
 * One split of a data set's images: `images` holds count x H x W x C uint8 values (row-major,
 * channels last), `labels` one class per image. The shipped sets are 28x28x1 in 10 classes,
 * which is what an absent `shape` / `classCount` means.
 */
export interface DigitSplit {
  readonly count: number;
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  /** Height, width, channels (1 or 3) of every image; absent: [28, 28, 1]. */
  readonly shape?: readonly [number, number, number];
  /** How many classes the labels index (2 to 1,000); absent: 10. */
  readonly classCount?: number;
}

/** A split's image shape [H, W, C]. */
export const imageShapeOf = (split: Pick<DigitSplit, 'shape'>): readonly [number, number, number] =>
  split.shape ?? [IMAGE_SIZE, IMAGE_SIZE, 1];

/** Values per image (H x W x C). */
export const valuesPerImage = (split: Pick<DigitSplit, 'shape'>): number => {
  const [h, w, c] = imageShapeOf(split);
  return h * w * c;
};

/** How many classes a split's labels index. */
export const classCountOf = (split: Pick<DigitSplit, 'classCount'>): number =>
  split.classCount ?? NUM_CLASSES;

export const DIGITS_MANIFEST_PATH = 'data/manifest.json';

export function sha256Hex(bytes: Uint8Array): string {
  return bytesToHex(sha256(bytes));
}

export async function loadDigitsManifest(read: AssetReader): Promise<DigitsManifest> {
  const raw = new TextDecoder().decode(await read(DIGITS_MANIFEST_PATH));
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new AssetError(`${DIGITS_MANIFEST_PATH} is not valid JSON`);
  }
  const parsed = digitsManifestSchema.safeParse(json);
  if (!parsed.success) throw new AssetError(`${DIGITS_MANIFEST_PATH} is not a digits manifest`);
  return parsed.data;
}

async function readVerified(
  read: AssetReader,
  entry: z.infer<typeof fileEntry>,
): Promise<Uint8Array> {
  const path = `data/${entry.path}`;
  const bytes = new Uint8Array(await read(path));
  if (bytes.length !== entry.bytes) {
    throw new AssetError(`${path} has ${bytes.length} bytes, the manifest says ${entry.bytes}`);
  }
  const digest = sha256Hex(bytes);
  if (digest !== entry.sha256) {
    throw new AssetError(`${path} fails its checksum (sha256 ${digest}, expected ${entry.sha256})`);
  }
  return bytes;
}

/** Loads one split and checks its files against the manifest's sizes and SHA-256 checksums. */
export async function loadDigitSplit(
  read: AssetReader,
  split: SplitName,
  manifest?: DigitsManifest,
): Promise<DigitSplit> {
  const m = manifest ?? (await loadDigitsManifest(read));
  const entry = m[split];
  const [images, labels] = await Promise.all([
    readVerified(read, entry.images),
    readVerified(read, entry.labels),
  ]);
  if (images.length !== entry.count * PIXELS || labels.length !== entry.count) {
    throw new AssetError(`data/${split} files do not hold ${entry.count} digits`);
  }
  return { count: entry.count, images, labels };
}
