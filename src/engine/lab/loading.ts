/**
 * What the lab loads, each once: base models (shipped ids, files the caller resolves, compact
 * model files), fingerprinted so cached results survive only the same model, and the digit
 * splits. A load that fails is forgotten, so the next call tries again.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { AssetReader } from '../assets.ts';
import { loadDigitSplit, PIXELS, type DigitSplit } from '../data/digits.ts';
import { decodeModel } from '../encode/model-file.ts';
import { SHIPPED_MODELS, isShippedModel, modelJsonPath } from '../model/catalog.ts';
import { ModelLoadError } from '../model/errors.ts';
import { LayerGraph } from '../model/graph.ts';
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
}

export interface BaseModel {
  readonly graph: LayerGraph;
  /** SHA-256 of the model's topology and weights: cache keys survive only the same model. */
  readonly fingerprint: string;
}

/** The check digits: the last 2,000 training digits, for choices steps make themselves. */
const CHECK_DIGITS = 2000;

/** Reads a model from its source and checks that it maps a digit to 10 classes. */
export async function loadBaseModel(source: ModelSource): Promise<BaseModel> {
  if (source.compactFile) {
    const graph = decodeModel(source.compactFile);
    const inputs = graph.inputShape.reduce((a, b) => a * b, 1);
    const outputs = graph.outputShapeOf(graph.output).join('x');
    if (inputs !== PIXELS || outputs !== '10') {
      throw new ModelLoadError(
        `the compact model file's network maps [${graph.inputShape.join(', ')}] to [${outputs}], not a digit to 10 classes`,
      );
    }
    return { graph, fingerprint: bytesToHex(sha256(source.compactFile)).slice(0, 16) };
  }
  const artifacts = await readModelArtifacts(source.read, source.modelJsonPath);
  const built = await modelFromArtifacts(artifacts, source.modelJsonPath);
  try {
    checkDigitModel(built, source.modelJsonPath);
    const graph = await LayerGraph.fromModel(built);
    const hash = sha256.create();
    hash.update(new TextEncoder().encode(JSON.stringify(artifacts.modelTopology)));
    hash.update(new Uint8Array(artifacts.weightData as ArrayBuffer));
    return { graph, fingerprint: bytesToHex(hash.digest()).slice(0, 16) };
  } finally {
    disposeModel(built);
  }
}

/** Base models by id, loaded once: shipped ids from `read`, others through `resolveModel`. */
export class BaseModels {
  private readonly bases = new Map<string, Promise<BaseModel>>();

  constructor(
    private readonly read: AssetReader,
    private readonly resolveModel?: (model: string) => ModelSource | undefined,
  ) {}

  get(model: string): Promise<BaseModel> {
    let base = this.bases.get(model);
    if (!base) {
      // An unknown model rejects like a failed load (the caller awaits either).
      base = (async () => loadBaseModel(this.source(model)))();
      this.bases.set(model, base);
      base.catch(() => this.bases.delete(model));
    }
    return base;
  }

  clear(): void {
    this.bases.clear();
  }

  private source(model: string): ModelSource {
    if (isShippedModel(model)) return { read: this.read, modelJsonPath: modelJsonPath(model) };
    const custom = this.resolveModel?.(model);
    if (custom) return custom;
    throw new ModelLoadError(
      `unknown model "${model.slice(0, 60)}" (shipped models: ${SHIPPED_MODELS.join(', ')})`,
    );
  }
}

/** The shipped digit splits, read once. */
export class DigitSets {
  private testSplit?: Promise<DigitSplit>;
  private trainSplit?: Promise<DigitSplit>;

  constructor(private readonly read: AssetReader) {}

  test(): Promise<DigitSplit> {
    this.testSplit ??= loadDigitSplit(this.read, 'test');
    this.testSplit.catch(() => (this.testSplit = undefined));
    return this.testSplit;
  }

  train(): Promise<DigitSplit> {
    this.trainSplit ??= loadDigitSplit(this.read, 'train');
    this.trainSplit.catch(() => (this.trainSplit = undefined));
    return this.trainSplit;
  }

  /** The last 2,000 training digits: what steps may evaluate on without seeing the test set. */
  async checkDigits(): Promise<DigitSplit> {
    const train = await this.train();
    const start = train.count - CHECK_DIGITS;
    return {
      count: CHECK_DIGITS,
      images: train.images.subarray(start * PIXELS),
      labels: train.labels.subarray(start),
    };
  }
}
