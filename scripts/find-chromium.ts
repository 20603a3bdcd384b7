/**
 * Finds the Chromium that browser tests and benchmarks drive: $CHROMIUM_PATH, else Debian's
 * /usr/bin/chromium. When it is missing and we run as root, installs Debian's `chromium` package
 * with apt-get (Playwright's own browser download cannot work on these machines); otherwise
 * prints the exact command to run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH || DEFAULT_CHROMIUM;
}

export function ensureChromium(): string {
  const path = chromiumPath();
  if (existsSync(path)) return path;
  if (process.env.CHROMIUM_PATH) {
    throw new Error(`CHROMIUM_PATH is ${path}, but no file is there`);
  }
  const isRoot = process.getuid?.() === 0;
  if (!isRoot) {
    throw new Error(
      `Chromium not found at ${path}. Install it with:\n  sudo apt-get update && sudo apt-get install -y chromium\nor set CHROMIUM_PATH to a Chromium binary.`,
    );
  }
  console.log(`Chromium not found at ${path}; installing Debian's chromium package (apt-get)...`);
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (!existsSync(path))
    throw new Error(`apt-get installed chromium, but ${path} is still missing`);
  return path;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    console.log(ensureChromium());
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
}
