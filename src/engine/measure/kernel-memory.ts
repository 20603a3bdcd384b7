/**
 * Kernel choices kept with the model they were made for. Autotuning times candidates for a few
 * milliseconds, and on a busy machine two page loads picked different kernels for the same
 * layer (lenet300's fc2 on tfjs-matmul, then on csr-wasm), so the same model measured a
 * different latency. The choices are stored under the model's content (SHA-256 of its compact
 * file), the backend and the batch, in memory and in the lab's persistent store (IndexedDB in the
 * page, --cache in the CLI): a reload, or another run that leaves the same network, rebuilds the
 * same kernels without timing them again.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { z } from 'zod';
import type { KernelChoice } from './kernels.ts';

/** Where the choices persist: the lab's prefix store (same get/set of bytes by key). */
export interface KernelChoiceStore {
  get(key: string): Promise<Uint8Array | undefined>;
  set(key: string, bytes: Uint8Array): Promise<void>;
}

const choiceSchema = z.object({
  kernel: z.string().min(1),
  timeMs: z.number().nonnegative().optional(),
  reason: z.string().optional(),
  notes: z.string().optional(),
});
const storedSchema = z.record(z.string(), choiceSchema);

const KEY_PREFIX = 'kernels|';

export function kernelChoicesKey(modelFile: Uint8Array, backend: string, batch: number): string {
  return `${KEY_PREFIX}${bytesToHex(sha256(modelFile)).slice(0, 32)}|${backend}|${batch}`;
}

/** Whether a key of the shared prefix store holds kernel choices (not a recipe prefix). */
export function isKernelChoicesKey(key: string): boolean {
  return key.startsWith(KEY_PREFIX);
}

export class KernelMemory {
  private readonly held = new Map<string, ReadonlyMap<string, KernelChoice>>();

  constructor(private readonly store?: KernelChoiceStore) {}

  /** The choices kept for `key`, or undefined when none (or a damaged entry) is kept. */
  async get(key: string): Promise<ReadonlyMap<string, KernelChoice> | undefined> {
    const inMemory = this.held.get(key);
    if (inMemory) return inMemory;
    try {
      const bytes = await this.store?.get(key);
      if (!bytes) return undefined;
      const parsed = storedSchema.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
      if (!parsed.success) return undefined;
      const choices = new Map(Object.entries(parsed.data));
      this.held.set(key, choices);
      return choices;
    } catch {
      return undefined; // unreadable: autotune again
    }
  }

  async set(key: string, choices: ReadonlyMap<string, KernelChoice>): Promise<void> {
    this.held.set(key, choices);
    try {
      const record = Object.fromEntries(
        [...choices].map(([layer, c]) => [
          layer,
          { kernel: c.kernel, timeMs: c.timeMs, reason: c.reason, notes: c.notes },
        ]),
      );
      await this.store?.set(key, new TextEncoder().encode(JSON.stringify(record)));
    } catch {
      // A full or unavailable store only costs an autotune on the next load.
    }
  }

  clear(): void {
    this.held.clear();
  }
}
