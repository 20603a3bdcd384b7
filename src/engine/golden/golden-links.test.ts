/**
 * Links keep their numbers: the golden table's fast entries (no or little training, about a
 * minute in all on the 2-core machine) run here, as `complab eval --recipe <link>` runs them,
 * and must give the correct count, digit count and stored bytes recorded when they were
 * measured. `npm run test:golden` runs every entry. The expected values are regression values
 * recorded earlier (each entry says when, with which command and commit), not computed here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../lab.ts';
import { SHIPPED_MODELS } from '../model/catalog.ts';
import { useNodeBackend } from '../node/backend.ts';
import { RecipeError } from '../recipe/errors.ts';
import { normalizeRecipe } from '../recipe/recipe.ts';
import { formatRecipe } from '../recipe/share.ts';
import { PRESETS } from '../techniques/presets.ts';
import { publicAssets } from '../test/fixtures.ts';
import { TOURS, tourStepRecipe } from '../tours.ts';
import { measureLink, readGoldenTable, shardOf } from './golden-links.ts';

const table = readGoldenTable();
const fast = table.entries.filter((e) => e.fast && e.expected !== null);

/** The time budget of the fast entries, as measured when they were recorded (loaded machine). */
const FAST_BUDGET_MS = 60_000;

describe('the golden table', () => {
  let lab: Lab;
  beforeAll(async () => {
    await useNodeBackend('wasm');
    lab = new Lab({ read: publicAssets });
  });
  afterAll(async () => {
    await lab.dispose();
  });

  it('holds every preset on every shipped model and every tour step', async () => {
    const links = new Set(table.entries.map((e) => e.link));
    const missing: string[] = [];
    for (const model of SHIPPED_MODELS) {
      for (const preset of PRESETS) {
        let steps;
        try {
          steps = await lab.expandPreset(model, preset.id);
        } catch (err) {
          if (err instanceof RecipeError) continue; // svd on a network without dense layers
          throw err;
        }
        const link = formatRecipe(normalizeRecipe({ model, seed: 1, steps }));
        if (!links.has(link)) missing.push(`${preset.id} on ${model}`);
      }
    }
    for (const tour of TOURS) {
      for (const [k, step] of tour.steps.entries()) {
        if (!links.has(formatRecipe(tourStepRecipe(step)))) missing.push(`${tour.id} ${k + 1}`);
      }
    }
    // A preset whose expansion changes is a new link: measure it (scripts/golden.ts).
    expect(missing).toEqual([]);
  }, 60_000);

  it('marks as fast only entries measured within the budget', () => {
    expect(fast.length).toBeGreaterThanOrEqual(5);
    const total = fast.reduce((sum, e) => sum + (e.measured?.elapsedMs ?? Infinity), 0);
    expect(total).toBeLessThanOrEqual(FAST_BUDGET_MS);
  });

  it('shards cover every entry once', () => {
    const items = Array.from({ length: 11 }, (_, k) => k);
    const shards = [1, 2, 3].map((i) => shardOf(items, i, 3));
    expect(shards.flat().sort((a, b) => a - b)).toEqual(items);
    expect(() => shardOf(items, 4, 3)).toThrow(/at most n/);
  });

  it.each(fast.map((e) => [e.link, e] as const))(
    '%s gives its recorded numbers',
    async (_link, entry) => {
      expect(await measureLink(lab, entry.link)).toEqual(entry.expected);
    },
    120_000,
  );
});
