/**
 * The manifest of a standard data set's files under public/data/<id>/ (written by
 * scripts/build-data.ts at install time): each split's images and labels, the size of each file
 * as stored (what the page downloads), how it is encoded, its size decoded, and the SHA-256 of
 * the decoded bytes (gzip output depends on the zlib version; the decoded bytes do not).
 */
import { z } from 'zod';
import { AssetError } from '../assets.ts';
import { PIXELS } from './digits.ts';

/** The largest decoded file the lab accepts: MNIST's 60,000 training images are 47,040,000. */
export const MAX_DATA_FILE_BYTES = 1 << 27;

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

export const dataFileSchema = z.object({
  // A plain file name in the data set's folder: never a path that leaves it.
  path: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/),
  bytes: z.number().int().min(0).max(MAX_DATA_FILE_BYTES),
  encoding: z.enum(['gzip', 'raw']),
  decodedBytes: z.number().int().min(0).max(MAX_DATA_FILE_BYTES),
  sha256: sha256Hex,
});
export type DataFileEntry = z.infer<typeof dataFileSchema>;

const splitSchema = z.object({
  count: z.number().int().min(0),
  classCounts: z.array(z.number().int().min(0)),
  images: dataFileSchema,
  labels: dataFileSchema,
});

export const dataSetManifestSchema = z.object({
  format: z.literal('complab-dataset'),
  version: z.literal(1),
  id: z.string(),
  /** Where the files came from (package and version, file names). */
  source: z.string(),
  /** The source files' SHA-256, so the build can tell whether it is up to date. */
  sources: z.array(z.object({ file: z.string(), sha256: sha256Hex })),
  validation: z.object({ count: z.number().int(), seed: z.number().int() }),
  splits: z.object({ train: splitSchema, validation: splitSchema, test: splitSchema }),
});
export type DataSetManifest = z.infer<typeof dataSetManifestSchema>;

/** A manifest is a few kilobytes; anything much larger is not one. */
export const MAX_MANIFEST_BYTES = 1 << 20;

/** The manifest as written: JSON, two-space indented, one trailing newline. */
export function encodeDataSetManifest(manifest: DataSetManifest): string {
  return `${JSON.stringify(dataSetManifestSchema.parse(manifest), null, 2)}\n`;
}

/**
 * Reads a manifest (`path` names it in messages): its size, JSON, shape, and that its numbers
 * agree with each other (a split of N images has N x 784 image bytes, N labels, N in its class
 * counts). Whether it describes the data the lab pins is the loader's check.
 */
export function decodeDataSetManifest(bytes: Uint8Array, path: string): DataSetManifest {
  if (bytes.length > MAX_MANIFEST_BYTES) {
    throw new AssetError(`${path} is ${bytes.length} bytes, too large for a manifest`);
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new AssetError(`${path} is not valid JSON`);
  }
  const parsed = dataSetManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AssetError(
      `${path} is not a data set manifest (${issue.path.join('.') || 'top level'}: ${issue.message})`,
    );
  }
  for (const split of ['train', 'validation', 'test'] as const) {
    const entry = parsed.data.splits[split];
    if (
      entry.images.decodedBytes !== entry.count * PIXELS ||
      entry.labels.decodedBytes !== entry.count ||
      entry.classCounts.reduce((a, b) => a + b, 0) !== entry.count
    ) {
      throw new AssetError(
        `${path}: the ${split} split's ${entry.count} images disagree with its file sizes or class counts`,
      );
    }
  }
  return parsed.data;
}
