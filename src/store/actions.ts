/**
 * Every change to the lab's state, as a pure function from the current state to a patch
 * (excalidraw style). Components and the session call these through `store.setState`; nothing
 * here touches the DOM, the URL or the worker, so each can be tested on plain objects.
 */
import type { BackendChoice } from '../engine/backend-names.ts';
import type { BackendStatus } from '../engine/browser/select-backend.ts';
import type { ModelCard } from '../engine/model/catalog.ts';
import {
  isIdentityStep,
  normalizeStep,
  roundToStep,
  type Recipe,
} from '../engine/recipe/recipe.ts';
import type { HideableControl, ShareState } from '../engine/recipe/share.ts';
import { techniqueSpecOf } from '../engine/recipe/recipe.ts';
import type { ParamValue } from '../engine/techniques/technique.ts';
import type { LabErrorData } from '../worker/protocol.ts';
import { MAX_RUNS, type LabState, type RunRecord } from './state.ts';

export type Patch = Partial<LabState>;

/** The value a technique's control shows: from its step, else its identity or default value. */
export function techniqueParamValue(
  recipe: Recipe,
  techniqueId: string,
  param: string,
): ParamValue {
  const step = recipe.steps.find((s) => s.technique === techniqueId);
  if (step && param in step.params) return step.params[param];
  const technique = techniqueSpecOf(techniqueId);
  const spec = technique.params.find((p) => p.name === param);
  return technique.identity?.[param] ?? spec?.default ?? 0;
}

/** Sets one technique parameter; edits that technique's first step, or appends one. */
export function setTechniqueParam(
  state: LabState,
  techniqueId: string,
  param: string,
  value: number,
): Patch {
  const technique = techniqueSpecOf(techniqueId);
  const spec = technique.params.find((p) => p.name === param);
  if (spec?.type !== 'number') return {};
  const clamped = Math.min(spec.max, Math.max(spec.min, roundToStep(value, spec)));
  if (techniqueParamValue(state.recipe, techniqueId, param) === clamped) return {};
  const steps = [...state.recipe.steps];
  const index = steps.findIndex((s) => s.technique === techniqueId);
  const current = index >= 0 ? steps[index].params : {};
  const step = normalizeStep(techniqueId, { ...current, [param]: clamped });
  if (index >= 0) steps[index] = step;
  else steps.push(step);
  return { recipe: { ...state.recipe, steps: steps.filter((s) => !isIdentityStep(s)) } };
}

export function setModel(state: LabState, model: string): Patch {
  return model === state.recipe.model ? {} : { recipe: { ...state.recipe, model } };
}

export function setSeed(state: LabState, seed: number): Patch {
  return seed === state.recipe.seed ? {} : { recipe: { ...state.recipe, seed } };
}

export function setBackendChoice(state: LabState, backend: BackendChoice): Patch {
  return backend === state.ui.backend ? {} : { ui: { ...state.ui, backend } };
}

export function isHidden(state: Pick<LabState, 'ui'>, control: HideableControl): boolean {
  return state.ui.hide.includes(control);
}

/** A share link was read successfully: take its recipe and UI settings. */
export function applyShareState(_state: LabState, share: ShareState): Patch {
  return { recipe: share.recipe, ui: share.ui, linkError: null };
}

export function linkFailed(_state: LabState, message: string): Patch {
  return { linkError: message };
}

export function dismissLinkError(): Patch {
  return { linkError: null };
}

export function backendStarting(_state: LabState, choice: BackendChoice): Patch {
  const what = choice === 'auto' ? 'the fastest available backend' : choice;
  return { runStatus: { phase: 'loading', message: `Starting ${what}…` } };
}

export function backendReady(_state: LabState, status: BackendStatus): Patch {
  return { backendStatus: status, backendError: null };
}

export function backendFailed(_state: LabState, error: LabErrorData): Patch {
  return {
    backendStatus: null,
    backendError: error.message,
    runStatus: { phase: 'error', kind: error.kind, message: error.message },
  };
}

export function cardsLoaded(_state: LabState, cards: readonly ModelCard[]): Patch {
  return { cards, cardsError: null };
}

export function cardsFailed(_state: LabState, error: LabErrorData): Patch {
  return { cardsError: `Model descriptions could not be loaded: ${error.message}` };
}

export function runStarted(_state: LabState, runId: number, recipeText: string): Patch {
  return { runStatus: { phase: 'running', runId, recipeText, stage: 'starting', fraction: 0 } };
}

export function runProgressed(
  state: LabState,
  runId: number,
  stage: string,
  fraction: number,
): Patch {
  const status = state.runStatus;
  if (status.phase !== 'running' || status.runId !== runId) return {};
  return { runStatus: { ...status, stage, fraction } };
}

export function runFinished(state: LabState, record: RunRecord): Patch {
  const runs = [...state.runs, record];
  return {
    runs: runs.length > MAX_RUNS ? runs.slice(runs.length - MAX_RUNS) : runs,
    runStatus: { phase: 'idle' },
  };
}

export function runFailed(_state: LabState, error: LabErrorData): Patch {
  return { runStatus: { phase: 'error', kind: error.kind, message: error.message } };
}

export function clearHistory(): Patch {
  return { runs: [] };
}

/** Loads a recipe from the history back into the controls. */
export function restoreRecipe(_state: LabState, recipe: Recipe): Patch {
  return { recipe };
}
