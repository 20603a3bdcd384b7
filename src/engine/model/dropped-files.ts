/**
 * A model the user dropped on the page, read as the CLI reads one from disk: the same
 * ModelSource, so the same loader (load.ts: readModelArtifacts, modelFromArtifacts,
 * checkDigitModel; or the compact file's decoder) checks it and gives the same messages.
 *
 * Which file is the model: a lone compact file (CLW3 magic); a lone `.onnx` file (an ONNX
 * model, e.g. from torch.onnx.export); else the one `.json` file (the
 * model.json, read with its weight files found among the others by name); else a lone file of
 * any kind, read as a model.json as `complab eval --model FILE` would (so a picture dropped by
 * mistake gets the CLI's "is not valid JSON" message).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { AssetError } from '../assets.ts';
import { isCompactModel } from '../encode/model-file.ts';
import type { ModelSource } from '../lab.ts';
import { ModelLoadError } from './errors.ts';
import { userModelId } from './user-models.ts';

export interface ModelFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** The most files one drop may hold (a model.json and its weight shards). */
const MAX_FILES = 64;
/**
 * The most bytes one dropped file may hold, and all of a drop's files together: the page keeps
 * several copies of them (its own, the worker's, IndexedDB's), so a few hundred MB is the most
 * a tab can afford. The shipped models are 0.2-1.7 MB; 250 MB is 62.5 million float32 weights.
 */
export const MAX_DROPPED_FILE_BYTES = 100_000_000;
export const MAX_DROPPED_TOTAL_BYTES = 250_000_000;

/** A file as known before its bytes are read (a File's size, a stat's). */
export interface FileSize {
  readonly name: string;
  readonly size: number;
}

const mb = (bytes: number) => `${Number((bytes / 1e6).toPrecision(4))} MB`;

/** The limits in words, for the page's hint and the messages. */
export const DROP_LIMITS = `at most ${mb(MAX_DROPPED_FILE_BYTES)} a file and ${mb(MAX_DROPPED_TOTAL_BYTES)} in all`;

/**
 * Refuses a drop by its count and sizes alone, so no byte of a too-large drop is read: a
 * ModelLoadError naming the limits, else nothing.
 */
export function checkDroppedSizes(files: readonly FileSize[]): void {
  if (files.length > MAX_FILES) {
    throw new ModelLoadError(
      `${files.length} files were dropped; a model is a model.json with at most ${MAX_FILES - 1} weight files`,
    );
  }
  const large = files.find((f) => f.size > MAX_DROPPED_FILE_BYTES);
  if (large) {
    throw new ModelLoadError(
      `${large.name} is ${large.size.toLocaleString('en-US')} bytes; the lab reads ${DROP_LIMITS}`,
    );
  }
  const total = files.reduce((sum, f) => sum + f.size, 0);
  if (total > MAX_DROPPED_TOTAL_BYTES) {
    throw new ModelLoadError(
      `the ${files.length} files hold ${total.toLocaleString('en-US')} bytes; the lab reads ${DROP_LIMITS}`,
    );
  }
}

const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);
const stem = (name: string) => name.replace(/\.[^.]*$/, '') || name;

/** What a user's model was imported from: a tfjs LayersModel, a compact file, an ONNX file. */
export type UserModelKind = 'layers' | 'compact' | 'onnx';

/** The kind in words, for the page. */
export const USER_MODEL_KIND_LABELS: Readonly<Record<UserModelKind, string>> = {
  layers: 'tfjs model',
  compact: 'compact model file',
  onnx: 'ONNX model',
};

export interface DroppedModel {
  readonly id: string;
  readonly name: string;
  readonly kind: UserModelKind;
  readonly source: ModelSource;
}

/** The dropped files as a model source with its id; ModelLoadError when none is a model. */
export function droppedModel(files: readonly ModelFile[]): DroppedModel {
  if (files.length === 0) throw new ModelLoadError('no file was dropped');
  checkDroppedSizes(files.map((f) => ({ name: f.name, size: f.bytes.length })));
  const byName = new Map(files.map((f) => [f.name, f]));
  const read = async (path: string): Promise<ArrayBuffer> => {
    const file = byName.get(path) ?? byName.get(baseName(path));
    if (!file) {
      throw new AssetError(
        `${path} is not among the dropped files (${files.map((f) => f.name).join(', ')}); drop the model.json together with every weight file it lists`,
      );
    }
    return file.bytes.slice().buffer;
  };
  const hash = sha256.create();
  for (const f of [...files].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    hash.update(new TextEncoder().encode(`${f.name}\0${f.bytes.length}\0`));
    hash.update(f.bytes);
  }
  const digest = bytesToHex(hash.digest());
  const compact = files.filter((f) => isCompactModel(f.bytes));
  if (compact.length === 1 && files.length === 1) {
    const [file] = compact;
    const name = stem(file.name);
    return {
      id: userModelId(name, digest),
      name,
      kind: 'compact',
      source: { read, modelJsonPath: file.name, compactFile: file.bytes },
    };
  }
  if (files.length === 1 && files[0].name.toLowerCase().endsWith('.onnx')) {
    const [file] = files;
    const name = stem(file.name);
    return {
      id: userModelId(name, digest),
      name,
      kind: 'onnx',
      source: { read, modelJsonPath: file.name, onnxFile: file.bytes },
    };
  }
  const jsons = files.filter((f) => f.name.toLowerCase().endsWith('.json'));
  if (jsons.length > 1) {
    throw new ModelLoadError(
      `drop one model at a time: ${jsons.map((f) => f.name).join(', ')} are all .json files`,
    );
  }
  const modelJson = jsons[0] ?? (files.length === 1 ? files[0] : undefined);
  if (!modelJson) {
    throw new ModelLoadError(
      `none of the dropped files (${files.map((f) => f.name).join(', ')}) is a model.json or a compact model file`,
    );
  }
  const name = stem(modelJson.name);
  return {
    id: userModelId(name, digest),
    name,
    kind: 'layers',
    source: { read, modelJsonPath: modelJson.name },
  };
}
