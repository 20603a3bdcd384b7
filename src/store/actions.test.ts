import { describe, expect, it } from 'vitest';
import { normalizeStep, parseSteps } from '../engine/recipe/recipe.ts';
import { parseShareState } from '../engine/recipe/share.ts';
import type { RunProgress } from '../engine/lab.ts';
import type { ModelInfo } from '../worker/protocol.ts';
import {
  addStep,
  applyPreset,
  applyShareState,
  backendChanged,
  engineRestarted,
  engineStopped,
  layerValue,
  moveStep,
  removeStep,
  restoreRecipe,
  runCancelled,
  runCancelRequested,
  runFailed,
  runFinished,
  runProgressed,
  runStarted,
  dataSizesLoaded,
  setBackendChoice,
  setDataSet,
  setModel,
  setSeed,
  setStepLayerValue,
  setStepParam,
} from './actions.ts';
import {
  INITIAL_STATE,
  MAX_RUNS,
  recipeTextOf,
  runnableIndex,
  type LabState,
  type Patch,
  type RunRecord,
} from './state.ts';
import { planSweep } from './sweep.ts';
import { initialStateFromHash, shareText } from './url-sync.ts';

const state = (patch: Partial<LabState> = {}): LabState => ({ ...INITIAL_STATE, ...patch });
/** Applies patches in order, as the store would. */
const apply = (s: LabState, ...patches: ((s: LabState) => Patch)[]) =>
  patches.reduce((acc, p) => ({ ...acc, ...p(acc) }), s);
const withSteps = (text: string, model = 'lenet5'): LabState => {
  const steps = parseSteps(text);
  return state({
    recipe: { model, seed: 1, steps },
    stepKeys: steps.map((_, i) => i + 1),
    nextStepKey: steps.length + 1,
  });
};
const stepsText = (s: LabState) => s.recipe.steps.map((x) => x.technique).join(',');

const LENET300: ModelInfo = {
  model: 'lenet300',
  layers: [
    { name: 'fc1_input', className: 'InputLayer', outputShape: [784], weighted: false },
    {
      name: 'fc1',
      className: 'Dense',
      outputShape: [300],
      kernelShape: [784, 300],
      weighted: true,
    },
    {
      name: 'fc2',
      className: 'Dense',
      outputShape: [100],
      kernelShape: [300, 100],
      weighted: true,
    },
    { name: 'fc3', className: 'Dense', outputShape: [10], kernelShape: [100, 10], weighted: true },
  ],
};

describe('the first visit', () => {
  it('starts with a global pruning card at 0 %, which is the baseline recipe', () => {
    expect(INITIAL_STATE.recipe.steps).toEqual([{ technique: 'prune', params: { fraction: 0 } }]);
    // New experiments run on the full MNIST (issue 18), so the link names it.
    expect(recipeTextOf(INITIAL_STATE.recipe)).toBe('v=2&model=lenet5&data=mnist&seed=1&steps=');
    expect(INITIAL_STATE.stepKeys).toHaveLength(1);
  });

  it('moving that card off 0 % makes a one-step recipe, and back to 0 % the baseline again', () => {
    const pruned = apply(state(), (s) => setStepParam(s, 0, 'fraction', 0.9000001));
    expect(recipeTextOf(pruned.recipe)).toBe(
      'v=2&model=lenet5&data=mnist&seed=1&steps=prune(fraction=0.9)',
    );
    const back = apply(pruned, (s) => setStepParam(s, 0, 'fraction', 0));
    expect(back.recipe.steps).toHaveLength(1); // the card stays
    expect(recipeTextOf(back.recipe)).toBe('v=2&model=lenet5&data=mnist&seed=1&steps=');
  });
});

describe('setStepParam', () => {
  it('rounds numbers to the parameter step and clamps them to its range', () => {
    const s = withSteps('prune(fraction=0.5)');
    expect(setStepParam(s, 0, 'fraction', 0.123).recipe!.steps[0].params.fraction).toBe(0.12);
    expect(setStepParam(s, 0, 'fraction', 5).recipe!.steps[0].params.fraction).toBe(0.99);
    expect(setStepParam(s, 0, 'fraction', -1).recipe!.steps[0].params.fraction).toBe(0);
    expect(setStepParam(s, 0, 'fraction', Number.NaN)).toEqual({});
    expect(setStepParam(s, 0, 'fraction', 0.5)).toEqual({});
  });

  it('rounds and clamps integers, keeps booleans and refuses unknown choices', () => {
    const s = withSteps('finetune(epochs=2)');
    expect(setStepParam(s, 0, 'epochs', 3.6).recipe!.steps[0].params.epochs).toBe(4);
    expect(setStepParam(s, 0, 'epochs', 999).recipe!.steps[0].params.epochs).toBe(60);
    expect(setStepParam(s, 0, 'augment', false).recipe!.steps[0].params.augment).toBe(false);
    expect(setStepParam(s, 0, 'augment', 'no')).toEqual({});
    expect(setStepParam(s, 0, 'optimizer', 'sgd').recipe!.steps[0].params.optimizer).toBe('sgd');
    expect(setStepParam(s, 0, 'optimizer', 'lbfgs')).toEqual({});
    expect(setStepParam(s, 0, 'nosuch', 1)).toEqual({});
    expect(setStepParam(s, 3, 'epochs', 1)).toEqual({});
  });

  it('keeps a log-scale learning rate on its grid', () => {
    const s = withSteps('finetune(epochs=1)');
    const lr = setStepParam(s, 0, 'lr', 0.00012345).recipe!.steps[0].params.lr;
    expect(lr).toBe(0.000123);
    expect(setStepParam(s, 0, 'lr', 1).recipe!.steps[0].params.lr).toBe(0.1);
  });

  it('edits only the step it is given, even when two steps share a technique', () => {
    const s = withSteps('prune(fraction=0.5);finetune(epochs=1);prune(fraction=0.8)');
    const next = apply(s, (x) => setStepParam(x, 2, 'fraction', 0.9));
    expect(recipeTextOf(next.recipe)).toContain('prune(fraction=0.5);finetune(');
    expect(recipeTextOf(next.recipe)).toMatch(/;prune\(fraction=0\.9\)$/);
    expect(next.stepKeys).toEqual(s.stepKeys);
  });
});

describe('per-layer values', () => {
  it('sets a layer of its own, rounded and clamped, and removes it again', () => {
    const s = withSteps('prune-density(density=*:0.1)');
    const own = apply(s, (x) => setStepLayerValue(x, 0, 'density', 'conv1', 0.6604));
    expect(own.recipe.steps[0].params.density).toEqual({ '*': 0.1, conv1: 0.66 });
    const high = apply(own, (x) => setStepLayerValue(x, 0, 'density', 'fc1', 7));
    expect(high.recipe.steps[0].params.density).toEqual({ '*': 0.1, conv1: 0.66, fc1: 1 });
    const low = apply(high, (x) => setStepLayerValue(x, 0, 'density', 'fc1', 0));
    expect((low.recipe.steps[0].params.density as Record<string, number>).fc1).toBe(0.001);
    const back = apply(own, (x) => setStepLayerValue(x, 0, 'density', 'conv1', null));
    expect(back.recipe.steps[0].params.density).toEqual({ '*': 0.1 });
    expect(recipeTextOf(back.recipe)).toBe(
      'v=2&model=lenet5&seed=1&steps=prune-density(density=*:0.1)',
    );
  });

  it('removing the last entry puts back the declared default', () => {
    const s = withSteps('prune-density(density=conv9:0.5)');
    const next = apply(s, (x) => setStepLayerValue(x, 0, 'density', 'conv9', null));
    expect(next.recipe.steps[0].params.density).toEqual({ '*': 0.1 });
    const star = withSteps('prune-density(density=*:0.1)');
    expect(setStepLayerValue(star, 0, 'density', '*', null)).toEqual({});
  });

  it('reads a layer value as its own entry, else the default', () => {
    expect(layerValue({ '*': 0.1, conv1: 0.66 }, 'conv1')).toEqual({ value: 0.66, own: true });
    expect(layerValue({ '*': 0.1, conv1: 0.66 }, 'fc1')).toEqual({ value: 0.1, own: false });
    expect(layerValue({ conv1: 0.66 }, 'fc1')).toEqual({ value: undefined, own: false });
  });
});

describe('adding, removing and moving steps', () => {
  it('adds a step with its declared defaults and a new key', () => {
    const s = apply(state(), (x) => addStep(x, 'finetune'));
    expect(stepsText(s)).toBe('prune,finetune');
    expect(s.recipe.steps[1]).toEqual(normalizeStep('finetune', {}));
    expect(s.recipe.steps[1].params.epochs).toBe(2);
    expect(new Set(s.stepKeys).size).toBe(2);
    expect(addStep(s, 'nosuch')).toEqual({});
  });

  it('moves a step with its key and refuses moves past either end', () => {
    const s = withSteps('prune(fraction=0.5);finetune(epochs=1);index-bits(conv=8,dense=5)');
    const moved = apply(s, (x) => moveStep(x, 2, -1));
    expect(stepsText(moved)).toBe('prune,index-bits,finetune');
    expect(moved.stepKeys).toEqual([1, 3, 2]);
    expect(moveStep(s, 0, -1)).toEqual({});
    expect(moveStep(s, 2, 1)).toEqual({});
  });

  it('removes a step with its key, down to an empty recipe', () => {
    const s = withSteps('prune(fraction=0.5);finetune(epochs=1)');
    const one = apply(s, (x) => removeStep(x, 0));
    expect(stepsText(one)).toBe('finetune');
    expect(one.stepKeys).toEqual([2]);
    const none = apply(one, (x) => removeStep(x, 0));
    expect(none.recipe.steps).toEqual([]);
    expect(recipeTextOf(none.recipe)).toBe('v=2&model=lenet5&seed=1&steps=');
    expect(removeStep(none, 0)).toEqual({});
  });

  it('numbers steps as the engine does: skipped (identity) cards are not counted', () => {
    const s = withSteps('prune(fraction=0.5);finetune(epochs=1)');
    const withIdentity = apply(s, (x) => ({
      recipe: { ...x.recipe, steps: [normalizeStep('prune', { fraction: 0 }), ...x.recipe.steps] },
    }));
    expect(runnableIndex(withIdentity.recipe, 0)).toBeNull();
    expect(runnableIndex(withIdentity.recipe, 1)).toBe(0);
    expect(runnableIndex(withIdentity.recipe, 2)).toBe(1);
  });
});

describe('presets and models', () => {
  it('a preset replaces the steps, each card with a new key', () => {
    const s = withSteps('prune(fraction=0.5)');
    const steps = parseSteps('prune-density(density=*:0.7|conv1:1);finetune(epochs=4);redense');
    const next = apply(s, (x) => applyPreset(x, steps));
    expect(stepsText(next)).toBe('prune-density,finetune,redense');
    expect(next.stepKeys.some((k) => s.stepKeys.includes(k))).toBe(false);
  });

  it('switching model drops per-layer entries the new model lacks, once its layers are known', () => {
    const s = withSteps('prune-density(density=*:0.7|conv1:1|fc1:0.5);finetune(epochs=1)');
    const unknown = apply(s, (x) => setModel(x, 'lenet300'));
    expect(unknown.recipe.steps[0].params.density).toEqual({ '*': 0.7, conv1: 1, fc1: 0.5 });
    const known = apply(state({ ...s, models: { lenet300: LENET300 } }), (x) =>
      setModel(x, 'lenet300'),
    );
    expect(known.recipe.model).toBe('lenet300');
    expect(known.recipe.steps[0].params.density).toEqual({ '*': 0.7, fc1: 0.5 });
    expect(known.recipe.steps[1]).toBe(s.recipe.steps[1]);
  });

  it('a per-layer value with only unknown layers falls back to its declared default', () => {
    const s = state({
      ...withSteps('prune-density(density=conv1:0.5|conv2:0.2)'),
      models: { lenet300: LENET300 },
    });
    const next = apply(s, (x) => setModel(x, 'lenet300'));
    expect(next.recipe.steps[0].params.density).toEqual({ '*': 0.1 });
  });
});

/** LeNet-5's weighted layers (public/models/lenet5/model.json): conv1, conv2, fc1, fc2. */
const LENET5_LAYERS: ModelInfo = {
  model: 'lenet5',
  layers: [
    { name: 'conv1', className: 'Conv2D', outputShape: [24, 24, 20], weighted: true },
    { name: 'conv2', className: 'Conv2D', outputShape: [8, 8, 50], weighted: true },
    { name: 'fc1', className: 'Dense', outputShape: [500], weighted: true },
    { name: 'fc2', className: 'Dense', outputShape: [10], weighted: true },
  ],
};

describe('data sets', () => {
  // Expected values from the issue and the engine interface: MNIST ships trained lenet300 and
  // lenet5 only; a recipe without data= is mnist-10k, written with no data= in links.
  it('choosing a data set keeps model, seed and steps, and the link names it', () => {
    const s = withSteps('prune(fraction=0.9);finetune(epochs=1)');
    const next = apply(s, (x) => setDataSet(x, 'fashion-mnist'));
    expect(recipeTextOf(next.recipe)).toBe(
      'v=2&model=lenet5&data=fashion-mnist&seed=1&steps=prune(fraction=0.9);finetune(epochs=1,lr=0.0001,decay=1,optimizer=adam,batch=64,batches=0,dropout=0,l2=0,layers=all,augment=true)',
    );
    expect(next.recipe.steps).toBe(s.recipe.steps);
    expect(next.stepKeys).toBe(s.stepKeys);
    expect(next.dataNotice).toBeNull();
    const back = apply(next, (x) => setDataSet(x, 'mnist-10k'));
    expect(recipeTextOf(back.recipe)).toBe(recipeTextOf(s.recipe));
    expect(back.recipe).not.toHaveProperty('data');
  });

  it('the same or an unknown data set changes nothing', () => {
    const s = withSteps('prune(fraction=0.9)');
    expect(setDataSet(s, 'mnist-10k')).toEqual({});
    expect(setDataSet(s, 'cifar10')).toEqual({});
    expect(setDataSet(state(), 'mnist')).toEqual({});
  });

  it('a model without weights for the new set gives way to one with them, and the page says so', () => {
    const s = withSteps('prune-density(density=*:0.5|fc3:0.2)', 'nin');
    const next = apply(state({ ...s, models: { lenet5: LENET5_LAYERS } }), (x) =>
      setDataSet(x, 'mnist'),
    );
    expect(next.recipe.model).toBe('lenet5');
    expect(next.recipe.data).toBe('mnist');
    // Steps stay, fitted to lenet5's layers (it has no fc3).
    expect(next.recipe.steps.map((x) => x.params.density)).toEqual([{ '*': 0.5 }]);
    expect(next.dataNotice).toBe(
      'MNIST has no trained nin in this build, so the model is now lenet5.',
    );
    // A model picked by hand clears the note.
    expect(apply(next, (x) => setModel(x, 'lenet300')).dataNotice).toBeNull();
  });

  it('the model picker cannot choose a model without weights for the data set', () => {
    const mnist = apply(
      state(),
      (x) => setDataSet(x, 'mnist-10k'),
      (x) => setDataSet(x, 'mnist'),
    );
    expect(setModel(mnist, 'nin')).toEqual({});
    expect(setModel(mnist, 'squeezenet')).toEqual({});
    expect(apply(mnist, (x) => setModel(x, 'lenet300')).recipe.model).toBe('lenet300');
    // Imported models carry their own weights: any data set.
    expect(apply(mnist, (x) => setModel(x, 'user/mine/0123abcd')).recipe.model).toBe(
      'user/mine/0123abcd',
    );
    const legacy = withSteps('prune(fraction=0.5)');
    expect(apply(legacy, (x) => setModel(x, 'nin')).recipe.model).toBe('nin');
  });

  it("keeps each data set's download sizes as the engine reported them", () => {
    const one = apply(state(), (x) =>
      dataSizesLoaded(x, { data: 'mnist', testBytes: 1_000, trainBytes: 5_000 }),
    );
    const two = apply(one, (x) =>
      dataSizesLoaded(x, { data: 'fashion-mnist', testBytes: 2_000, trainBytes: 9_000 }),
    );
    expect(two.dataSizes).toEqual({
      mnist: { data: 'mnist', testBytes: 1_000, trainBytes: 5_000 },
      'fashion-mnist': { data: 'fashion-mnist', testBytes: 2_000, trainBytes: 9_000 },
    });
  });
});

describe('share state', () => {
  it('reads a good hash into editor steps with keys', () => {
    const initial = initialStateFromHash('#v=1&model=lenet300&seed=3&steps=prune(fraction=0.2)');
    expect(initial.linkError).toBeNull();
    expect(initial.recipe!.model).toBe('lenet300');
    expect(initial.stepKeys).toEqual([1]);
    const applied = apply(state(), (s) =>
      applyShareState(s, { recipe: initial.recipe!, ui: initial.ui! }),
    );
    expect(applied.linkError).toBeNull();
    expect(recipeTextOf(applied.recipe)).toBe(
      'v=1&model=lenet300&seed=3&steps=prune(fraction=0.2)',
    );
  });

  it('a link without steps opens with the quick pruning card', () => {
    const applied = apply(state(), (s) =>
      applyShareState(s, parseShareState('v=1&model=lenet300&steps=')),
    );
    expect(stepsText(applied)).toBe('prune');
    expect(restoreRecipe(applied, { model: 'lenet5', seed: 1, steps: [] }).recipe!.steps).toEqual(
      INITIAL_STATE.recipe.steps,
    );
  });

  it('falls back to defaults with a message for a bad hash', () => {
    const initial = initialStateFromHash('#v=1&model=lenet5&steps=prune-density(density=*:1.5)');
    expect(initial.recipe).toEqual(INITIAL_STATE.recipe);
    expect(initial.linkError).toMatch(
      /opened with its defaults: prune-density density for \* must be between 0\.001 and 1 \(got 1\.5\)/,
    );
  });

  it('the link leaves skipped cards out', () => {
    const s = apply(state(), (x) => addStep(x, 'finetune'));
    expect(shareText(s)).toBe(
      'v=2&model=lenet5&data=mnist&seed=1&steps=finetune(epochs=2,lr=0.0001,decay=1,optimizer=adam,batch=64,batches=0,dropout=0,l2=0,layers=all,augment=true)',
    );
  });

  it('an empty hash is the defaults, not an error', () => {
    expect(initialStateFromHash('').linkError).toBeNull();
  });

  it('backend choice is a UI change only', () => {
    const patch = setBackendChoice(state(), 'wasm');
    expect(patch).toEqual({ ui: { backend: 'wasm', hide: [] }, engineNotice: null });
    expect(setBackendChoice(state(patch), 'wasm')).toEqual({});
  });
});

describe('runs', () => {
  const progress: RunProgress = {
    stage: 'compressing',
    fraction: 0.4,
    step: 1,
    steps: 2,
    technique: 'finetune',
    epoch: 0,
    epochs: 1,
    batch: 7,
    batches: 20,
    loss: 0.3,
    accuracy: 0.91,
    etaMs: 1200,
  };

  it('appends and keeps at most MAX_RUNS', () => {
    const record = (runId: number) => ({ runId }) as RunRecord;
    const full = state({ runs: Array.from({ length: MAX_RUNS }, (_, i) => record(i)) });
    const patch = runFinished(full, record(MAX_RUNS));
    expect(patch.runs).toHaveLength(MAX_RUNS);
    expect(patch.runs!.at(-1)!.runId).toBe(MAX_RUNS);
    expect(patch.runStatus).toEqual({ phase: 'idle' });
  });

  it('keeps the newest progress of the current run only', () => {
    const running = apply(state(), (s) => runStarted(s, 4, 'text'));
    const moved = apply(running, (s) => runProgressed(s, 4, progress));
    expect(moved.runStatus).toEqual({
      phase: 'running',
      runId: 4,
      recipeText: 'text',
      progress,
    });
    expect(runProgressed(moved, 3, { stage: 'loading', fraction: 0 })).toEqual({});
  });

  it('a cancel keeps where the run was and leaves the results alone', () => {
    const runs = [{ runId: 1 } as RunRecord];
    const running = apply(
      state({ runs }),
      (s) => runStarted(s, 2, 'text'),
      (s) => runProgressed(s, 2, progress),
    );
    const patch = runCancelled(running, 2);
    expect(patch).toEqual({ runStatus: { phase: 'cancelled', recipeText: 'text', progress } });
    expect(runCancelled(running, 1)).toEqual({});
  });

  it('Cancel shows at once; progress that arrives meanwhile keeps it; the answer ends it', () => {
    const running = apply(state(), (s) => runStarted(s, 2, 'text'));
    const asked = apply(running, (s) => runCancelRequested(s, 2));
    expect(asked.runStatus).toEqual({
      phase: 'running',
      runId: 2,
      recipeText: 'text',
      progress: null,
      cancelling: true,
    });
    // Another run's cancel, or a second press, changes nothing.
    expect(runCancelRequested(running, 1)).toEqual({});
    expect(runCancelRequested(asked, 2)).toEqual({});
    const moved = apply(asked, (s) => runProgressed(s, 2, progress));
    expect(moved.runStatus).toMatchObject({ progress, cancelling: true });
    expect(apply(moved, (s) => runCancelled(s, 2)).runStatus).toEqual({
      phase: 'cancelled',
      recipeText: 'text',
      progress,
    });
  });

  it('a result that arrives after Cancel was pressed is kept, and the page says the cancel was late', () => {
    const record = { runId: 2 } as RunRecord;
    const asked = apply(
      state(),
      (s) => runStarted(s, 2, 'text'),
      (s) => runCancelRequested(s, 2),
    );
    const done = apply(asked, (s) => runFinished(s, record));
    expect(done.runs).toEqual([record]);
    expect(done.runStatus).toEqual({ phase: 'idle', cancelTooLate: true });
    // Without a cancel, a plain idle.
    const plain = apply(state(), (s) => runStarted(s, 2, 'text'));
    expect(runFinished(plain, record).runStatus).toEqual({ phase: 'idle' });
  });

  it('a failure names the recipe that failed and leaves the results alone', () => {
    const running = apply(state(), (s) => runStarted(s, 2, 'text'));
    const patch = runFailed(running, { kind: 'recipe', message: 'step 1 (prune-density): no' });
    expect(patch).toEqual({
      runStatus: {
        phase: 'error',
        kind: 'recipe',
        message: 'step 1 (prune-density): no',
        recipeText: 'text',
      },
    });
  });

  it('a lost backend replaced by the worker changes only the backend status', () => {
    const runs = [{ runId: 1 } as RunRecord];
    const running = apply(state({ runs }), (s) => runStarted(s, 2, 'text'));
    const status = {
      active: 'wasm',
      requested: 'webgl',
      skipped: [],
      lost: { backend: 'webgl', reason: 'its context was lost' },
    } as const;
    const after = apply(running, (s) => backendChanged(s, status));
    expect(after).toEqual({ ...running, backendStatus: status, backendError: null });
  });

  it('a restarted worker leaves a notice and nothing else; choosing a backend clears it', () => {
    const runs = [{ runId: 1 } as RunRecord];
    const before = state({ runs });
    const after = apply(before, (s) => engineRestarted(s, 'The compute worker stopped.'));
    expect(after).toEqual({ ...before, engineNotice: 'The compute worker stopped.' });
    expect(apply(after, (s) => setBackendChoice(s, 'cpu')).engineNotice).toBeNull();
  });

  it('a worker that is not started again says why, in place of the notice', () => {
    const before = state({ engineNotice: 'The compute worker stopped.' });
    const after = apply(before, (s) =>
      engineStopped(s, { kind: 'internal', message: 'It stopped 3 times.' }),
    );
    expect(after.engineNotice).toBeNull();
    expect(after.backendError).toBe('It stopped 3 times.');
    expect(after.runStatus).toEqual({
      phase: 'error',
      kind: 'internal',
      message: 'It stopped 3 times.',
    });
  });
});

describe('recipe versions on the page', () => {
  const OLD = 'v=1&model=lenet300&seed=3&steps=prune(fraction=0.2);prune(fraction=0.5)';
  const opened = apply(state(), (s) => applyShareState(s, parseShareState(OLD)));

  it('a version 1 link opens, and is shared again, as itself', () => {
    expect(recipeTextOf(opened.recipe)).toBe(OLD);
    expect(shareText(opened)).toBe(OLD);
  });

  it('every edit of it makes a new recipe, of version 2', () => {
    const edits: ((s: LabState) => Patch)[] = [
      (s) => setSeed(s, 4),
      (s) => setStepParam(s, 0, 'fraction', 0.3),
      (s) => addStep(s, 'huffman'),
      (s) => removeStep(s, 1),
      (s) => moveStep(s, 0, 1),
      (s) => setModel(s, 'lenet5'),
      (s) => applyPreset(s, parseSteps('prune(fraction=0.2);prune(fraction=0.5)')),
    ];
    for (const edit of edits) {
      const text = recipeTextOf(apply(opened, edit).recipe);
      expect(text.startsWith('v=2&'), text).toBe(true);
    }
  });

  it("a sweep over it measures its points as the link does (the link's version)", () => {
    const range = { stepIndex: 0, param: 'fraction', from: 0.2, to: 0.3, step: 0.1 };
    const points = planSweep(opened.recipe, range).recipes.map(recipeTextOf);
    expect(points[0]).toBe(OLD);
    expect(points[1]).toBe(OLD.replace('prune(fraction=0.2)', 'prune(fraction=0.3)'));
    // Over a recipe made now, version 2.
    const fresh = apply(
      opened,
      (s) => setSeed(s, 3 + 1),
      (s) => setSeed(s, 3),
    );
    expect(planSweep(fresh.recipe, range).recipes.map(recipeTextOf)[0]).toBe(
      OLD.replace('v=1&', 'v=2&'),
    );
  });

  it('a run restored from the history keeps its version', () => {
    const edited = apply(opened, (s) => setSeed(s, 4));
    expect(recipeTextOf(apply(edited, (s) => restoreRecipe(s, opened.recipe)).recipe)).toBe(OLD);
  });
});
