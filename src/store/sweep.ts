/**
 * Sweeps in the page: one numeric parameter of one step run over a grid of values (each value
 * a run that lands in the history and the plot), and runs imported from the JSONL files that
 * `complab sweep` writes. Pure actions on the lab's state, as in actions.ts.
 */
import { checkedRange } from '../engine/recipe/grid.ts';
import { RecipeError } from '../engine/recipe/errors.ts';
import { normalizeStep, type Recipe } from '../engine/recipe/recipe.ts';
import { MAX_RUNS, runnableRecipe, type LabState, type Patch, type RunRecord } from './state.ts';
import type { ImportReport, SweepPoint, SweepState } from './sweep-state.ts';

/** The page sweeps at most this many values, so a sweep never pushes runs out of the history. */
export const MAX_PAGE_SWEEP = 100;

export interface SweepRequest {
  /** Index of the step in the editor's recipe. */
  readonly stepIndex: number;
  readonly param: string;
  readonly from: number;
  readonly to: number;
  readonly step: number;
}

export interface SweepPlan {
  readonly label: string;
  readonly values: readonly number[];
  /** One recipe per value: the editor's recipe with that step's parameter set to it. */
  readonly recipes: readonly Recipe[];
  readonly percent: boolean;
}

/**
 * The recipes of a sweep over the editor's recipe, or a RecipeError naming what is wrong: the
 * same checks as `complab sweep --grid` (a number parameter, bounds, step, at most
 * MAX_PAGE_SWEEP values).
 */
export function planSweep(recipe: Recipe, request: SweepRequest): SweepPlan {
  const step = recipe.steps[request.stepIndex];
  if (!step) throw new RecipeError(`the recipe has no step ${request.stepIndex + 1}`);
  const values = checkedRange(
    step.technique,
    request.param,
    request.from,
    request.to,
    request.step,
    MAX_PAGE_SWEEP,
  );
  const recipes = values.map((value) => {
    const steps = [...recipe.steps];
    steps[request.stepIndex] = normalizeStep(step.technique, {
      ...step.params,
      [request.param]: value,
    });
    // The points keep the editor recipe's version: over an old link, the point at the link's
    // own value gives the link's numbers, and every point is measured alike.
    return runnableRecipe({ ...recipe, steps });
  });
  const percent = values.every((v) => v >= 0 && v <= 1) && /fraction|density/.test(request.param);
  return {
    label: `step ${request.stepIndex + 1} ${step.technique} ${request.param}`,
    values,
    recipes,
    percent,
  };
}

export function sweepStarted(state: LabState, id: number, plan: SweepPlan): Patch {
  return {
    sweep: {
      id,
      phase: 'running',
      label: plan.label,
      model: state.recipe.model,
      values: plan.values,
      points: [],
      percent: plan.percent,
    },
  };
}

export function sweepPointDone(state: LabState, id: number, point: SweepPoint): Patch {
  if (state.sweep?.id !== id) return {};
  return { sweep: { ...state.sweep, points: [...state.sweep.points, point] } };
}

export function sweepEnded(
  state: LabState,
  id: number,
  phase: 'done' | 'cancelled' | 'error',
  message?: string,
): Patch {
  if (state.sweep?.id !== id) return {};
  return { sweep: { ...state.sweep, phase, message } };
}

export function sweepRefused(_state: LabState, message: string): Patch {
  return { sweepError: message };
}

export function dismissSweepError(): Patch {
  return { sweepError: null };
}

/**
 * Adds imported runs to the history, before the newest run so the result shown stays the one
 * it was; nothing already in the history is dropped (lines beyond its room are counted as
 * skipped). When the lines are one sweep over one parameter, the curve shows it.
 */
export function runsImported(
  state: LabState,
  imported: {
    readonly files: readonly string[];
    readonly records: readonly Omit<RunRecord, 'runId'>[];
    readonly broken: ImportReport['broken'];
    readonly sweep: Omit<SweepState, 'id' | 'phase'> | null;
  },
): Patch {
  const room = Math.max(0, MAX_RUNS - state.runs.length);
  const taken = imported.records.slice(0, room);
  // Negative ids below any in use: imported runs never collide with the page's own.
  const lowest = Math.min(0, ...state.runs.map((r) => r.runId));
  const records = taken.map((r, i) => ({ ...r, runId: lowest - 1 - i }) as RunRecord);
  const runs =
    state.runs.length === 0
      ? records
      : [...state.runs.slice(0, -1), ...records, state.runs[state.runs.length - 1]];
  const report: ImportReport = {
    files: imported.files,
    loaded: records.length,
    broken: imported.broken,
    skipped: imported.records.length - records.length,
  };
  const sweepId = (state.sweep?.id ?? 0) + 1;
  return {
    runs,
    importReport: report,
    ...(imported.sweep && records.length > 0 && state.sweep?.phase !== 'running'
      ? { sweep: { ...imported.sweep, id: sweepId, phase: 'imported' as const } }
      : {}),
  };
}

export function dismissImportReport(): Patch {
  return { importReport: null };
}
