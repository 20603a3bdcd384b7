/** The page's state: what the store holds and how it starts. React-free. */
import type { BackendStatus } from '../engine/browser/select-backend.ts';
import type { RunProgress, RunResult } from '../engine/lab.ts';
import type { DataSetId } from '../engine/data/datasets.ts';
import type { ModelCard } from '../engine/model/catalog.ts';
import {
  isIdentityStep,
  normalizeStep,
  type Recipe,
  type RecipeStep,
} from '../engine/recipe/recipe.ts';
import { DEFAULT_SHARE_STATE, formatRecipe, type UiState } from '../engine/recipe/share.ts';
import type { TrainingEstimate } from '../engine/training-estimate.ts';
import type { DataSetSizes, LabErrorKind, ModelInfo } from '../worker/protocol.ts';
import type { UserModelInfo } from './page-io-state.ts';
import type { ImportReport, RunOrigin, SweepState } from './sweep-state.ts';

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
  /** A sweep's point or a line of an imported JSONL file (absent: the editor's recipe). */
  readonly origin?: RunOrigin;
}

export type RunStatus =
  /** `cancelTooLate`: the user pressed Cancel, but the run had finished before it arrived. */
  | { readonly phase: 'idle'; readonly cancelTooLate?: boolean }
  /** Starting the worker or switching backend. */
  | { readonly phase: 'loading'; readonly message: string }
  | {
      readonly phase: 'running';
      readonly runId: number;
      readonly recipeText: string;
      /** The engine's newest report; null until the first one arrives. */
      readonly progress: RunProgress | null;
      /** Cancel was pressed: the engine's answer is on its way. */
      readonly cancelling?: boolean;
    }
  /** The user cancelled the run of `recipeText`; `progress` says where it was. */
  | {
      readonly phase: 'cancelled';
      readonly recipeText: string;
      readonly progress: RunProgress | null;
    }
  | {
      readonly phase: 'error';
      readonly kind: LabErrorKind;
      readonly message: string;
      /** The recipe that failed (absent for backend errors). */
      readonly recipeText?: string;
    };

/** A link's run held back for its long training (link-gate.ts), with the estimate shown. */
export interface HeldRun {
  readonly recipeText: string;
  readonly estimate: TrainingEstimate;
}

export interface LabState {
  /**
   * The recipe as the editor shows it: steps at their identity (pruning 0%) stay as cards but
   * are not run (see runnableRecipe).
   */
  readonly recipe: Recipe;
  /** A stable key per step card (same length as recipe.steps), so cards keep focus when moved. */
  readonly stepKeys: readonly number[];
  readonly nextStepKey: number;
  readonly ui: UiState;
  readonly runs: readonly RunRecord[];
  readonly runStatus: RunStatus;
  readonly backendStatus: BackendStatus | null;
  /** Set when no backend (or the requested one and every fallback) could start. */
  readonly backendError: string | null;
  /** What happened to the compute worker, when it had to be replaced (it crashed). */
  readonly engineNotice: string | null;
  /** The message for a share link that could not be read; the page then uses defaults. */
  readonly linkError: string | null;
  readonly cards: readonly ModelCard[];
  readonly cardsError: string | null;
  /** What each data set's splits weigh, as the engine read them from its manifest. */
  readonly dataSizes: Readonly<Partial<Record<DataSetId, DataSetSizes>>>;
  /** Why the model changed when the data set did (it has no trained weights for the new set). */
  readonly dataNotice: string | null;
  /** Layers of the models loaded so far, by model id (for per-layer controls and shapes). */
  readonly models: Readonly<Record<string, ModelInfo>>;
  /** Models the user imported into this browser (page-io-state.ts), for the picker. */
  readonly userModels: readonly UserModelInfo[];
  /** Why history and imported models are kept in memory only (no IndexedDB, storage full). */
  readonly storageNote: string | null;
  /** The outcome of the last model import (a validation message, or what was imported). */
  readonly importNotice: { readonly kind: 'error' | 'info'; readonly text: string } | null;
  /** The sweep the sweep curve shows (running, finished, or imported), if any. */
  readonly sweep: SweepState | null;
  /** Why the last sweep asked for could not start (a bad range). */
  readonly sweepError: string | null;
  /** What the last JSONL import loaded and which lines it could not read. */
  readonly importReport: ImportReport | null;
  /** Runs picked in the history for the compare view (at most two, oldest pick first). */
  readonly compareRunIds: readonly number[];
  /** The recipe a link opened, checked for long training before it runs (link-gate.ts). */
  readonly linkRecipe: string | null;
  /** A link's recipe whose training is estimated too long to start unasked: waits for Run. */
  readonly heldRun: HeldRun | null;
}

/** What an action returns: the fields of the state it changes. */
export type Patch = Partial<LabState>;

/** Runs kept in history; older ones drop off so a long session stays light. */
export const MAX_RUNS = 200;

/** The step a first visit starts with: global pruning at 0 %, i.e. the baseline. */
export const QUICK_PRUNE_STEP: RecipeStep = normalizeStep('prune', { fraction: 0 });

/** The steps the editor shows for a recipe: one with no steps gets the quick pruning card. */
export function editorSteps(steps: readonly RecipeStep[]): readonly RecipeStep[] {
  return steps.length === 0 ? [QUICK_PRUNE_STEP] : steps;
}

/** The recipe that runs (and goes into links): identity steps dropped. */
export function runnableRecipe(recipe: Recipe): Recipe {
  const steps = recipe.steps.filter((s) => !isIdentityStep(s));
  return steps.length === recipe.steps.length ? recipe : { ...recipe, steps };
}

/** The canonical text of what the editor shows: the recipe a run and a link use. */
export const recipeTextOf = (recipe: Recipe): string => formatRecipe(runnableRecipe(recipe));

/** The index a step has in the runnable recipe (what error messages count), or null if skipped. */
export function runnableIndex(recipe: Recipe, editorIndex: number): number | null {
  if (isIdentityStep(recipe.steps[editorIndex])) return null;
  return recipe.steps.slice(0, editorIndex).filter((s) => !isIdentityStep(s)).length;
}

const initialSteps = editorSteps(DEFAULT_SHARE_STATE.recipe.steps);

export const INITIAL_STATE: LabState = {
  recipe: { ...DEFAULT_SHARE_STATE.recipe, steps: initialSteps },
  stepKeys: initialSteps.map((_, i) => i + 1),
  nextStepKey: initialSteps.length + 1,
  ui: DEFAULT_SHARE_STATE.ui,
  runs: [],
  runStatus: { phase: 'loading', message: 'Starting the compute engine…' },
  backendStatus: null,
  backendError: null,
  engineNotice: null,
  linkError: null,
  cards: [],
  cardsError: null,
  dataSizes: {},
  dataNotice: null,
  models: {},
  userModels: [],
  storageNote: null,
  importNotice: null,
  sweep: null,
  sweepError: null,
  importReport: null,
  compareRunIds: [],
  linkRecipe: null,
  heldRun: null,
};
