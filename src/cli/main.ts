/**
 * `complab`: the lab's engine, headless. Builds the program (program.ts; one module per command
 * under commands/), runs it and turns a failure into one line and an exit code (failure.ts).
 */
import { buildProgram } from './program.ts';
import { failureOf } from './failure.ts';

/** Runs the CLI and returns its exit code; every failure is one line on stderr. */
export async function main(args: string[]): Promise<number> {
  const program = buildProgram();
  const isCommand = (name?: string) => program.commands.some((c) => c.name() === name);
  // `complab help NAME` where NAME is no command: "unknown command", with commander's
  // suggestion, rather than the general help.
  const parsed = args[0] === 'help' && args[1] && !isCommand(args[1]) ? args.slice(1) : args;
  try {
    await program.parseAsync(parsed, { from: 'user' });
    return 0;
  } catch (err) {
    const failure = await failureOf(err, isCommand(parsed[0]) ? parsed[0] : undefined);
    if (failure.line !== null) process.stderr.write(`complab: ${failure.line}\n`);
    return failure.exitCode;
  }
}
