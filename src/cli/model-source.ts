/**
 * Where a model given as a path is read from: a compact model file (by its magic), a
 * LayersModel folder (its model.json) or a model.json itself. Shipped ids are the Lab's own.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isCompactModel } from '../engine/encode/model-file.ts';
import type { ModelSource } from '../engine/lab.ts';
import { isShippedModel } from '../engine/model/shipped.ts';
import { fileAssetReader } from '../engine/node/assets.ts';

/** Whether a path is a file that starts with the compact model file's magic. */
function isCompactFile(path: string): boolean {
  if (!existsSync(path) || !statSync(path).isFile()) return false;
  const fd = openSync(path, 'r');
  try {
    const head = new Uint8Array(4);
    readSync(fd, head, 0, 4, 0);
    return isCompactModel(head);
  } finally {
    closeSync(fd);
  }
}

export function modelSourceForPath(model: string): ModelSource | undefined {
  if (isShippedModel(model)) return undefined;
  let path = resolve(model);
  if (isCompactFile(path)) {
    return { read: fileAssetReader(''), modelJsonPath: path, compactFile: readFileSync(path) };
  }
  if (existsSync(path) && statSync(path).isDirectory()) path = join(path, 'model.json');
  // Rooted at '' so the absolute path itself is what error messages name.
  return { read: fileAssetReader(''), modelJsonPath: path };
}
