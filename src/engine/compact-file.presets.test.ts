/**
 * Issue 16, point 3: every preset, expanded by the presets' own code and cut to a small
 * training budget (test/small-budget.ts), goes through the export check: the file is decoded
 * and evaluated, and must give the run's correct count and be exactly its reported size.
 * Presets for conv layers run on lenet5, the others on lenet300 (the faster of the two).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Lab } from './lab.ts';
import { useNodeBackend } from './node/backend.ts';
import { PRESETS } from './techniques/presets.ts';
import { publicAssets } from './test/fixtures.ts';
import { smallBudget } from './test/small-budget.ts';

const lab = new Lab({ read: publicAssets });
const CONV_PRESETS = new Set(['ssl', 'tucker2', 'force-tucker2']);

beforeAll(async () => {
  await useNodeBackend('wasm');
});

describe('every preset, with a small training budget, exports the file it reports', () => {
  it.each(PRESETS.map((p) => p.id))(
    '%s',
    async (id) => {
      const model = CONV_PRESETS.has(id) ? 'lenet5' : 'lenet300';
      const steps = (await lab.expandPreset(model, id)).map(smallBudget);
      const recipe = { model, seed: 1, steps };
      const result = await lab.run(recipe);
      const exported = await lab.exportCompact(recipe, { reported: result });
      expect(exported.bytes.length).toBe(result.sizeBytes);
      expect(exported.correct).toBe(result.correct);
    },
    300_000,
  );
});
