/**
 * `--cache DIR`: the prefix cache on disk, one file per recipe prefix (named by the SHA-256 of
 * its key), so a second `complab` run reuses the fine-tuning of the first.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
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
      // Write then rename: a reader never sees half a file. The temporary name is the
      // writer's own, as sweep workers (threads, processes) may store the same prefix at once.
      const path = pathOf(key);
      const tmp = `${path}.${process.pid}-${threadId}.tmp`;
      await writeFile(tmp, bytes);
      await rename(tmp, path);
    },
  };
}
