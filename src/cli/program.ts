/**
 * The `complab` program: every command registered, nothing run. main.ts runs it;
 * scripts/cli-docs.ts reads it to write the CLI reference. Loading it loads no tfjs: each
 * command imports the engine inside its action.
 */
import { Command, type OutputConfiguration } from 'commander';
import { configureForCli } from './command-setup.ts';
import { addCompareCommand } from './commands/compare.ts';
import { addEvalCommand } from './commands/eval.ts';
import { addExportCommand } from './commands/export.ts';
import { addPresetsCommand } from './commands/presets.ts';
import { addReproduceCommand } from './commands/reproduce.ts';
import { addSensitivityCommand } from './commands/sensitivity.ts';
import { addSweepCommand } from './commands/sweep.ts';
import { addZooCommand } from './commands/zoo.ts';

/** `output` replaces where help goes (tests capture it); by default stdout and stderr. */
export function buildProgram(output?: OutputConfiguration): Command {
  const program = configureForCli(new Command('complab'), output)
    .usage('<command> [options]')
    .description(
      "The lab's engine, headless: the same numbers the page shows for the same share link, " +
        'measured on a data set of this build (--data: mnist, fashion-mnist, mnist-10k; new ' +
        'experiments use mnist, a link keeps its own).',
    )
    .addHelpText('after', '\nDetails and examples of one command: complab help <command>');
  addEvalCommand(program);
  addCompareCommand(program);
  addSensitivityCommand(program);
  addReproduceCommand(program);
  addExportCommand(program);
  addPresetsCommand(program);
  addZooCommand(program);
  addSweepCommand(program);
  return program;
}
