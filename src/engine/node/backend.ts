/**
 * Backend set-up for Node (CLI, scripts, Vitest): only cpu and wasm exist there. The wasm
 * binaries are read from the installed @tensorflow/tfjs-backend-wasm package.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { activateBackend } from '../backends.ts';
import type { NodeBackendName } from './backend-names.ts';

// The names live apart from tfjs so the CLI's help can list them without loading it.
export { NODE_BACKENDS, type NodeBackendName } from './backend-names.ts';

let wasmPathsSet = false;

export async function useNodeBackend(name: NodeBackendName): Promise<void> {
  if (name === 'wasm' && !wasmPathsSet) {
    const require = createRequire(import.meta.url);
    const pkg = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    setWasmPaths(`${join(pkg, 'dist')}/`);
    wasmPathsSet = true;
  }
  if (!(await activateBackend(name))) throw new Error(`the ${name} backend failed to start`);
  if (name === 'cpu') {
    // The cpu backend's first use prints an advert for tfjs-node (which cannot install here)
    // to stderr; mark it as already shown so CLI output stays one clean line on failure.
    (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
  }
}
