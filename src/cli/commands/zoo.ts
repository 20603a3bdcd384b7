/** `complab zoo`: every shipped model as trained, measured now. */
import type { Command } from 'commander';
import { SHIPPED_MODELS } from '../../engine/model/shipped.ts';
import { normalizeRecipe } from '../../engine/recipe/recipe.ts';
import { formatZooTable, type ZooRow } from '../format/zoo-table.ts';
import { addHelpExtras } from '../help.ts';
import { backendOption, jsonOption, quietOption, type SharedFlags } from '../options.ts';

type ZooFlags = Pick<SharedFlags, 'backend' | 'quiet' | 'json'>;

async function runZoo(flags: ZooFlags): Promise<void> {
  const [{ openLab }, { MODEL_PAPERS }] = await Promise.all([
    import('../open-lab.ts'),
    import('../../engine/model/catalog.ts'),
  ]);
  const lab = await openLab(flags.backend);
  try {
    const rows: ZooRow[] = [];
    for (const id of SHIPPED_MODELS) {
      if (!flags.quiet) process.stderr.write(`complab: evaluating ${id}\n`);
      const result = await lab.run(normalizeRecipe({ model: id, seed: 1, steps: [] }));
      rows.push({
        id,
        paper: MODEL_PAPERS[id],
        params: result.params,
        macs: result.macs,
        sizeBytes: result.sizeBytes,
        accuracy: result.accuracy,
        latencyMs: result.latencyMs,
      });
    }
    process.stdout.write(flags.json ? `${JSON.stringify(rows)}\n` : `${formatZooTable(rows)}\n`);
  } finally {
    await lab.dispose();
  }
}

export function addZooCommand(program: Command): Command {
  const command = program
    .command('zoo')
    .summary('every shipped model: paper, params, MACs, size, accuracy and latency now')
    .description(
      `Evaluates every shipped model as trained (${SHIPPED_MODELS.join(', ')}) on the 2,000 test ` +
        'digits and prints one row each: id, paper, params, macs, sizeBytes, accuracy and ' +
        'latencyMs (median time per batch of 64 digits, measured now on the chosen backend, as ' +
        'eval measures it).',
    )
    .addOption(backendOption)
    .addOption(quietOption)
    .addOption(jsonOption)
    .action(runZoo);
  return addHelpExtras(command, {
    examples: [
      { line: 'complab zoo', does: 'the table of shipped models' },
      { line: 'complab zoo --backend cpu --json --quiet', does: 'measured on cpu, as JSON' },
    ],
  });
}
