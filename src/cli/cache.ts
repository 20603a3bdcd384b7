/**
 * `--cache DIR`: the prefix cache on disk, one file per recipe prefix (named by the SHA-256 of
 * its key), so a second `complab` run reuses the fine-tuning of the first.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PrefixStore } from '../engine/lab.ts';

export function directoryPrefixStore(dir: string): PrefixStore {
  const pathOf = (key: string) =>
    join(dir, `${bytesToHex(sha256(new TextEncoder().encode(key))).slice(0, 32)}.clg`);
  return {
    async get(key) {
      try {
        return new Uint8Array(await readFile(pathOf(key)));
      } catch {
        return undefined;
      }
    },
    async set(key, bytes) {
      await mkdir(dir, { recursive: true });
      // Write then rename: a reader never sees half a file.
      const path = pathOf(key);
      await writeFile(`${path}.tmp`, bytes);
      await rename(`${path}.tmp`, path);
    },
  };
}
