import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { setSeed } from './actions.ts';
import { createLabStore, dispatch } from './lab-store.ts';
import { initialStateFromHash, startUrlSync, URL_WRITE_DELAY_MS } from './url-sync.ts';

/** Just enough of a window: a hash, replaceState, and hashchange events sent when asked. */
function fakeWindow(hash: string) {
  const listeners: (() => void)[] = [];
  const win = {
    location: { hash },
    history: {
      state: null,
      replaceState: (_state: unknown, _title: string, url: string) => {
        win.location.hash = url;
      },
    },
    addEventListener: (_type: string, listener: () => void) => listeners.push(listener),
    removeEventListener: () => undefined,
  };
  /** A person pastes a link: the hash changes now, the event comes as a later task. */
  const paste = (link: string) => {
    win.location.hash = link;
  };
  const deliverHashChange = () => listeners.forEach((listener) => listener());
  return { win: win as unknown as Window, paste, deliverHashChange };
}

describe('startUrlSync', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('writes the link of an edit after a pause', () => {
    const start = '#v=1&model=lenet300&seed=1&steps=prune(fraction=0.5)';
    const { win } = fakeWindow(start);
    const store = createLabStore(initialStateFromHash(start));
    startUrlSync(store, win);
    dispatch(store, setSeed, 7);
    expect(win.location.hash).toBe(start);
    vi.advanceTimersByTime(URL_WRITE_DELAY_MS);
    // An edit makes a new recipe: of the newest version, whatever the link's was.
    expect(win.location.hash).toBe('#v=2&model=lenet300&seed=7&steps=prune(fraction=0.5)');
  });

  it('a link pasted before its hashchange event arrives is not overwritten by a pending write', () => {
    const start = '#v=1&model=lenet300&seed=1&steps=prune(fraction=0.5)';
    const { win, paste, deliverHashChange } = fakeWindow(start);
    const store = createLabStore(initialStateFromHash(start));
    startUrlSync(store, win);
    dispatch(store, setSeed, 7);
    const pasted = '#v=1&model=lenet300&seed=1&steps=prune(fraction=0.25)';
    paste(pasted);
    // The pending write comes due before the browser delivers the hashchange event.
    vi.advanceTimersByTime(URL_WRITE_DELAY_MS);
    expect(win.location.hash).toBe(pasted);
    deliverHashChange();
    expect(store.getState().recipe.steps[0].params.fraction).toBe(0.25);
    expect(store.getState().recipe.seed).toBe(1);
  });
});
