/**
 * A model's files on disk as the page holds them once dropped (name and bytes), for the id an
 * imported model gets (`user/NAME/HASH`): a compact file alone, or a model.json with the
 * weight files its manifest lists. Read with the page's and the loader's checks, before any
 * byte of a weight file is read: every manifest path through checkWeightsPath (nothing outside
 * the model's folder), only regular files (not /dev/zero, a FIFO or a folder), and the page's
 * byte limits for a drop, from the files' sizes.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { isCompactModel } from '../encode/model-file.ts';
import { checkDroppedSizes, type ModelFile } from '../model/dropped-files.ts';
import { ModelLoadError } from '../model/errors.ts';
import { weightsPathsOf } from '../model/load.ts';

/** The size of a regular file; ModelLoadError for anything else. */
function regularFileSize(path: string): number {
  let stats;
  try {
    stats = statSync(path);
  } catch (err) {
    throw new ModelLoadError(`cannot read ${path}: ${(err as Error).message}`);
  }
  if (!stats.isFile()) throw new ModelLoadError(`${path} is not a regular file`);
  return stats.size;
}

/** The files of the model at `model` (a compact file, a model.json or its folder). */
export function modelFilesOnDisk(model: string): ModelFile[] {
  let path = resolve(model);
  try {
    if (statSync(path).isDirectory()) path = join(path, 'model.json');
  } catch {
    // regularFileSize says why below
  }
  const size = regularFileSize(path);
  checkDroppedSizes([{ name: basename(path), size }]);
  const bytes = new Uint8Array(readFileSync(path));
  if (isCompactModel(bytes)) return [{ name: basename(path), bytes }];
  const weightPaths = weightsPathsOf(bytes.slice().buffer, path).map((w) => join(dirname(path), w));
  checkDroppedSizes([
    { name: basename(path), size },
    ...weightPaths.map((w) => ({ name: basename(w), size: regularFileSize(w) })),
  ]);
  return [
    { name: basename(path), bytes },
    ...weightPaths.map((w) => ({ name: basename(w), bytes: new Uint8Array(readFileSync(w)) })),
  ];
}
