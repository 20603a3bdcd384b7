/**
 * Writes a LayerGraph as a plain tfjs LayersModel (model.json + one weights file) that
 * `tf.loadLayersModel` loads with no code of ours. Masks, weight transforms and codings are
 * baked into the float weights the layers compute with (program.ts effectiveWeights), so the
 * export predicts what the lab evaluated. The model is built with tfjs's own layer classes and
 * saved by tfjs itself, so the topology is exactly what tfjs writes and reads.
 *
 * What standard layers cannot compute is refused, naming the layer, never approximated:
 * XNOR-Net's binary layers (binary activations), the lab's Scale and PReLU-on-binary layers,
 * and fake-quantized activations (an output transform).
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerGraph } from '../model/graph.ts';
import { disposeModel } from '../model/load.ts';
import { effectiveWeights, transformTensorsOf } from '../model/program.ts';
import { compactConfig } from './model-file.ts';

/** A network that plain tfjs layers cannot express; the message names the layer. */
export class LayersExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LayersExportError';
  }
}

export const EXPORT_WEIGHTS_FILE = 'weights.bin';

export interface ExportedLayersModel {
  /** The model.json, as tfjs writes it (its manifest names EXPORT_WEIGHTS_FILE). */
  readonly modelJson: tf.io.ModelJSON;
  /** The one weights file, float32 little-endian in manifest order. */
  readonly weights: Uint8Array;
}

/** Why a layer class cannot be written as a standard tfjs layer (undefined: it can). */
const REFUSED: Readonly<Record<string, string>> = {
  BinaryConv2D:
    'XNOR-Net binary conv: it binarizes its inputs with a scale K, which no standard tfjs layer computes',
  BinaryDense:
    'XNOR-Net binary dense layer: it binarizes its inputs with a scale, which no standard tfjs layer computes',
  Scale: "the lab's per-class Scale layer, which tfjs has no standard layer for",
  PReLU: "a per-channel PReLU held the lab's way (Tang et al.'s binary networks)",
};

/** Refuses, naming the first layer plain tfjs cannot compute. */
export function checkExportable(graph: LayerGraph): void {
  for (const node of graph.nodes) {
    const why = REFUSED[node.className];
    if (why) {
      throw new LayersExportError(
        `layer "${node.name}" is a ${node.className} (${why}); export the compact model file instead`,
      );
    }
    if (node.outputTransform) {
      throw new LayersExportError(
        `layer "${node.name}" quantizes its outputs (${node.outputTransform.id}), which standard tfjs layers cannot compute; export the compact model file instead`,
      );
    }
  }
}

/** The baked float weights of every node, read back to host memory. */
async function bakedWeights(graph: LayerGraph): Promise<Float32Array[][]> {
  const raw = graph.nodes.map((n) =>
    n.weights.map((w) => tf.tensor(w.values, w.shape as number[], 'float32')),
  );
  const masks = graph.nodes.map((n) =>
    n.weights.map((w) => (w.mask ? tf.tensor(w.mask, w.shape as number[], 'float32') : undefined)),
  );
  const tensors = transformTensorsOf(graph, (t) =>
    tf.tensor(t.values, t.shape as number[], 'float32'),
  );
  try {
    const effective = tf.tidy(() => effectiveWeights(graph, raw, masks, tensors));
    try {
      return await Promise.all(
        effective.map((row) => Promise.all(row.map(async (t) => new Float32Array(await t.data())))),
      );
    } finally {
      // An untransformed, unmasked weight is its raw tensor itself; disposing twice is harmless.
      tf.dispose(effective.flat());
    }
  } finally {
    tf.dispose([...raw.flat(), ...masks.flat().filter((m) => m !== undefined), ...tensors.all]);
  }
}

/** A tfjs layer of `className` made from the node's config, through tfjs's own registry. */
function makeLayer(className: string, config: Record<string, unknown>): tf.layers.Layer {
  const registry = tf.serialization.SerializationMap.getMap().classNameMap;
  const entry = registry[className];
  if (!entry) throw new LayersExportError(`tfjs has no layer class ${className}`);
  const [cls, fromConfig] = entry;
  return fromConfig(cls, config as tf.serialization.ConfigDict) as tf.layers.Layer;
}

/** Builds the graph as a functional tfjs LayersModel with the baked weights loaded. */
async function buildLayersModel(graph: LayerGraph): Promise<tf.LayersModel> {
  checkExportable(graph);
  const weights = await bakedWeights(graph);
  const engine = tf.engine();
  const variablesBefore = new Set(Object.keys(engine.registeredVariables));
  try {
    const outputs = new Map<string, tf.SymbolicTensor>();
    const input = tf.input({ shape: [...graph.inputShape], name: graph.input.name });
    outputs.set(graph.input.name, input);
    for (const [i, node] of graph.nodes.entries()) {
      if (i === 0) continue;
      const config: Record<string, unknown> = {
        ...compactConfig(node.config, node.className),
        name: node.name,
      };
      delete config.batchInputShape;
      delete config.inputShape;
      delete config.inputDim;
      const layer = makeLayer(node.className, config);
      const inbound = node.inbound.map((name) => outputs.get(name)!);
      outputs.set(
        node.name,
        layer.apply(inbound.length === 1 ? inbound[0] : inbound) as tf.SymbolicTensor,
      );
      if (layer.weights.length !== node.weights.length) {
        throw new LayersExportError(
          `layer "${node.name}" (${node.className}) holds ${node.weights.length} weights but tfjs's layer has ${layer.weights.length}`,
        );
      }
      const values = layer.weights.map((variable) => {
        const role = variable.originalName.split('/').pop();
        const k = node.weights.findIndex((w) => w.role === role);
        if (k < 0) {
          throw new LayersExportError(`layer "${node.name}" has no weight ${String(role)}`);
        }
        return tf.tensor(weights[i][k], node.weights[k].shape as number[], 'float32');
      });
      try {
        if (values.length) layer.setWeights(values);
      } finally {
        tf.dispose(values);
      }
    }
    return tf.model({ inputs: input, outputs: outputs.get(graph.output)!, name: 'complab' });
  } catch (err) {
    for (const [name, variable] of Object.entries(engine.registeredVariables)) {
      if (!variablesBefore.has(name)) variable.dispose();
    }
    throw err;
  }
}

/** The graph as a tfjs LayersModel's files. Throws LayersExportError naming a layer it cannot write. */
export async function exportLayersModel(graph: LayerGraph): Promise<ExportedLayersModel> {
  const model = await buildLayersModel(graph);
  try {
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
      }),
    );
    const artifacts = saved!;
    const weights = new Uint8Array(
      tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0)),
    );
    const modelJson: tf.io.ModelJSON = {
      modelTopology: artifacts.modelTopology as tf.io.ModelJSON['modelTopology'],
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: 'Compression Lab (weights with masks and quantization baked in)',
      weightsManifest: [{ paths: [EXPORT_WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
    };
    return { modelJson, weights };
  } finally {
    disposeModel(model);
  }
}
