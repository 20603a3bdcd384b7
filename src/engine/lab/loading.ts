/**
 * What the lab loads, each once: base models (shipped ids, as trained on a data set; files the
 * caller resolves; compact model files; ONNX models, imported as the lab's graph), fingerprinted so cached results survive only the same
 * model, and checked to fit the data set they run on. The data sets themselves load through
 * data/load.ts's DataSets. A load that fails is forgotten, so the next call tries again.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { AssetReader } from '../assets.ts';
import { dataSetInfo, type DataSetId, type DataSetInfo } from '../data/datasets.ts';
import { decodeModel } from '../encode/model-file.ts';
import { SHIPPED_MODELS, isShippedModel, modelJsonPath } from '../model/catalog.ts';
import { ModelLoadError } from '../model/errors.ts';
import { LayerGraph } from '../model/graph.ts';
import { decodeOnnx } from '../onnx/decode.ts';
import type { OnnxOrigin } from '../onnx/export-run.ts';
import { graphFromOnnx } from '../onnx/to-graph.ts';
import {
  checkDigitModel,
  disposeModel,
  modelFromArtifacts,
  readModelArtifacts,
} from '../model/load.ts';

/** Where a recipe's model comes from: a reader and the path of its model.json. */
export interface ModelSource {
  readonly read: AssetReader;
  readonly modelJsonPath: string;
  /** A compact model file (CLW3, encode/model-file.ts) to decode instead of a model.json. */
  readonly compactFile?: Uint8Array;
  /** An ONNX model (onnx/decode.ts, onnx/to-graph.ts) to import instead of a model.json. */
  readonly onnxFile?: Uint8Array;
  /** Reads a file an ONNX model names for its external data (relative to the model). */
  readonly onnxExternal?: (location: string) => Uint8Array | undefined;
}

export interface BaseModel {
  readonly graph: LayerGraph;
  /** SHA-256 of the model's topology and weights: cache keys survive only the same model. */
  readonly fingerprint: string;
  /** An imported ONNX model's input and output, so an ONNX export gives the same back. */
  readonly onnx?: OnnxOrigin;
}

/**
 * Refuses a network that does not fit data set `data`: its input must hold one image of the
 * set's shape and its output one score per class. Names both, so the user sees the mismatch.
 */
export function checkFitsDataSet(graph: LayerGraph, data: DataSetInfo, source: string): void {
  const pixels = data.inputShape.reduce((a, b) => a * b, 1);
  const inputs = graph.inputShape.reduce((a, b) => a * b, 1);
  const outputs = graph.outputShapeOf(graph.output);
  if (inputs !== pixels || outputs.length !== 1 || outputs[0] !== data.classNames.length) {
    throw new ModelLoadError(
      `${source} maps [${graph.inputShape.join(', ')}] to [${outputs.join(', ')}], but data set ${data.id} has ${data.inputShape.join('x')} images in ${data.classNames.length} classes`,
    );
  }
}

/** Reads a model from its source and checks that it fits data set `data` (default mnist-10k). */
export async function loadBaseModel(
  source: ModelSource,
  data: DataSetInfo = dataSetInfo('mnist-10k'),
): Promise<BaseModel> {
  if (source.compactFile) {
    const graph = decodeModel(source.compactFile);
    checkFitsDataSet(graph, data, "the compact model file's network");
    return { graph, fingerprint: bytesToHex(sha256(source.compactFile)).slice(0, 16) };
  }
  if (source.onnxFile) {
    const name = source.modelJsonPath;
    const model = decodeOnnx(source.onnxFile, name, { external: source.onnxExternal });
    const { graph, ...onnx } = graphFromOnnx(model, name);
    checkFitsDataSet(graph, data, name);
    return { graph, fingerprint: bytesToHex(sha256(source.onnxFile)).slice(0, 16), onnx };
  }
  const artifacts = await readModelArtifacts(source.read, source.modelJsonPath);
  const built = await modelFromArtifacts(artifacts, source.modelJsonPath);
  try {
    checkDigitModel(built, source.modelJsonPath);
    const graph = await LayerGraph.fromModel(built);
    checkFitsDataSet(graph, data, source.modelJsonPath);
    const hash = sha256.create();
    hash.update(new TextEncoder().encode(JSON.stringify(artifacts.modelTopology)));
    hash.update(new Uint8Array(artifacts.weightData as ArrayBuffer));
    return { graph, fingerprint: bytesToHex(hash.digest()).slice(0, 16) };
  } finally {
    disposeModel(built);
  }
}

/**
 * Base models by id and data set, loaded once: shipped ids from `read` (the weights trained on
 * that data set), others through `resolveModel`.
 */
export class BaseModels {
  private readonly bases = new Map<string, Promise<BaseModel>>();

  constructor(
    private readonly read: AssetReader,
    private readonly resolveModel?: (model: string) => ModelSource | undefined,
  ) {}

  get(model: string, data: DataSetId = 'mnist-10k'): Promise<BaseModel> {
    const key = `${data}|${model}`;
    let base = this.bases.get(key);
    if (!base) {
      // An unknown model rejects like a failed load (the caller awaits either).
      base = (async () => loadBaseModel(this.source(model, data), dataSetInfo(data)))();
      this.bases.set(key, base);
      base.catch(() => this.bases.delete(key));
    }
    return base;
  }

  clear(): void {
    this.bases.clear();
  }

  private source(model: string, data: DataSetId): ModelSource {
    if (isShippedModel(model)) {
      return { read: this.read, modelJsonPath: modelJsonPath(model, data) };
    }
    const custom = this.resolveModel?.(model);
    if (custom) return custom;
    throw new ModelLoadError(
      `unknown model "${model.slice(0, 60)}" (shipped models: ${SHIPPED_MODELS.join(', ')})`,
    );
  }
}
