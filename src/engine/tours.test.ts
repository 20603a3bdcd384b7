import { beforeAll, describe, expect, it } from 'vitest';
import { Lab } from './lab.ts';
import { useNodeBackend } from './node/backend.ts';
import { RecipeError } from './recipe/errors.ts';
import { formatSteps, type RecipeStep } from './recipe/recipe.ts';
import {
  DEFAULT_UI,
  formatShareState,
  parseShareState,
  tourStepLink,
  tryParseShareState,
} from './recipe/share.ts';
import { findTechniqueSpec } from './techniques/catalog.ts';
import { publicAssets } from './test/fixtures.ts';
import { getTour, TOURS, tourStepRecipe } from './tours.ts';

const lab = new Lab({ read: publicAssets });

beforeAll(async () => {
  await useNodeBackend('wasm');
});

const text = (steps: readonly RecipeStep[]) => formatSteps(steps);

describe('guided tours', () => {
  it('every step names existing techniques and parameters, and its link round-trips', () => {
    for (const tour of TOURS) {
      expect(tour.steps.length).toBeGreaterThan(1);
      for (const [i, step] of tour.steps.entries()) {
        const recipe = tourStepRecipe(step);
        for (const s of recipe.steps) {
          const spec = findTechniqueSpec(s.technique);
          expect(spec, `${tour.id} step ${i + 1}: ${s.technique}`).toBeDefined();
          for (const name of Object.keys(s.params)) {
            expect(spec!.params.map((p) => p.name)).toContain(name);
          }
        }
        expect(step.explanation.length).toBeGreaterThan(0);
        expect(step.highlight.length).toBeGreaterThan(0);
        // The step's own link carries only tour= and step=; the recipe comes from the tour.
        const link = tourStepLink(DEFAULT_UI, tour.id, i + 1);
        expect(link).toBe(`v=1&tour=${tour.id}&step=${i + 1}`);
        const state = parseShareState(link);
        expect(state.recipe).toEqual(recipe);
        expect(state.ui).toEqual({ ...DEFAULT_UI, tour: tour.id, tourStep: i + 1 });
        // The page then writes the whole recipe into the link; that reads back the same.
        const full = formatShareState(state);
        expect(full).toContain(`&tour=${tour.id}&step=${i + 1}`);
        expect(parseShareState(full)).toEqual(state);
      }
    }
  });

  it("Deep Compression's steps are the deep-compression preset for lenet300, cut after each stage", async () => {
    const preset = await lab.expandPreset('lenet300', 'deep-compression');
    // The preset: iterative-prune, finetune, index-bits | kmeans, finetune | huffman.
    expect(preset.map((s) => s.technique)).toEqual([
      'iterative-prune',
      'finetune',
      'index-bits',
      'kmeans',
      'finetune',
      'huffman',
    ]);
    const steps = getTour('deep-compression').steps.map((s) => tourStepRecipe(s));
    expect(steps.map((r) => r.model)).toEqual(['lenet300', 'lenet300', 'lenet300']);
    expect(text(steps[0].steps)).toBe(text(preset.slice(0, 3)));
    expect(text(steps[1].steps)).toBe(text(preset.slice(0, 5)));
    expect(text(steps[2].steps)).toBe(text(preset));
  });

  it("XNOR-Net's steps: float, the binaryconnect preset, alpha per filter, the xnor preset", async () => {
    const [float, binaryConnect, alpha, xnor] = getTour('xnor-net').steps.map((s) =>
      tourStepRecipe(s),
    );
    expect(float.steps).toEqual([]);
    expect(text(binaryConnect.steps)).toBe(text(await lab.expandPreset('lenet5', 'binaryconnect')));
    expect(text(xnor.steps)).toBe(text(await lab.expandPreset('lenet5', 'xnor')));
    // Step 3 differs from step 4 in the inputs only: the same layers binary, the same training.
    const [bwn] = alpha.steps;
    const [x] = xnor.steps;
    expect(bwn.technique).toBe('binaryconnect');
    expect(bwn.params.scale).toBe('filter');
    for (const name of ['keepFirst', 'keepLast', 'epochs', 'lr', 'decay', 'augment', 'targets']) {
      expect(bwn.params[name], name).toEqual(x.params[name]);
    }
  });

  it('a link to an unknown tour, a step out of range or a step without a tour says so', () => {
    const cases: [string, string][] = [
      ['tour=nonsense', 'there is no tour "nonsense" (known: deep-compression, xnor-net)'],
      ['tour=xnor-net&step=5', 'the tour "xnor-net" has steps 1 to 4 (got 5)'],
      ['tour=deep-compression&step=0', 'the tour "deep-compression" has steps 1 to 3 (got 0)'],
      ['tour=xnor-net&step=two', 'step must be a tour step number (got "two")'],
      ['step=2', 'the link has a tour step but no tour (add tour=<id>)'],
    ];
    for (const [link, message] of cases) {
      expect(() => parseShareState(link), link).toThrow(RecipeError);
      const parsed = tryParseShareState(link);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.error).toBe(message);
      // The defaults, not a half-read tour.
      expect(parsed.state.ui.tour).toBeUndefined();
    }
  });

  it("a tour link with a recipe of its own keeps that recipe, and the step's settings carry hide", () => {
    const state = parseShareState('model=lenet5&steps=prune(fraction=0.5)&tour=deep-compression');
    expect(state.recipe.model).toBe('lenet5');
    expect(state.recipe.steps.map((s) => s.technique)).toEqual(['prune']);
    expect(state.ui.tourStep).toBe(1);
    const link = tourStepLink({ backend: 'wasm', hide: ['model', 'seed'] }, 'xnor-net', 3);
    expect(link).toBe('v=1&backend=wasm&hide=model,seed&tour=xnor-net&step=3');
    expect(parseShareState(link).ui).toEqual({
      backend: 'wasm',
      hide: ['model', 'seed'],
      tour: 'xnor-net',
      tourStep: 3,
    });
  });
});
