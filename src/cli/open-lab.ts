import { resolve } from 'node:path';
import { Lab } from '../engine/lab.ts';
import { fileAssetReader } from '../engine/node/assets.ts';
import { useNodeBackend, type NodeBackendName } from '../engine/node/backend.ts';
import { directoryPrefixStore } from './cache.ts';
import { modelSourceForPath } from './model-source.ts';

/** A Lab on Node's backend, reading models by id or path and keeping prefixes in `cache`. */
export async function openLab(backend: NodeBackendName, cache?: string): Promise<Lab> {
  await useNodeBackend(backend);
  return new Lab({
    read: fileAssetReader(),
    resolveModel: modelSourceForPath,
    trainingBackend: 'wasm',
    activateBackend: async (name) => {
      if (name !== 'wasm' && name !== 'cpu') return false;
      await useNodeBackend(name);
      return true;
    },
    prefixStore: cache ? directoryPrefixStore(resolve(cache)) : undefined,
  });
}
