import { describe, expect, it } from 'vitest';
import type { PrefixStore } from '../engine/lab.ts';
import { heldPrefixStore } from './held-store.ts';

function memoryStore(): PrefixStore & { readonly entries: Map<string, Uint8Array> } {
  const entries = new Map<string, Uint8Array>();
  return {
    entries,
    get: async (key) => entries.get(key),
    set: async (key, bytes) => void entries.set(key, bytes),
  };
}

describe('heldPrefixStore', () => {
  it('writes through when nothing is held', async () => {
    const inner = memoryStore();
    const store = heldPrefixStore(inner);
    await store.set('a', new Uint8Array([1]));
    expect(inner.entries.get('a')).toEqual(new Uint8Array([1]));
  });

  it('holds writes, shows them to reads, and writes them when kept', async () => {
    const inner = memoryStore();
    const store = heldPrefixStore(inner);
    store.hold();
    await store.set('a', new Uint8Array([2]));
    expect(inner.entries.has('a')).toBe(false);
    expect(await store.get('a')).toEqual(new Uint8Array([2]));
    await store.keep();
    expect(inner.entries.get('a')).toEqual(new Uint8Array([2]));
    await store.set('b', new Uint8Array([3]));
    expect(inner.entries.has('b')).toBe(true);
  });

  it('forgets held writes when dropped', async () => {
    const inner = memoryStore();
    const store = heldPrefixStore(inner);
    store.hold();
    await store.set('a', new Uint8Array([4]));
    store.drop();
    expect(await store.get('a')).toBeUndefined();
    expect(inner.entries.has('a')).toBe(false);
  });
});
