/**
 * Every change to the lab's state, as a pure function from the current state to a patch
 * (excalidraw style). Components and the session call these through `store.setState`; nothing
 * here touches the DOM, the URL or the worker, so each can be tested on plain objects.
 *
 * Recipe edits keep the recipe valid by construction: values are rounded to their parameter's
 * step and clamped to its range, choices outside the declaration and layers the model lacks are
 * refused (no patch), so a control can never produce a recipe the codec would reject. An edit
 * makes a new recipe, of the newest version (an old link's recipe, once edited, is a new one:
 * `edited`); opening a link or a run from the history keeps the version it has.
 */
import type { BackendChoice } from '../engine/backend-names.ts';
import type { BackendStatus } from '../engine/browser/select-backend.ts';
import type { RunProgress } from '../engine/lab.ts';
import { dataSetInfo, isDataSetId, type DataSetId } from '../engine/data/datasets.ts';
import {
  hasShippedWeights,
  isShippedModel,
  SHIPPED_MODELS,
  type ModelCard,
} from '../engine/model/catalog.ts';
import {
  asNewRecipe,
  dataSetOf,
  MAX_STEPS,
  normalizeStep,
  roundToStep,
  techniqueSpecOf,
  type Recipe,
  type RecipeStep,
  withDataSet,
} from '../engine/recipe/recipe.ts';
import type { HideableControl, PlotAxis, ShareState } from '../engine/recipe/share.ts';
import { findTechniqueSpec } from '../engine/techniques/catalog.ts';
import type {
  ParamSpec,
  ParamValue,
  PerLayerParamSpec,
  PerLayerValue,
} from '../engine/techniques/technique.ts';
import type { DataSetSizes, LabErrorData, ModelInfo } from '../worker/protocol.ts';
import { editorSteps, MAX_RUNS, type LabState, type Patch, type RunRecord } from './state.ts';

// ---------------------------------------------------------------------------------------------
// Recipe steps

/** The recipe after an edit: `change` applied, as a new recipe. */
const edited = (recipe: Recipe, change: Partial<Recipe>): Recipe =>
  asNewRecipe({ ...recipe, ...change });

/** Replaces all steps, with fresh card keys. */
function replaceSteps(state: LabState, recipe: Recipe): Patch {
  const keys = recipe.steps.map((_, i) => state.nextStepKey + i);
  return { recipe, stepKeys: keys, nextStepKey: state.nextStepKey + keys.length };
}

function withStep(state: LabState, index: number, step: RecipeStep): Patch {
  const steps = [...state.recipe.steps];
  steps[index] = step;
  return { recipe: edited(state.recipe, { steps }) };
}

const paramSpecOf = (step: RecipeStep, name: string): ParamSpec | undefined =>
  findTechniqueSpec(step.technique)?.params.find((p) => p.name === name);

const clamp = (value: number, spec: { min: number; max: number }) =>
  Math.min(spec.max, Math.max(spec.min, value));

/** A number for a numeric parameter: on its grid and in its range. */
function gridValue(spec: { min: number; max: number; step: number }, value: number): number {
  return clamp(roundToStep(clamp(value, spec), spec), spec);
}

/** Appends a step of `technique` with its declared defaults. */
export function addStep(state: LabState, technique: string): Patch {
  if (!findTechniqueSpec(technique) || state.recipe.steps.length >= MAX_STEPS) return {};
  const step = normalizeStep(technique, {});
  return {
    recipe: edited(state.recipe, { steps: [...state.recipe.steps, step] }),
    stepKeys: [...state.stepKeys, state.nextStepKey],
    nextStepKey: state.nextStepKey + 1,
  };
}

export function removeStep(state: LabState, index: number): Patch {
  if (index < 0 || index >= state.recipe.steps.length) return {};
  return {
    recipe: edited(state.recipe, { steps: state.recipe.steps.filter((_, i) => i !== index) }),
    stepKeys: state.stepKeys.filter((_, i) => i !== index),
  };
}

/** Moves a step up (offset -1) or down (+1); steps run in the order shown. */
export function moveStep(state: LabState, index: number, offset: number): Patch {
  const target = index + offset;
  const n = state.recipe.steps.length;
  if (index < 0 || index >= n || target < 0 || target >= n || offset === 0) return {};
  const steps = [...state.recipe.steps];
  const keys = [...state.stepKeys];
  const [step] = steps.splice(index, 1);
  const [key] = keys.splice(index, 1);
  steps.splice(target, 0, step);
  keys.splice(target, 0, key);
  return { recipe: edited(state.recipe, { steps }), stepKeys: keys };
}

/**
 * Sets one parameter of step `index`. Numbers are rounded to the parameter's step and clamped,
 * integers rounded and clamped; a choice the declaration lacks, or a value of the wrong type,
 * changes nothing.
 */
export function setStepParam(
  state: LabState,
  index: number,
  param: string,
  value: ParamValue,
): Patch {
  const step = state.recipe.steps[index];
  const spec = step && paramSpecOf(step, param);
  if (!spec) return {};
  let next: ParamValue;
  switch (spec.type) {
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return {};
      next = gridValue(spec, value);
      break;
    case 'integer':
      if (typeof value !== 'number' || !Number.isFinite(value)) return {};
      next = clamp(Math.round(value), spec);
      break;
    case 'boolean':
      if (typeof value !== 'boolean') return {};
      next = value;
      break;
    case 'choice':
      if (typeof value !== 'string' || !spec.options.some((o) => o.value === value)) return {};
      next = value;
      break;
    case 'perLayer': {
      if (typeof value !== 'object') return {};
      const entries = Object.entries(value).map(([k, v]) => [k, gridValue(spec, v)] as const);
      if (entries.length === 0) return {};
      next = Object.fromEntries(entries);
      break;
    }
  }
  if (sameValue(step.params[param], next)) return {};
  return withStep(state, index, normalizeStep(step.technique, { ...step.params, [param]: next }));
}

function sameValue(a: ParamValue | undefined, b: ParamValue): boolean {
  if (typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
  }
  return a === b;
}

/**
 * Sets one layer's entry of a per-layer parameter ("*" is every layer not named), or removes a
 * layer's own entry (value null) so it follows "*" again. Removing the last entry (say, a layer
 * the model lacks, from a link) puts back the declared default.
 */
export function setStepLayerValue(
  state: LabState,
  index: number,
  param: string,
  layer: string,
  value: number | null,
): Patch {
  const step = state.recipe.steps[index];
  const spec = step && paramSpecOf(step, param);
  if (spec?.type !== 'perLayer') return {};
  const current = step.params[param] as PerLayerValue;
  const next: Record<string, number> = { ...current };
  if (value === null) delete next[layer];
  else next[layer] = value;
  return setStepParam(state, index, param, Object.keys(next).length ? next : spec.default);
}

/** The value a per-layer parameter gives `layer` (its own, else "*"), and whether it is its own. */
export function layerValue(
  value: PerLayerValue,
  layer: string,
): { value: number | undefined; own: boolean } {
  const own = Object.prototype.hasOwnProperty.call(value, layer);
  return { value: own ? value[layer] : value['*'], own };
}

/** Replaces the steps with a preset's, as expanded for the current model. */
export function applyPreset(state: LabState, steps: readonly RecipeStep[]): Patch {
  const normalized = steps.map((s) => normalizeStep(s.technique, s.params));
  return replaceSteps(state, edited(state.recipe, { steps: normalized }));
}

/** Drops per-layer entries naming layers `info` lacks ("*" stays; an emptied value resets). */
function fitToModel(step: RecipeStep, info: ModelInfo): RecipeStep {
  const spec = techniqueSpecOf(step.technique);
  const layers = new Set(info.layers.filter((l) => l.weighted).map((l) => l.name));
  let changed = false;
  const params: Record<string, ParamValue> = { ...step.params };
  for (const p of spec.params) {
    if (p.type !== 'perLayer') continue;
    const value = step.params[p.name] as PerLayerValue;
    const kept = Object.entries(value).filter(([layer]) => layer === '*' || layers.has(layer));
    if (kept.length === Object.keys(value).length) continue;
    changed = true;
    params[p.name] = kept.length ? Object.fromEntries(kept) : (p as PerLayerParamSpec).default;
  }
  return changed ? normalizeStep(step.technique, params) : step;
}

/**
 * Whether model `model` can run on data set `data`: a shipped model only where it has trained
 * weights for it; a model imported into this browser always (its own weights).
 */
export function modelRunsOn(model: string, data: DataSetId): boolean {
  return !isShippedModel(model) || hasShippedWeights(model, data);
}

/** The steps of `recipe` fitted to `model`'s layers, when they are known. */
function stepsFor(state: LabState, model: string): readonly RecipeStep[] {
  const info = state.models[model];
  return info ? state.recipe.steps.map((s) => fitToModel(s, info)) : state.recipe.steps;
}

const modelName = (state: LabState, model: string) =>
  state.cards.find((c) => c.id === model)?.name ?? model;

/**
 * Switches model. Per-layer values naming layers the new model lacks are dropped when its
 * layers are known, so the recipe stays runnable ("*" values carry over). A shipped model
 * without trained weights for the recipe's data set is refused (it could not run).
 */
export function setModel(state: LabState, model: string): Patch {
  if (model === state.recipe.model) return {};
  if (!modelRunsOn(model, dataSetOf(state.recipe))) return {};
  return {
    recipe: edited(state.recipe, { model, steps: stepsFor(state, model) }),
    dataNotice: null,
  };
}

/**
 * Switches data set; the steps stay. A model without trained weights for the new set gives way
 * to the first shipped one that has them, and `dataNotice` says so. An unknown id, or a set no
 * model is trained on, changes nothing.
 */
export function setDataSet(state: LabState, data: string): Patch {
  if (!isDataSetId(data) || data === dataSetOf(state.recipe)) return {};
  const current = state.recipe.model;
  if (modelRunsOn(current, data)) {
    return { recipe: withDataSet(edited(state.recipe, {}), data), dataNotice: null };
  }
  const model = SHIPPED_MODELS.find((m) => hasShippedWeights(m, data));
  if (!model) return {};
  const recipe = edited(state.recipe, { model, steps: stepsFor(state, model) });
  return {
    recipe: withDataSet(recipe, data),
    dataNotice: `${dataSetInfo(data).name} has no trained ${modelName(state, current)} in this build, so the model is now ${modelName(state, model)}.`,
  };
}

export function setSeed(state: LabState, seed: number): Patch {
  return seed === state.recipe.seed ? {} : { recipe: edited(state.recipe, { seed }) };
}

export function modelInfoLoaded(state: LabState, info: ModelInfo): Patch {
  return { models: { ...state.models, [info.model]: info } };
}

// ---------------------------------------------------------------------------------------------
// Page settings and links

export function setBackendChoice(state: LabState, backend: BackendChoice): Patch {
  return backend === state.ui.backend ? {} : { ui: { ...state.ui, backend }, engineNotice: null };
}

export function isHidden(state: Pick<LabState, 'ui'>, control: HideableControl): boolean {
  return state.ui.hide.includes(control);
}

/** A share link was read successfully: take its recipe and UI settings. */
export function applyShareState(state: LabState, share: ShareState): Patch {
  const recipe = { ...share.recipe, steps: editorSteps(share.recipe.steps) };
  return { ...replaceSteps(state, recipe), ui: share.ui, linkError: null };
}

/** Leaves the guided tour: the recipe on screen stays, the link loses tour= and step=. */
export function leaveTour(state: LabState): Patch {
  if (state.ui.tour === undefined) return {};
  return { ui: { backend: state.ui.backend, hide: state.ui.hide } };
}

export function linkFailed(_state: LabState, message: string): Patch {
  return { linkError: message };
}

export function dismissLinkError(): Patch {
  return { linkError: null };
}

/** Loads a recipe from the history back into the editor. */
export function restoreRecipe(state: LabState, recipe: Recipe): Patch {
  return replaceSteps(state, { ...recipe, steps: editorSteps(recipe.steps) });
}

// ---------------------------------------------------------------------------------------------
// Engine and runs

export function backendStarting(_state: LabState, choice: BackendChoice): Patch {
  const what = choice === 'auto' ? 'the fastest available backend' : choice;
  return { runStatus: { phase: 'loading', message: `Starting ${what}…` } };
}

export function backendReady(_state: LabState, status: BackendStatus): Patch {
  return { backendStatus: status, backendError: null };
}

/**
 * The worker changed backend on its own (it lost a GPU backend and moved to the next one): the
 * status says which was lost and why; runs, history and the link are not touched.
 */
export function backendChanged(_state: LabState, status: BackendStatus): Patch {
  return { backendStatus: status, backendError: null };
}

/** The compute worker died and a new one was started; `message` says so. */
export function engineRestarted(_state: LabState, message: string): Patch {
  return { engineNotice: message };
}

/** The compute worker kept dying and is not started again: the error replaces the notice. */
export function engineStopped(state: LabState, error: LabErrorData): Patch {
  return { ...backendFailed(state, error), engineNotice: null };
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

export function dataSizesLoaded(state: LabState, sizes: DataSetSizes): Patch {
  return { dataSizes: { ...state.dataSizes, [sizes.data]: sizes } };
}

export function dismissDataNotice(): Patch {
  return { dataNotice: null };
}

export function cardsFailed(_state: LabState, error: LabErrorData): Patch {
  return { cardsError: `Model descriptions could not be loaded: ${error.message}` };
}

export function runStarted(_state: LabState, runId: number, recipeText: string): Patch {
  return { runStatus: { phase: 'running', runId, recipeText, progress: null } };
}

/** The engine's progress of run `runId`; reports of an older run are ignored. */
export function runProgressed(state: LabState, runId: number, progress: RunProgress): Patch {
  const status = state.runStatus;
  if (status.phase !== 'running' || status.runId !== runId) return {};
  return { runStatus: { ...status, progress } };
}

export function runFinished(state: LabState, record: RunRecord): Patch {
  const runs = [...state.runs, record];
  const status = state.runStatus;
  const cancelTooLate =
    status.phase === 'running' && status.runId === record.runId && status.cancelling === true;
  return {
    runs: runs.length > MAX_RUNS ? runs.slice(runs.length - MAX_RUNS) : runs,
    runStatus: cancelTooLate ? { phase: 'idle', cancelTooLate } : { phase: 'idle' },
  };
}

/** Cancel was pressed for run `runId`: the page says so at once, before the engine answers. */
export function runCancelRequested(state: LabState, runId: number): Patch {
  const status = state.runStatus;
  if (status.phase !== 'running' || status.runId !== runId || status.cancelling) return {};
  return { runStatus: { ...status, cancelling: true } };
}

/** The user cancelled run `runId`: where it was is kept; the results stay as they were. */
export function runCancelled(state: LabState, runId: number): Patch {
  const status = state.runStatus;
  if (status.phase !== 'running' || status.runId !== runId) return {};
  return {
    runStatus: { phase: 'cancelled', recipeText: status.recipeText, progress: status.progress },
  };
}

export function runFailed(state: LabState, error: LabErrorData): Patch {
  const status = state.runStatus;
  return {
    runStatus: {
      phase: 'error',
      kind: error.kind,
      message: error.message,
      recipeText: status.phase === 'running' ? status.recipeText : undefined,
    },
  };
}

export function clearHistory(): Patch {
  return { runs: [], compareRunIds: [] };
}

// ---------------------------------------------------------------------------------------------
// Plot and compare view

/** The accuracy plot's x axis (it goes into the link; size, the default, is left out). */
export function setPlotAxis(state: LabState, axis: PlotAxis): Patch {
  if ((state.ui.plot ?? 'size') === axis) return {};
  const { plot: _previous, ...ui } = state.ui;
  return { ui: axis === 'size' ? ui : { ...ui, plot: axis } };
}

/** Picks a run for the compare view, or unpicks it; a third pick replaces the oldest one. */
export function toggleCompare(state: LabState, runId: number): Patch {
  const picked = state.compareRunIds;
  if (picked.includes(runId)) return { compareRunIds: picked.filter((id) => id !== runId) };
  if (!state.runs.some((r) => r.runId === runId)) return {};
  return { compareRunIds: [...picked, runId].slice(-2) };
}
