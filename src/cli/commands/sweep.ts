/** `complab sweep`: a grid of recipes on every core, one JSON line each. */
import { Option, type Command } from 'commander';
import { availableParallelism } from 'node:os';
import { DEFAULT_DATA_SET } from '../../engine/data/datasets.ts';
import { isShippedModel, SHIPPED_MODELS } from '../../engine/model/shipped.ts';
import { MAX_GRID_POINTS, parseGrid, parseShard, type Shard } from '../../engine/recipe/grid.ts';
import { parseFlags } from '../command-setup.ts';
import { UsageError } from '../errors.ts';
import { addHelpExtras } from '../help.ts';
import {
  backendOption,
  cacheOption,
  dataOption,
  modelOption,
  quietOption,
  seedOption,
  valueOf,
  type SharedFlags,
} from '../options.ts';
import type { SweepOptions } from '../sweep/runner.ts';

interface SweepFlags extends SharedFlags {
  readonly grid?: string;
  readonly out?: string;
  readonly jobs: number;
  readonly shard?: Shard;
}

function jobsOf(value: string): number {
  const jobs = Number(value);
  if (!/^\d{1,3}$/.test(value) || jobs < 1 || jobs > 64) {
    throw new UsageError(`--jobs must be a whole number from 1 to 64 (got "${value}")`);
  }
  return jobs;
}

function shardOf(value: string): Shard {
  try {
    return parseShard(value);
  } catch (err) {
    throw new UsageError(`--shard: ${(err as Error).message}`);
  }
}

const gridOption = new Option(
  '--grid <steps>',
  `recipe steps where number parameters may be ranges from..to:step (to included when it lands on the grid); several ranges make their product, the first outermost. E.g. 'prune(fraction=0.5..0.99:0.01)' (50 runs) or 'finetune(epochs=1);prune(fraction=0.5..0.9:0.1)'. At most ${MAX_GRID_POINTS} points.`,
).argParser(valueOf('--grid'));

const outOption = new Option(
  '--out <file>',
  'the JSONL file (written beside it as FILE.tmp, renamed when every line is in); default: stdout',
).argParser(valueOf('--out'));

const jobsOption = new Option('--jobs <n>', 'worker threads, each with its own engine')
  .default(availableParallelism(), 'the cores available')
  .argParser(jobsOf);

const shardOption = new Option(
  '--shard <i/n>',
  'run only shard i of n (i counted from 0: 0/4, 1/4, 2/4, 3/4): every n-th point from i, so n tasks of a batch scheduler cover the grid exactly once',
).argParser(shardOf);

function defineSweep(command: Command): Command {
  command
    .summary('run a grid of recipes (ranges from..to:step) on every core, one JSON line each')
    .description(
      'Runs every recipe of a grid and writes one JSON line per run: what complab eval --json ' +
        'prints for that recipe (its data set, accuracy and paired comparison with the baseline ' +
        'included), plus "sweep": {index, size, shard, grid, axes: [{step, ' +
        'technique, param, value}]}. Lines come in grid order.',
    )
    .addOption(modelOption)
    .addOption(dataOption)
    .addOption(gridOption)
    .addOption(outOption)
    .addOption(jobsOption)
    .addOption(shardOption)
    .addOption(seedOption)
    .addOption(cacheOption)
    .addOption(backendOption)
    .addOption(quietOption);
  return addHelpExtras(command, {
    examples: [
      {
        line: "complab sweep --model lenet300 --grid 'prune(fraction=0.5..0.99:0.01)' --out runs.jsonl",
        does: '50 pruning fractions on every core, into runs.jsonl',
      },
      {
        line: "complab sweep --model lenet5 --grid 'finetune(epochs=1);prune(fraction=0.5..0.9:0.1)' --shard 0/4 --cache shared-cache",
        does: 'the first of 4 batch-scheduler tasks, sharing the fine-tuned prefix',
      },
    ],
  });
}

function sweepOptionsOf(flags: SweepFlags): SweepOptions {
  const { model } = flags;
  if (model === undefined || !isShippedModel(model)) {
    throw new UsageError(`sweep needs a shipped model: --model ${SHIPPED_MODELS.join(' | ')}`);
  }
  if (flags.grid === undefined) {
    throw new UsageError(`name the grid with --grid, e.g. --grid 'prune(fraction=0.5..0.99:0.01)'`);
  }
  return {
    model,
    data: flags.data ?? DEFAULT_DATA_SET,
    seed: flags.seed ?? 1,
    // A malformed grid is the grid's own RecipeError (exit 1), naming the range at fault.
    grid: parseGrid(flags.grid),
    gridText: flags.grid,
    shard: flags.shard ?? null,
    jobs: flags.jobs,
    out: flags.out,
    cache: flags.cache,
    backend: flags.backend,
    quiet: flags.quiet === true,
  };
}

async function runSweepFlags(flags: SweepFlags, signal?: AbortSignal): Promise<number> {
  const options = sweepOptionsOf(flags);
  // The worker pool and the engine load here, not with the program.
  const { runSweep } = await import('../sweep/runner.ts');
  return runSweep(options, signal);
}

/**
 * `complab sweep ARGS` as a function. Ctrl-C (SIGINT) or `signal` cancels it: the runs in
 * flight stop within one batch or chunk, no partial output file is left, and it throws
 * RunCancelledError.
 */
export async function sweepCommand(args: readonly string[], signal?: AbortSignal): Promise<number> {
  return runSweepFlags(parseFlags<SweepFlags>('sweep', defineSweep, args), signal);
}

export function addSweepCommand(program: Command): Command {
  return defineSweep(program.command('sweep')).action(async (flags: SweepFlags) => {
    await runSweepFlags(flags);
  });
}
