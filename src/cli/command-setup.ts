/** What every command shares: how it reports failures, and parsing one without running it. */
import { Command, CommanderError, type OutputConfiguration } from 'commander';
import { UsageError } from './errors.ts';
import { commanderLine } from './failure.ts';

/** Settings every command shares (commander copies them to the commands added after). */
export function configureForCli(command: Command, output?: OutputConfiguration): Command {
  return (
    command
      // Failures are thrown to main, which prints them as one line with its exit code.
      .exitOverride()
      .configureOutput({ ...output, outputError: () => undefined })
      .showSuggestionAfterError(true)
  );
}

/**
 * The flags `args` give the command `define` describes, without running it: for callers that
 * run a command as a function (tests, benchmarks). A commander error becomes a UsageError.
 */
export function parseFlags<Flags>(
  name: string,
  define: (command: Command) => Command,
  args: readonly string[],
): Flags {
  const command = define(configureForCli(new Command(name)));
  try {
    command.parse([...args], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) throw new UsageError(commanderLine(err, name));
    throw err;
  }
  return command.opts<Flags & Record<string, unknown>>();
}
