#!/usr/bin/env node
// Entry point of the `complab` command: runs the TypeScript CLI through tsx, so the CLI and the
// lab share the engine's source with no build step.
import { register } from 'tsx/esm/api';

// A reader that stops early (`complab help eval | head`) closes the pipe: that ends the command,
// as it does any Unix tool, rather than being reported as a crash.
process.stdout.on('error', (err) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode ?? 0);
});

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
