/** `complab presets`: the papers' presets and the recipes they expand to. */
import type { Command } from 'commander';
import { DEFAULT_DATA_SET } from '../../engine/data/datasets.ts';
import { normalizeRecipe, withDataSet } from '../../engine/recipe/recipe.ts';
import { formatRecipe } from '../../engine/recipe/share.ts';
import { PRESETS } from '../../engine/techniques/presets.ts';
import { addHelpExtras } from '../help.ts';
import { checkModel } from '../model-arg.ts';
import { dataOption, jsonOption, modelOption, type SharedFlags } from '../options.ts';

type PresetsFlags = Pick<SharedFlags, 'model' | 'data' | 'json'>;

async function runPresets(flags: PresetsFlags): Promise<void> {
  const { model } = flags;
  const data = flags.data ?? DEFAULT_DATA_SET;
  if (model !== undefined) checkModel(model, false);
  const lab = model ? await (await import('../open-lab.ts')).openLab('wasm') : null;
  try {
    const rows = await Promise.all(
      PRESETS.map(async (p) => ({
        id: p.id,
        label: p.label,
        paper: p.paper,
        description: p.description,
        recipe:
          lab && model
            ? formatRecipe(
                normalizeRecipe(
                  withDataSet(
                    { model, seed: 1, steps: await lab.expandPreset(model, p.id, data) },
                    data,
                  ),
                ),
              )
            : undefined,
      })),
    );
    process.stdout.write(
      flags.json
        ? `${JSON.stringify(rows)}\n`
        : `${rows.map((r) => `${r.id}: ${r.label} (${r.paper})\n  ${r.description}${r.recipe ? `\n  ${r.recipe}` : ''}`).join('\n')}\n`,
    );
  } finally {
    await lab?.dispose();
  }
}

export function addPresetsCommand(program: Command): Command {
  const command = program
    .command('presets')
    .summary('list the presets and the recipes they expand to')
    .description(
      "Lists the papers' presets and, for a model, the recipe each expands to on the data set " +
        '--data names (the steps are the same on every data set; the recipe names it).',
    )
    .addOption(modelOption)
    .addOption(dataOption)
    .addOption(jsonOption)
    .action(runPresets);
  return addHelpExtras(command, {
    examples: [
      { line: 'complab presets', does: 'every preset, its paper and what it does' },
      {
        line: 'complab presets --model lenet5 --json',
        does: "each preset's recipe for lenet5, as JSON",
      },
    ],
  });
}
