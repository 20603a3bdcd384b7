/**
 * What a command's help shows after its options: worked examples and notes. They are kept
 * beside the command (not only as help text) so scripts/cli-docs.ts writes the same ones.
 */
import type { Command } from 'commander';

export interface Example {
  /** The command line, starting with `complab`. */
  readonly line: string;
  /** What it does, one short sentence. */
  readonly does: string;
}

export interface HelpExtras {
  readonly examples: readonly Example[];
  /** Text after the examples (e.g. the technique list), as plain lines. */
  readonly notes?: string;
}

const extrasByCommand = new WeakMap<Command, HelpExtras>();

export function addHelpExtras(command: Command, extras: HelpExtras): Command {
  extrasByCommand.set(command, extras);
  const examples = extras.examples.map((e) => `  # ${e.does}\n  $ ${e.line}`).join('\n');
  return command.addHelpText(
    'after',
    `\nExamples:\n${examples}${extras.notes ? `\n\n${extras.notes}` : ''}`,
  );
}

export function helpExtrasOf(command: Command): HelpExtras {
  return extrasByCommand.get(command) ?? { examples: [] };
}
