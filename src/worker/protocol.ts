/**
 * What crosses the page ↔ worker boundary. Everything here is plain data (structured-clone
 * safe): errors travel as {kind, message}, never as class instances, and a superseded run
 * answers with a "cancelled" outcome instead of throwing.
 */
import type { BackendChoice } from '../engine/backend-names.ts';
import type { BackendStatus } from '../engine/browser/select-backend.ts';
import type { RunResult } from '../engine/lab.ts';
import type { ModelCard } from '../engine/model/catalog.ts';
import type { Recipe } from '../engine/recipe/recipe.ts';

export type { BackendStatus, ModelCard, RunResult };

export type LabErrorKind = 'recipe' | 'model' | 'asset' | 'backend' | 'internal';

export interface LabErrorData {
  readonly kind: LabErrorKind;
  readonly message: string;
}

export interface RunProgress {
  readonly stage: string;
  readonly fraction: number;
}

export type RunOutcome =
  | { readonly kind: 'done'; readonly runId: number; readonly result: RunResult }
  | { readonly kind: 'cancelled'; readonly runId: number }
  | { readonly kind: 'error'; readonly runId: number; readonly error: LabErrorData };

export type BackendOutcome =
  | { readonly ok: true; readonly status: BackendStatus }
  | { readonly ok: false; readonly error: LabErrorData };

export type CardsOutcome =
  | { readonly ok: true; readonly cards: readonly ModelCard[] }
  | { readonly ok: false; readonly error: LabErrorData };

/** The worker's API as seen through comlink. */
export interface LabWorkerApi {
  /** Loads nothing yet: remembers where assets live and starts a backend. */
  init(assetBaseUrl: string, backend: BackendChoice): Promise<BackendOutcome>;
  /** Cancels the run in flight (if any) and switches backend. */
  setBackend(backend: BackendChoice): Promise<BackendOutcome>;
  cards(): Promise<CardsOutcome>;
  /** Starts a run; any older run still in flight is cancelled and answers "cancelled". */
  run(
    recipe: Recipe,
    runId: number,
    onProgress?: (progress: RunProgress) => void,
  ): Promise<RunOutcome>;
  cancel(runId: number): void;
}
