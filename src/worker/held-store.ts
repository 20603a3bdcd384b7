/**
 * A prefix store whose writes can be held back while a run is computed on a GPU backend and
 * then kept or dropped: a step computed across a lost WebGL context or WebGPU device may rest on
 * garbage (a lost context reads back zeros without an error), and must not outlive the session
 * in IndexedDB. Reads see held writes.
 */
import type { PrefixStore } from '../engine/lab.ts';

export interface HeldPrefixStore extends PrefixStore {
  /** From now on, writes wait for keep() or drop(). */
  hold(): void;
  /** Writes what was held and stops holding. */
  keep(): Promise<void>;
  /** Forgets what was held and stops holding. */
  drop(): void;
}

export function heldPrefixStore(inner: PrefixStore): HeldPrefixStore {
  let held: Map<string, Uint8Array> | null = null;
  return {
    get: async (key) => held?.get(key) ?? inner.get(key),
    set: async (key, bytes) => {
      if (held) held.set(key, bytes);
      else await inner.set(key, bytes);
    },
    hold: () => {
      held ??= new Map();
    },
    keep: async () => {
      const writes = held;
      held = null;
      for (const [key, bytes] of writes ?? []) await inner.set(key, bytes);
    },
    drop: () => {
      held = null;
    },
  };
}
