/**
 * Where a model given as a path is read from: an ONNX model (by its extension, .onnx), a compact
 * model file (by its magic), a LayersModel folder (its model.json) or a model.json itself. Shipped ids are the Lab's own.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { isCompactModel } from '../engine/encode/model-file.ts';
import type { ModelSource } from '../engine/lab.ts';
import { ModelLoadError } from '../engine/model/errors.ts';
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

/** Whether a path names an ONNX model (decided by its extension, `.onnx`). */
export const isOnnxPath = (path: string) => /\.onnx$/i.test(path);

/** An ONNX model file and the external data files it names (inside its own folder only). */
function onnxSource(path: string): ModelSource {
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new ModelLoadError(
      `${path}: no such file (a path ending in .onnx is read as an ONNX model)`,
    );
  }
  const folder = dirname(path);
  const onnxExternal = (location: string) => {
    const file = resolve(folder, location);
    const inside = relative(folder, file);
    if (inside.startsWith('..') || isAbsolute(inside) || !existsSync(file)) return undefined;
    return readFileSync(file);
  };
  return {
    read: fileAssetReader(''),
    modelJsonPath: path,
    onnxFile: readFileSync(path),
    onnxExternal,
  };
}

export function modelSourceForPath(model: string): ModelSource | undefined {
  if (isShippedModel(model)) return undefined;
  let path = resolve(model);
  if (isOnnxPath(path)) return onnxSource(path);
  if (isCompactFile(path)) {
    return { read: fileAssetReader(''), modelJsonPath: path, compactFile: readFileSync(path) };
  }
  if (existsSync(path) && statSync(path).isDirectory()) path = join(path, 'model.json');
  // Rooted at '' so the absolute path itself is what error messages name.
  return { read: fileAssetReader(''), modelJsonPath: path };
}
