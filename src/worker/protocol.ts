/**
 * What crosses the page ↔ worker boundary. Everything here is plain data (structured-clone
 * safe): errors travel as {kind, message}, never as class instances, and a superseded or
 * cancelled run answers with a "cancelled" outcome instead of throwing.
 */
import type { BackendChoice } from '../engine/backend-names.ts';
import type { BackendStatus } from '../engine/browser/select-backend.ts';
import type { RunProgress, RunResult } from '../engine/lab.ts';
import type { MaskPicture } from '../engine/measure/pictures.ts';
import type { ModelCard } from '../engine/model/catalog.ts';
import type { Recipe, RecipeStep } from '../engine/recipe/recipe.ts';

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

/** The worker's API as seen through comlink. */
export interface LabWorkerApi {
  /** Loads nothing yet: remembers where assets live and starts a backend. */
  init(assetBaseUrl: string, backend: BackendChoice): Promise<BackendOutcome>;
  /** Cancels the run in flight (if any) and switches backend. */
  setBackend(backend: BackendChoice): Promise<BackendOutcome>;
  cards(): Promise<CardsOutcome>;
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
  /** Stops the run in flight within a batch; it answers "cancelled". */
  cancel(runId: number): void;
}
