/**
 * Pure actions of the page's own files: imported models, the note on storage, the restored
 * state of a reload. Like actions.ts: state in, patch out.
 */
import { asNewRecipe, DEFAULT_RECIPE } from '../engine/recipe/recipe.ts';
import { absentUserModelMessage, isUserModelId } from '../engine/model/user-models.ts';
import { editorSteps, MAX_RUNS, type LabState, type Patch, type RunRecord } from './state.ts';
import type { UserModelInfo } from './page-io-state.ts';
import type { SavedRun } from './page-db.ts';

export function storageFailed(_state: LabState, note: string): Patch {
  return { storageNote: note };
}

export function importNoticed(_state: LabState, notice: LabState['importNotice']): Patch {
  return { importNotice: notice };
}

/** A model was imported (or picked again): listed, and made the current model. */
export function userModelAdded(state: LabState, model: UserModelInfo): Patch {
  const others = state.userModels.filter((m) => m.id !== model.id);
  return {
    userModels: [...others, model],
    recipe: asNewRecipe({ ...state.recipe, model: model.id }),
  };
}

/** A model was removed: unlisted; the recipe falls back to the default model if it used it. */
export function userModelRemoved(state: LabState, id: string): Patch {
  const userModels = state.userModels.filter((m) => m.id !== id);
  if (state.recipe.model !== id) return { userModels };
  return { userModels, recipe: asNewRecipe({ ...state.recipe, model: DEFAULT_RECIPE.model }) };
}

/**
 * The state a page starts in after a reload: the link's (from the hash), the runs and models
 * IndexedDB kept, and the storage note. A link to a run on an imported model this browser does
 * not have opens the defaults and says which model it needs.
 */
export function restoredState(
  fromHash: Partial<LabState>,
  runs: readonly RunRecord[],
  userModels: readonly UserModelInfo[],
  storageNote: string | null,
): Partial<LabState> {
  const restored: Partial<LabState> = {
    ...fromHash,
    runs: runs.slice(-MAX_RUNS),
    userModels,
    storageNote,
  };
  const model = fromHash.recipe?.model;
  if (model && isUserModelId(model) && !userModels.some((m) => m.id === model)) {
    const steps = editorSteps(DEFAULT_RECIPE.steps);
    return {
      ...restored,
      recipe: { ...DEFAULT_RECIPE, steps },
      stepKeys: steps.map((_, i) => i + 1),
      nextStepKey: steps.length + 1,
      linkError: `The lab opened with its defaults: ${absentUserModelMessage(model)}. Your history and your own models are untouched.`,
    };
  }
  return restored;
}

// ---------------------------------------------------------------------------------------------
// Runs of other tabs (history-persistence.ts): a run number is what one tab shows; two tabs can
// each have made their "run 7", and both are kept.

/**
 * `saved` with run numbers no other run uses: a run keeps its number unless it is `taken` or an
 * earlier run here has it; then it gets the next number above all (below all, for imported
 * runs, whose numbers are negative).
 */
export function withFreeRunIds(
  saved: readonly SavedRun[],
  taken: Iterable<number> = [],
): SavedRun[] {
  const used = new Set(taken);
  let highest = Math.max(0, ...used, ...saved.map((s) => s.run.runId));
  let lowest = Math.min(0, ...used, ...saved.map((s) => s.run.runId));
  return saved.map((s) => {
    let runId = s.run.runId;
    if (used.has(runId)) runId = runId < 0 ? --lowest : ++highest;
    used.add(runId);
    return runId === s.run.runId ? s : { key: s.key, run: { ...s.run, runId } };
  });
}

/**
 * Runs another tab made: added before this tab's newest run, so the result shown stays the one
 * its editor asked for; the oldest drop off beyond MAX_RUNS. Their numbers must be free
 * (withFreeRunIds).
 */
export function runsFromOtherTab(state: LabState, arrived: readonly RunRecord[]): Patch {
  if (arrived.length === 0) return {};
  const newest = state.runs.at(-1);
  const runs = newest ? [...state.runs.slice(0, -1), ...arrived, newest] : [...arrived];
  if (runs.length <= MAX_RUNS) return { runs };
  const kept = runs.slice(runs.length - MAX_RUNS);
  const ids = new Set(kept.map((r) => r.runId));
  return { runs: kept, compareRunIds: state.compareRunIds.filter((id) => ids.has(id)) };
}

/** Runs another tab deleted (it cleared the history, or they dropped off its window). */
export function runsRemovedElsewhere(state: LabState, runIds: readonly number[]): Patch {
  const gone = new Set(runIds);
  if (!state.runs.some((r) => gone.has(r.runId))) return {};
  return {
    runs: state.runs.filter((r) => !gone.has(r.runId)),
    compareRunIds: state.compareRunIds.filter((id) => !gone.has(id)),
  };
}
