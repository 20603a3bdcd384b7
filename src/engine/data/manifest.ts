/**
 * The manifest of a standard data set's files under public/data/<id>/ (written by
 * scripts/build-data.ts at install time): each split's images and labels, the size of each file
 * as stored (what the page downloads), how it is encoded, its size decoded, and the SHA-256 of
 * the decoded bytes (gzip output depends on the zlib version; the decoded bytes do not).
 */
import { z } from 'zod';

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
