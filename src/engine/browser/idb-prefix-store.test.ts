import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { idbPrefixStore } from './idb-prefix-store.ts';

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

function counter() {
  let t = 0;
  return () => ++t;
}

describe('idbPrefixStore', () => {
  it('gives back what was stored, and nothing for an unknown key', async () => {
    const store = idbPrefixStore({ indexedDB: new IDBFactory(), now: counter() });
    await store.set('a', Uint8Array.of(1, 2, 3));
    expect(await store.get('a')).toEqual(Uint8Array.of(1, 2, 3));
    expect(await store.get('b')).toBeUndefined();
  });

  it('survives a new store on the same database (a reload)', async () => {
    const factory = new IDBFactory();
    const first = idbPrefixStore({ indexedDB: factory, name: 'lab' });
    await first.set('prefix', bytes(10, 7));
    first.close();
    const second = idbPrefixStore({ indexedDB: factory, name: 'lab' });
    expect(await second.get('prefix')).toEqual(bytes(10, 7));
  });

  it('evicts the least recently used entries past the byte bound', async () => {
    const store = idbPrefixStore({ indexedDB: new IDBFactory(), maxBytes: 300, now: counter() });
    await store.set('a', bytes(100, 1));
    await store.set('b', bytes(100, 2));
    await store.set('c', bytes(100, 3));
    await store.get('a'); // a is now more recent than b
    await store.set('d', bytes(100, 4)); // 400 bytes: b, the least recently used, goes
    expect((await store.entries()).map((e) => e.key)).toEqual(['c', 'a', 'd']);
    expect(await store.get('b')).toBeUndefined();
    expect(await store.get('a')).toEqual(bytes(100, 1));
    await store.set('e', bytes(250, 5)); // needs three to go: c, d, a (in that order of use)
    expect((await store.entries()).map((e) => e.key)).toEqual(['e']);
  });

  it('refuses an entry larger than the whole bound instead of emptying the store', async () => {
    const store = idbPrefixStore({ indexedDB: new IDBFactory(), maxBytes: 100, now: counter() });
    await store.set('small', bytes(50, 1));
    await store.set('huge', bytes(500, 2));
    expect(await store.get('huge')).toBeUndefined();
    expect(await store.get('small')).toEqual(bytes(50, 1));
  });

  it('stores a view as its own bytes only', async () => {
    const store = idbPrefixStore({ indexedDB: new IDBFactory(), now: counter() });
    const buffer = new Uint8Array(1000).fill(9);
    await store.set('view', buffer.subarray(10, 20));
    expect((await store.entries())[0].bytes).toBe(10);
    expect(await store.get('view')).toEqual(bytes(10, 9));
  });

  it('degrades to no persistence without IndexedDB or when it fails', async () => {
    const none = idbPrefixStore({ indexedDB: undefined });
    await expect(none.set('a', bytes(1, 1))).resolves.toBeUndefined();
    expect(await none.get('a')).toBeUndefined();

    const broken = {
      open: () => {
        throw new Error('SecurityError: storage is disabled');
      },
    } as unknown as IDBFactory;
    const failing = idbPrefixStore({ indexedDB: broken });
    await expect(failing.set('a', bytes(1, 1))).resolves.toBeUndefined();
    expect(await failing.get('a')).toBeUndefined();
    expect(await failing.entries()).toEqual([]);
  });
});
