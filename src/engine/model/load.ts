/**
 * Loads a tfjs LayersModel (model.json + weight files) through an AssetReader, so the page,
 * the worker and Node share one loader. Every failure becomes a ModelLoadError that names the
 * file and the problem: unreadable, not JSON, not a LayersModel, truncated weights, unknown layer.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { AssetReader } from '../assets.ts';
import { ModelLoadError } from './errors.ts';
import { SUPPORTED_LAYERS } from './graph.ts';

const weightSpec = z.object({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.enum(['float32', 'int32', 'bool']),
});
const modelJsonSchema = z.object({
  modelTopology: z.record(z.string(), z.unknown()),
  weightsManifest: z.array(z.object({ paths: z.array(z.string()), weights: z.array(weightSpec) })),
});

function dirOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash + 1);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The model.json, parsed and checked, with its weights concatenated: ready for tf.io.fromMemory. */
export async function readModelArtifacts(
  read: AssetReader,
  modelJsonPath: string,
): Promise<tf.io.ModelArtifacts> {
  let text: string;
  try {
    text = new TextDecoder().decode(await read(modelJsonPath));
  } catch (err) {
    throw new ModelLoadError(`cannot read the model: ${message(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ModelLoadError(`${modelJsonPath} is not valid JSON (truncated or not a model file?)`);
  }
  const parsed = modelJsonSchema.safeParse(json);
  if (!parsed.success) {
    throw new ModelLoadError(
      `${modelJsonPath} is not a tfjs LayersModel (it needs modelTopology and weightsManifest)`,
    );
  }
  const { modelTopology, weightsManifest } = parsed.data;
  const weightSpecs = weightsManifest.flatMap((group) => group.weights);
  const expectedBytes = weightSpecs.reduce(
    (sum, w) => sum + 4 * w.shape.reduce((a, b) => a * b, 1),
    0,
  );
  const files: Uint8Array[] = [];
  for (const path of weightsManifest.flatMap((group) => group.paths)) {
    const fullPath = `${dirOf(modelJsonPath)}${path}`;
    try {
      files.push(new Uint8Array(await read(fullPath)));
    } catch (err) {
      throw new ModelLoadError(`cannot read the model's weights: ${message(err)}`);
    }
  }
  const actualBytes = files.reduce((sum, f) => sum + f.length, 0);
  if (actualBytes !== expectedBytes) {
    throw new ModelLoadError(
      `the weights of ${modelJsonPath} hold ${actualBytes} bytes but its manifest needs ${expectedBytes} (truncated or mismatched files)`,
    );
  }
  const weightData = new Uint8Array(actualBytes);
  let offset = 0;
  for (const f of files) {
    weightData.set(f, offset);
    offset += f.length;
  }
  return { modelTopology, weightSpecs, weightData: weightData.buffer };
}

/** Builds a LayersModel from artifacts on the active backend. */
export async function modelFromArtifacts(
  artifacts: tf.io.ModelArtifacts,
  source: string,
): Promise<tf.LayersModel> {
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (err) {
    const text = message(err);
    const unknown = /Unknown layer: (\w+)/.exec(text);
    if (unknown) {
      throw new ModelLoadError(
        `${source} uses layer type ${unknown[1]}, which the lab does not support (supported: ${SUPPORTED_LAYERS.join(', ')})`,
      );
    }
    throw new ModelLoadError(`${source} could not be built: ${text.split('\n')[0]}`);
  }
}

/**
 * Checks that a model reads one MNIST digit ([784] or [28, 28, 1]) and scores 10 classes.
 * Returns its input shape without the batch dimension.
 */
export function checkDigitModel(model: tf.LayersModel, source: string): number[] {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new ModelLoadError(`${source} must have one input and one output`);
  }
  const input = model.inputs[0].shape.slice(1);
  const output = model.outputs[0].shape.slice(1);
  const inputText = JSON.stringify(input);
  if (inputText !== '[784]' && inputText !== '[28,28,1]') {
    throw new ModelLoadError(
      `${source} takes input ${inputText.replace(/null/g, '?')}; the lab feeds 28x28 digits as [28,28,1] or [784]`,
    );
  }
  if (JSON.stringify(output) !== '[10]') {
    throw new ModelLoadError(
      `${source} outputs ${JSON.stringify(output).replace(/null/g, '?')}; the lab needs 10 class scores`,
    );
  }
  return input as number[];
}
