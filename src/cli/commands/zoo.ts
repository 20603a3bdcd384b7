/** `complab zoo`: every shipped model as trained, measured now. */
import type { Command } from 'commander';
import { dataSetInfo, DEFAULT_DATA_SET } from '../../engine/data/datasets.ts';
import { SHIPPED_MODELS } from '../../engine/model/shipped.ts';
import { normalizeRecipe, withDataSet } from '../../engine/recipe/recipe.ts';
import { formatZooTable, type ZooRow } from '../format/zoo-table.ts';
import { addHelpExtras } from '../help.ts';
import {
  backendOption,
  dataOption,
  jsonOption,
  quietOption,
  type SharedFlags,
} from '../options.ts';

type ZooFlags = Pick<SharedFlags, 'backend' | 'data' | 'quiet' | 'json'>;

async function runZoo(flags: ZooFlags): Promise<void> {
  const data = flags.data ?? DEFAULT_DATA_SET;
  const info = dataSetInfo(data);
  const [{ openLab }, { MODEL_PAPERS, hasShippedWeights }] = await Promise.all([
    import('../open-lab.ts'),
    import('../../engine/model/catalog.ts'),
  ]);
  const lab = await openLab(flags.backend);
  try {
    const rows: ZooRow[] = [];
    // Only the models this build has trained on the data set; the others are named below.
    const trained = SHIPPED_MODELS.filter((id) => hasShippedWeights(id, data));
    const untrained = SHIPPED_MODELS.filter((id) => !hasShippedWeights(id, data));
    for (const id of trained) {
      if (!flags.quiet) process.stderr.write(`complab: evaluating ${id} on ${data}\n`);
      const result = await lab.run(
        normalizeRecipe(withDataSet({ model: id, seed: 1, steps: [] }, data)),
      );
      rows.push({
        id,
        data,
        paper: MODEL_PAPERS[id],
        params: result.params,
        macs: result.macs,
        sizeBytes: result.sizeBytes,
        accuracy: result.accuracy,
        latencyMs: result.latencyMs,
      });
    }
    const test = `${info.splits.test.count.toLocaleString('en-US')} test images`;
    const text = [
      `${info.id} (${info.name}), ${test}`,
      formatZooTable(rows),
      ...(untrained.length
        ? [`not trained on ${data} in this build: ${untrained.join(', ')}`]
        : []),
    ].join('\n');
    process.stdout.write(flags.json ? `${JSON.stringify(rows)}\n` : `${text}\n`);
  } finally {
    await lab.dispose();
  }
}

export function addZooCommand(program: Command): Command {
  const command = program
    .command('zoo')
    .summary('every shipped model: paper, params, MACs, size, accuracy and latency now')
    .description(
      `Evaluates every shipped model (${SHIPPED_MODELS.join(', ')}) trained on the data set ` +
        '--data names (default mnist; models this build has not trained on it are named after ' +
        'the table, left out of --json) on its test images and prints one row each: id, data, ' +
        'paper, params, macs, sizeBytes, accuracy and ' +
        'latencyMs (median time per batch of 64 digits, measured now on the chosen backend, as ' +
        'eval measures it).',
    )
    .addOption(dataOption)
    .addOption(backendOption)
    .addOption(quietOption)
    .addOption(jsonOption)
    .action(runZoo);
  return addHelpExtras(command, {
    examples: [
      { line: 'complab zoo', does: 'the table of models trained on MNIST' },
      {
        line: 'complab zoo --data mnist-10k',
        does: 'every model trained on the 8,000 digits of mnist-10k, on its 2,000 test digits',
      },
      { line: 'complab zoo --backend cpu --json --quiet', does: 'measured on cpu, as JSON' },
    ],
  });
}
