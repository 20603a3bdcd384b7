/**
 * `npm test`: everything, in the order that fails fastest. Type check and lint, the engine's
 * unit tests in Node (Vitest), then the end-to-end specs in headless Chromium (Playwright).
 */
import { spawnSync } from 'node:child_process';
import { ensureChromium } from './find-chromium.ts';

function step(title: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): void {
  console.log(`\n=== ${title}: ${command} ${args.join(' ')}`);
  const started = Date.now();
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  if (result.status !== 0) {
    console.error(`\n${title} failed after ${seconds} s (exit ${result.status ?? result.signal}).`);
    process.exit(result.status ?? 1);
  }
  console.log(`=== ${title} passed in ${seconds} s`);
}

let chromium: string;
try {
  chromium = ensureChromium();
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}

step('type check', 'npx', ['tsc', '--noEmit', '-p', '.']);
step('lint', 'npx', ['eslint', '.']);
step('format', 'npx', ['prettier', '--check', '.']);
step('docs', 'npx', ['tsx', 'scripts/docs.ts', 'check']);
step('unit tests', 'npx', ['vitest', 'run']);
step('browser tests', 'npx', ['playwright', 'test'], { CHROMIUM_PATH: chromium });
