/**
 * `npm test`: everything, in the order that fails fastest. The checks that read the source
 * (type check, lint, format, import cycles) and the build the browser tests serve run side by
 * side; then the docs build, the engine's unit tests in Node (Vitest, two forks) and the
 * end-to-end specs in headless Chromium (Playwright, one page at a time), one after another.
 * The first failure stops what runs beside it and ends npm test.
 */
import { spawn } from 'node:child_process';
import { ensureChromium } from './find-chromium.ts';

interface Command {
  readonly title: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

/** Commands run one after another. */
type Lane = readonly Command[];

interface Outcome {
  readonly title: string;
  readonly code: number | string | null;
  readonly ms: number;
}

const seconds = (ms: number) => (ms / 1000).toFixed(0);
const lineOf = ({ command, args }: Command) => `${command} ${args.join(' ')}`;

const children = new Set<ReturnType<typeof spawn>>();
let stopping = false;

/**
 * Ends every command still running, with what it started: each runs in a process group of its
 * own (npx, Vitest's forks, Chromium), so the group is what gets the signal.
 */
function stopAll(signal: NodeJS.Signals = 'SIGTERM'): void {
  stopping = true;
  for (const child of children) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      child.kill(signal);
    }
  }
}

// The commands' own process groups do not get the terminal's Ctrl-C: pass it on.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    stopAll(signal);
    process.exit(130);
  });
}

/** Runs one command; its output goes to `write`. */
function run(command: Command, write: (text: string) => void): Promise<Outcome> {
  const started = Date.now();
  write(`\n=== ${command.title}: ${lineOf(command)}\n`);
  const child = spawn(command.command, command.args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...command.env },
    detached: true,
  });
  children.add(child);
  child.stdout.on('data', (chunk: Buffer) => write(chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => write(chunk.toString()));
  return new Promise((resolve) => {
    const done = (code: number | string | null) => {
      children.delete(child);
      const ms = Date.now() - started;
      if (code === 0) write(`=== ${command.title} passed in ${seconds(ms)} s\n`);
      resolve({ title: command.title, code, ms });
    };
    child.on('error', (err) => {
      write(`${err.message}\n`);
      done(1);
    });
    child.on('close', (code, signal) => done(code ?? signal));
  });
}

/** Runs a lane's commands in order, up to the first failure; returns that failure or null. */
async function runLane(lane: Lane, write: (text: string) => void): Promise<Outcome | null> {
  for (const command of lane) {
    if (stopping) return null;
    const outcome = await run(command, write);
    if (outcome.code !== 0) return outcome;
  }
  return null;
}

/**
 * Runs the lanes at once. Output keeps the lanes' order: the first lane prints as it goes, the
 * next one's output (held until then) follows when the first ends, and so on, so two outputs
 * never interleave. The first failure stops everything still running and ends `npm test` with
 * its exit code.
 */
async function together(lanes: readonly Lane[]): Promise<void> {
  const held = lanes.map(() => '');
  const ended = lanes.map(() => false);
  let printing = 0;
  const writer = (i: number) => (text: string) => {
    if (i === printing) process.stdout.write(text);
    else held[i] += text;
  };
  const next = () => {
    while (printing < lanes.length && ended[printing]) {
      printing++;
      if (printing < lanes.length) process.stdout.write(held[printing]);
    }
  };
  const failures: Outcome[] = [];
  await Promise.all(
    lanes.map(async (lane, i) => {
      const failure = await runLane(lane, writer(i));
      if (failure && !stopping) {
        failures.push(failure);
        stopAll();
      }
      ended[i] = true;
      next();
    }),
  );
  const [failure] = failures;
  if (failure) {
    console.error(
      `\n${failure.title} failed after ${seconds(failure.ms)} s (exit ${failure.code ?? 1}).`,
    );
    process.exit(typeof failure.code === 'number' && failure.code !== 0 ? failure.code : 1);
  }
}

const command = (
  title: string,
  name: string,
  args: string[],
  env?: NodeJS.ProcessEnv,
): Command => ({ title, command: name, args, env });

let chromium: string;
try {
  chromium = ensureChromium();
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}

const started = Date.now();
// Mostly one thread each: two cores take them in about half the time.
await together([
  [command('type check', 'npx', ['tsc', '--noEmit', '-p', '.'])],
  [command('lint', 'npx', ['eslint', '.'])],
  [command('format', 'npx', ['prettier', '--check', '.'])],
  [command('import cycles', 'npm', ['run', '--silent', 'lint:cycles'])],
  // The app the browser tests serve (playwright.config.ts skips its own build on E2E_BUILT).
  [command('build', 'npx', ['vite', 'build', '--logLevel', 'warn'])],
]);
// The docs build comes after the app's (vite build empties dist/, where the docs site is built
// beside it); then the unit tests and the browser tests, one after the other: run side by side
// (tried 2026-12-07) the unit tests slowed three-fold and two browser tests timed out waiting for
// their page, which computes on one core and needs it.
await together([
  [
    command('docs', 'npx', ['tsx', 'scripts/docs.ts', 'check']),
    command('unit tests', 'npx', ['vitest', 'run']),
    command('browser tests', 'npx', ['playwright', 'test'], {
      CHROMIUM_PATH: chromium,
      E2E_BUILT: '1',
    }),
  ],
]);
console.log(`\nnpm test passed in ${seconds(Date.now() - started)} s`);
