/**
 * What crosses the page ↔ worker boundary. Everything here is plain data (structured-clone
 * safe): errors travel as {kind, message}, never as class instances, and a superseded or
 * cancelled run answers with a "cancelled" outcome instead of throwing.
 */
import type { BackendChoice, BackendName } from '../engine/backend-names.ts';
import type { BackendStatus } from '../engine/browser/select-backend.ts';
import type { RunProgress, RunResult } from '../engine/lab.ts';
import type { MaskPicture } from '../engine/measure/pictures.ts';
import type { LatencySettings } from '../engine/measure/latency-settings.ts';
import type { DataSetId } from '../engine/data/datasets.ts';
import type { ModelCard } from '../engine/model/catalog.ts';
import type { UserModelKind } from '../engine/model/dropped-files.ts';
import type { Recipe, RecipeStep } from '../engine/recipe/recipe.ts';
import type { PairedComparison } from '../engine/stats/mcnemar.ts';

export type { BackendStatus, MaskPicture, ModelCard, RunProgress, RunResult };

export type LabErrorKind = 'recipe' | 'model' | 'asset' | 'backend' | 'internal';

export interface LabErrorData {
  readonly kind: LabErrorKind;
  readonly message: string;
}

/** One layer of a model as loaded, before any step: what per-layer controls and tables need. */
export interface ModelLayerInfo {
  readonly name: string;
  readonly className: string;
  readonly outputShape: readonly number[];
  readonly kernelShape?: readonly number[];
  /** A conv or dense layer: one that per-layer parameters address. */
  readonly weighted: boolean;
}

export interface ModelInfo {
  readonly model: string;
  readonly layers: readonly ModelLayerInfo[];
}

export type RunOutcome =
  | { readonly kind: 'done'; readonly runId: number; readonly result: RunResult }
  | { readonly kind: 'cancelled'; readonly runId: number }
  | { readonly kind: 'error'; readonly runId: number; readonly error: LabErrorData };

/** The answer of a call that either succeeds with a value or fails with plain error data. */
export type Outcome<K extends string, T> =
  | ({ readonly ok: true } & { readonly [key in K]: T })
  | { readonly ok: false; readonly error: LabErrorData };

export type BackendOutcome = Outcome<'status', BackendStatus>;
export type CardsOutcome = Outcome<'cards', readonly ModelCard[]>;
export type ModelInfoOutcome = Outcome<'info', ModelInfo>;
export type PresetOutcome = Outcome<'steps', readonly RecipeStep[]>;
export type MaskOutcome = Outcome<'picture', MaskPicture>;
export type PairedOutcome = Outcome<'paired', PairedComparison>;

/** What a data set costs to download, as stored: its test split, and its training split. */
export interface DataSetSizes {
  readonly data: DataSetId;
  readonly testBytes: number;
  readonly trainBytes: number;
}
export type DataSetSizesOutcome = Outcome<'sizes', DataSetSizes>;

/** A model dropped on the page, once the lab's loader accepted it. */
export interface ImportedModel {
  readonly id: string;
  readonly name: string;
  readonly kind: UserModelKind;
  readonly params: number;
}
export type ImportOutcome = Outcome<'model', ImportedModel>;

/** Files dropped on the page (name and bytes), as the worker reads them. */
export interface ModelFileData {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/**
 * The network a recipe leaves, as files: the compact model file, and the tfjs LayersModel
 * (model.json text + weights.bin) or the reason it cannot be one (a layer plain tfjs lacks).
 */
export type ModelExportOutcome = Outcome<
  'files',
  {
    readonly compact: Uint8Array;
    readonly layers:
      | { readonly ok: true; readonly modelJson: string; readonly weights: Uint8Array }
      | { readonly ok: false; readonly message: string };
  }
>;

export interface WorkerOptions extends LatencySettings {
  /** Turns on the *ForTest methods (the page was opened with ?test). */
  readonly testHooks?: boolean;
}

/** tfjs's memory in the worker, between runs. */
export interface MemoryReport {
  readonly numTensors: number;
  readonly numBytes: number;
  readonly variables: number;
  readonly backend: string;
}

/** The worker's API as seen through comlink. */
export interface LabWorkerApi {
  /**
   * Holds the Web Lock `name` for as long as the worker lives, so the page learns of its end
   * (terminated, crashed) by being granted the same lock. False where Web Locks are missing.
   */
  holdLifeLock(name: string): Promise<boolean>;
  /**
   * `callback` hears every backend change the worker makes on its own: a lost GPU backend
   * replaced by the next one (the status then carries `lost`).
   */
  onBackendChange(callback: (status: BackendStatus) => void): void;
  /**
   * Remembers where assets live and starts a backend; a lab started before is disposed first,
   * once the runs queued on it have finished.
   */
  init(
    assetBaseUrl: string,
    backend: BackendChoice,
    options?: WorkerOptions,
  ): Promise<BackendOutcome>;
  /** Cancels the run in flight (if any) and switches backend. */
  setBackend(backend: BackendChoice): Promise<BackendOutcome>;
  cards(): Promise<CardsOutcome>;
  /** The download sizes of data set `data`'s test and training splits (reads its manifest only). */
  dataSetSizes(data: DataSetId): Promise<DataSetSizesOutcome>;
  /**
   * Two runs' predicted classes on data set `data`'s test images against the true classes:
   * what `b` loses and gains against `a`, with McNemar's exact p-value.
   */
  comparePredictions(data: DataSetId, a: Uint16Array, b: Uint16Array): Promise<PairedOutcome>;
  /** A model's layers as loaded (names, shapes), for per-layer controls and the layer table. */
  modelInfo(model: string): Promise<ModelInfoOutcome>;
  /** The steps a preset becomes for a model. */
  expandPreset(model: string, preset: string): Promise<PresetOutcome>;
  /** The pruning mask of one layer after a recipe (from the cache when it has run). */
  maskPicture(recipe: Recipe, layer: string): Promise<MaskOutcome>;
  /** Starts a run; any older run still in flight is cancelled and answers "cancelled". */
  run(
    recipe: Recipe,
    runId: number,
    onProgress?: (progress: RunProgress) => void,
  ): Promise<RunOutcome>;
  /**
   * Checks dropped files with the lab's model loader (the CLI's messages) and, when they are a
   * digit model, keeps them under the returned id for runs.
   */
  importModel(files: readonly ModelFileData[]): Promise<ImportOutcome>;
  /** Makes models imported earlier (kept by the page) usable again, e.g. after a reload. */
  registerModels(models: readonly { id: string; files: readonly ModelFileData[] }[]): Promise<void>;
  /** Forgets an imported model. */
  forgetModel(id: string): Promise<void>;
  /** The network a recipe leaves, as the files the page offers for download. */
  exportModel(recipe: Recipe): Promise<ModelExportOutcome>;
  /** Stops the run in flight within a batch; it answers "cancelled". */
  cancel(runId: number): void;
  /** Tests only: loses the active GPU backend's device or context; which one, or null. */
  loseBackendForTest(): Promise<BackendName | null>;
  /** Tests only: throws an error nothing catches, in the worker's global scope. */
  throwForTest(): Promise<void>;
  /** Tests only: tries to evaluate a string as code; says whether it was refused. */
  evalForTest(): Promise<string>;
  /** Tests only: tfjs's tensor and variable counts, taken between runs. */
  memoryForTest(): Promise<MemoryReport>;
}
