/**
 * How a failed command ends: one line on stderr (never a stack trace unless COMPLAB_DEBUG is
 * set) and an exit code: 2 for a mistake in the call, 1 for input the engine refuses or a bug,
 * 130 for a cancelled run.
 */
import { CommanderError } from 'commander';
import { UsageError } from './errors.ts';

export interface Failure {
  readonly exitCode: number;
  /** What to print after "complab: "; null when commander already printed (help). */
  readonly line: string | null;
}

/**
 * Commander's error as one line in the CLI's own style ("name" in double quotes, the
 * suggestion on the same line). `command`: the command that was called, if it exists.
 */
export function commanderLine(err: CommanderError, command?: string): string {
  const [first, ...more] = err.message.replace(/^error: /, '').split('\n');
  const line = [first, ...more].join(' ').replace(/'([^']*)'/g, '"$1"');
  const suggested = more.length > 0;
  switch (err.code) {
    case 'commander.optionMissingArgument': {
      const flag = /"(-[^ "]+)/.exec(line)?.[1];
      return flag ? `${flag} needs a value` : line;
    }
    case 'commander.unknownCommand':
      return suggested ? line : `${line} (try: complab help)`;
    case 'commander.unknownOption':
    case 'commander.excessArguments':
    case 'commander.missingArgument':
      return suggested || !command ? line : `${line} (try: complab help ${command})`;
    default:
      return line;
  }
}

/** Errors that say what is wrong with the input (a recipe, a model file), not a bug. */
async function isInputError(err: unknown): Promise<boolean> {
  const light = await Promise.all([
    import('../engine/recipe/errors.ts').then((m) => m.RecipeError),
    import('../engine/model/errors.ts').then((m) => m.ModelLoadError),
    import('../engine/assets.ts').then((m) => m.AssetError),
    import('../engine/encode/weights-blob.ts').then((m) => m.WeightsFormatError),
    import('../engine/compare/compared-run.ts').then((m) => m.CompareError),
  ]);
  if (light.some((type) => err instanceof type)) return true;
  // These modules load tfjs; an error of theirs means they are loaded already.
  const exportErrors = await Promise.all([
    import('../engine/encode/layers-model-export.ts').then((m) => m.LayersExportError),
    import('../engine/encode/verified-export.ts').then((m) => m.CompactExportError),
  ]);
  return exportErrors.some((type) => err instanceof type);
}

export async function failureOf(err: unknown, command?: string): Promise<Failure> {
  if (err instanceof CommanderError) {
    // Help asked for (exit 0) or shown because no command was named (a usage error).
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help') {
      return { exitCode: err.exitCode === 0 ? 0 : 2, line: null };
    }
    return { exitCode: 2, line: commanderLine(err, command) };
  }
  if (err instanceof UsageError) return { exitCode: 2, line: err.message };
  const { RunCancelledError } = await import('../engine/cancel.ts');
  // As a shell reports a command ended by Ctrl-C.
  if (err instanceof RunCancelledError) return { exitCode: 130, line: 'cancelled' };
  if (await isInputError(err)) return { exitCode: 1, line: (err as Error).message };
  const detail = process.env.COMPLAB_DEBUG
    ? (err as Error).stack
    : (err as Error).message?.split('\n')[0];
  return {
    exitCode: 1,
    line: `unexpected error: ${detail} (set COMPLAB_DEBUG=1 for details)`,
  };
}
