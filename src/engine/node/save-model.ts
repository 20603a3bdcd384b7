/**
 * Saving and loading tfjs LayersModels on disk in Node, where tfjs-node (and its file://
 * handler) is not available. The files are the standard tfjs LayersModel layout — model.json
 * plus one weights file — so the browser loads them with tf.loadLayersModel('<url>/model.json').
 */
import * as tf from '@tensorflow/tfjs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';

function toUint8(buffer: ArrayBuffer): Uint8Array {
  return new Uint8Array(buffer);
}

/** An IOHandler whose `save` writes `<dir>/model.json` and `<dir>/weights.bin`. */
export function fileSaveHandler(dir: string, weightsFileName = WEIGHTS_FILE): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const topology = artifacts.modelTopology;
      if (topology == null || topology instanceof ArrayBuffer) {
        throw new Error('only a model with a JSON (LayersModel) topology can be saved');
      }
      const weightData =
        artifacts.weightData == null
          ? new ArrayBuffer(0)
          : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const manifest: tf.io.WeightsManifestConfig = [
        { paths: [weightsFileName], weights: artifacts.weightSpecs ?? [] },
      ];
      const modelJson: tf.io.ModelJSON = {
        modelTopology: topology,
        weightsManifest: manifest,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        ...(artifacts.trainingConfig && { trainingConfig: artifacts.trainingConfig }),
        ...(artifacts.signature && { signature: artifacts.signature }),
        ...(artifacts.userDefinedMetadata && {
          userDefinedMetadata: artifacts.userDefinedMetadata,
        }),
      };
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, weightsFileName), toUint8(weightData));
      await writeFile(join(dir, MODEL_JSON), `${JSON.stringify(modelJson)}\n`);
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
  };
}

/** Saves `model` to `dir` (created if needed) as model.json + weights.bin. */
export async function saveModelToDir(
  model: tf.LayersModel,
  dir: string,
): Promise<tf.io.SaveResult> {
  return model.save(fileSaveHandler(dir));
}

/** Weight paths come from a file: they must stay inside the model's folder. */
function weightPath(dir: string, path: string): string {
  const root = resolve(dir);
  const full = resolve(root, path);
  if (!full.startsWith(root + sep)) throw new Error(`weights path ${path} leaves ${dir}`);
  return full;
}

/** An IOHandler whose `load` reads `<dir>/model.json` and every weights file it lists. */
export function fileLoadHandler(dir: string): tf.io.IOHandler {
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const jsonPath = join(dir, MODEL_JSON);
      const modelJson = JSON.parse(await readFile(jsonPath, 'utf8')) as tf.io.ModelJSON;
      if (modelJson.modelTopology == null || modelJson.weightsManifest == null) {
        throw new Error(`${jsonPath} is not a tfjs LayersModel (no topology or weights manifest)`);
      }
      return tf.io.getModelArtifactsForJSON(modelJson, async (weightsManifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of weightsManifest) {
          specs.push(...group.weights);
          for (const path of group.paths) {
            const bytes = await readFile(weightPath(dirname(jsonPath), path));
            buffers.push(
              bytes.buffer.slice(
                bytes.byteOffset,
                bytes.byteOffset + bytes.byteLength,
              ) as ArrayBuffer,
            );
          }
        }
        return [specs, tf.io.CompositeArrayBuffer.join(buffers)];
      });
    },
  };
}

/** Loads a LayersModel saved by saveModelToDir (or any model.json + weights in one folder). */
export async function loadModelFromDir(dir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(fileLoadHandler(dir));
}
