/**
 * `npm test`: everything, in the order that fails fastest. The checks that read the source
 * (type check, lint, format) and the build the browser tests serve run side by side, each
 * printing its output when it ends; then the engine's unit tests in Node (Vitest), then the
 * end-to-end specs in headless Chromium (Playwright), each using both cores on its own.
 */
import { spawn, spawnSync } from 'node:child_process';
import { ensureChromium } from './find-chromium.ts';

type Command = [title: string, command: string, args: string[]];

function fail(title: string, started: number, code: number | string | null): never {
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  console.error(`\n${title} failed after ${seconds} s (exit ${code ?? 1}).`);
  process.exit(typeof code === 'number' && code !== 0 ? code : 1);
}

function step(title: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): void {
  console.log(`\n=== ${title}: ${command} ${args.join(' ')}`);
  const started = Date.now();
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.status !== 0) fail(title, started, result.status ?? result.signal);
  console.log(`=== ${title} passed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/**
 * Runs the commands at once (each is mostly one thread; two cores take them in half the time)
 * and prints each one's output, in the given order, as soon as it and those before it are done.
 * Stops with the first failure in that order.
 */
async function together(commands: Command[]): Promise<void> {
  const started = Date.now();
  const runs = commands.map(([title, command, args]) => {
    let output = '';
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const done = new Promise<{ code: number | string | null; ms: number }>((resolve) => {
      child.on('error', (err) => {
        output += `${err.message}\n`;
        resolve({ code: 1, ms: Date.now() - started });
      });
      child.on('close', (code, signal) =>
        resolve({ code: code ?? signal, ms: Date.now() - started }),
      );
    });
    return { title, line: `${command} ${args.join(' ')}`, child, done, output: () => output };
  });
  for (const run of runs) {
    const { code, ms } = await run.done;
    console.log(`\n=== ${run.title}: ${run.line}`);
    process.stdout.write(run.output());
    if (code !== 0) {
      for (const other of runs) if (other.child.exitCode === null) other.child.kill();
      fail(run.title, started, code);
    }
    console.log(`=== ${run.title} passed in ${(ms / 1000).toFixed(0)} s`);
  }
}

let chromium: string;
try {
  chromium = ensureChromium();
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}

await together([
  ['type check', 'npx', ['tsc', '--noEmit', '-p', '.']],
  ['lint', 'npx', ['eslint', '.']],
  ['format', 'npx', ['prettier', '--check', '.']],
  ['import cycles', 'npm', ['run', '--silent', 'lint:cycles']],
  // The app the browser tests serve (playwright.config.ts skips its own build on E2E_BUILT).
  ['build', 'npx', ['vite', 'build', '--logLevel', 'warn']],
]);
// After the app's build: vite build empties dist/, where the docs site is built beside it.
step('docs', 'npx', ['tsx', 'scripts/docs.ts', 'check']);
step('unit tests', 'npx', ['vitest', 'run']);
step('browser tests', 'npx', ['playwright', 'test'], { CHROMIUM_PATH: chromium, E2E_BUILT: '1' });
