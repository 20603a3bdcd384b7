#!/usr/bin/env node
// Entry point of the `complab` command: runs the TypeScript CLI through tsx, so the CLI and the
// lab share the engine's source with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
