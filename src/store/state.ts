/** The page's state: what the store holds and how it starts. React-free. */
import type { BackendStatus } from '../engine/browser/select-backend.ts';
import type { RunResult } from '../engine/lab.ts';
import type { ModelCard } from '../engine/model/catalog.ts';
import type { Recipe } from '../engine/recipe/recipe.ts';
import { DEFAULT_SHARE_STATE, type UiState } from '../engine/recipe/share.ts';
import type { LabErrorKind } from '../worker/protocol.ts';

/** One finished evaluation, as shown in the plot and the history table. */
export interface RunRecord {
  readonly runId: number;
  readonly recipeText: string;
  readonly result: RunResult;
  /** Wall-clock time the result arrived (Date.now()), for the table. */
  readonly timestamp: number;
  /** performance.now() when the recipe changed and when the result landed in the store. */
  readonly requestedAt: number;
  readonly deliveredAt: number;
}

export type RunStatus =
  | { readonly phase: 'idle' }
  /** Starting the worker or switching backend. */
  | { readonly phase: 'loading'; readonly message: string }
  | {
      readonly phase: 'running';
      readonly runId: number;
      readonly recipeText: string;
      readonly stage: string;
      readonly fraction: number;
    }
  | { readonly phase: 'error'; readonly kind: LabErrorKind; readonly message: string };

export interface LabState {
  readonly recipe: Recipe;
  readonly ui: UiState;
  readonly runs: readonly RunRecord[];
  readonly runStatus: RunStatus;
  readonly backendStatus: BackendStatus | null;
  /** Set when no backend (or the requested one and every fallback) could start. */
  readonly backendError: string | null;
  /** The message for a share link that could not be read; the page then uses defaults. */
  readonly linkError: string | null;
  readonly cards: readonly ModelCard[];
  readonly cardsError: string | null;
}

/** Runs kept in history; older ones drop off so a long session stays light. */
export const MAX_RUNS = 200;

export const INITIAL_STATE: LabState = {
  recipe: DEFAULT_SHARE_STATE.recipe,
  ui: DEFAULT_SHARE_STATE.ui,
  runs: [],
  runStatus: { phase: 'loading', message: 'Starting the compute engine…' },
  backendStatus: null,
  backendError: null,
  linkError: null,
  cards: [],
  cardsError: null,
};
