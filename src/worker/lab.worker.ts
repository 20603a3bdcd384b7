/**
 * The lab worker's entry: the engine of lab-worker-api.ts on the browser's surroundings (assets
 * over HTTP, the IndexedDB prefix cache, the browser's backends and their loss), exposed to the
 * page through Comlink.
 */
// First: what the Content-Security-Policy needs before anything else runs.
import './csp-violations.ts';
import '../engine/browser/no-eval.ts';
import * as Comlink from 'comlink';
import { httpAssetReader } from '../engine/assets.ts';
import type { BackendName } from '../engine/backend-names.ts';
import { activateBackend, wasmThreadCount } from '../engine/backends.ts';
import { watchBackend } from '../engine/browser/backend-loss.ts';
import { idbPrefixStore } from '../engine/browser/idb-prefix-store.ts';
import { browserBackendProbe } from '../engine/browser/select-backend.ts';
import { allowSoftwareWebGl, configureWasmPaths } from '../engine/browser/wasm-paths.ts';
import { createLabWorkerApi } from './lab-worker-api.ts';

const activate = async (name: BackendName) => {
  if (name === 'webgl') allowSoftwareWebGl();
  return activateBackend(name);
};

Comlink.expose(
  createLabWorkerApi({
    assetReader: httpAssetReader,
    prefixStore: idbPrefixStore(),
    prepareBackends: configureWasmPaths,
    activate,
    probe: browserBackendProbe(),
    watchBackend,
    wasmThreads: wasmThreadCount,
  }),
);
