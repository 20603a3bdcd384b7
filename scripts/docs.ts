/**
 * The documentation site (VitePress, docs/), with its command reference kept in step with the CLI.
 *
 *   npx tsx scripts/docs.ts dev     serve it with live reload (`npm run docs`)
 *   npx tsx scripts/docs.ts build   build it into dist/docs (`npm run docs:build`)
 *   npx tsx scripts/docs.ts check   build it, then check every internal link and anchor
 *                                   (`npm run docs:check`, a step of `npm test`)
 *
 * Further arguments go to VitePress (`npm run docs -- --port 5180`).
 *
 * docs/cli.md is generated from the CLI's own command definitions by scripts/cli-docs.ts and is
 * not committed; it is written again before every dev server and build, so it cannot drift.
 * `vite build` empties dist/, so build the docs after the lab (`npm run build:site` does both).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CLI_DOCS_GENERATOR = 'scripts/cli-docs.ts';
const CLI_REFERENCE = 'docs/cli.md';
const modes = ['dev', 'build', 'check'] as const;
type Mode = (typeof modes)[number];

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const [mode, ...vitepressArgs] = process.argv.slice(2) as [Mode | undefined, ...string[]];
if (!mode || !modes.includes(mode)) {
  console.error(`usage: tsx scripts/docs.ts ${modes.join('|')} (got ${mode ?? 'nothing'})`);
  process.exit(2);
}

if (existsSync(CLI_DOCS_GENERATOR)) {
  run('npx', ['tsx', CLI_DOCS_GENERATOR]);
} else if (!existsSync(CLI_REFERENCE)) {
  console.error(
    `${CLI_REFERENCE} is missing, and ${CLI_DOCS_GENERATOR}, which writes it from the CLI's definitions, is not there.`,
  );
  process.exit(1);
}

if (mode === 'dev') {
  run('npx', ['vitepress', 'dev', 'docs', ...vitepressArgs]);
} else {
  run('npx', ['vitepress', 'build', 'docs', ...vitepressArgs]);
  if (mode === 'check') run('npx', ['tsx', 'scripts/check-docs-links.ts']);
}
