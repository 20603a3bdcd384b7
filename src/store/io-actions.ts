/**
 * Pure actions of the page's own files: imported models, the note on storage, the restored
 * state of a reload. Like actions.ts: state in, patch out.
 */
import { DEFAULT_RECIPE } from '../engine/recipe/recipe.ts';
import { absentUserModelMessage, isUserModelId } from '../engine/model/user-models.ts';
import type { Patch } from './actions.ts';
import { editorSteps, MAX_RUNS, type LabState, type RunRecord } from './state.ts';
import type { UserModelInfo } from './page-io-state.ts';

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
    recipe: { ...state.recipe, model: model.id },
  };
}

/** A model was removed: unlisted; the recipe falls back to the default model if it used it. */
export function userModelRemoved(state: LabState, id: string): Patch {
  const userModels = state.userModels.filter((m) => m.id !== id);
  if (state.recipe.model !== id) return { userModels };
  return { userModels, recipe: { ...state.recipe, model: DEFAULT_RECIPE.model } };
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
