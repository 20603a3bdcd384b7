/**
 * The one zustand store of the page (vanilla: no React here). Components read it through the
 * hooks in ui/store-context.tsx and change it only through the pure actions in actions.ts.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { INITIAL_STATE, type LabState, type Patch } from './state.ts';

export type LabStore = StoreApi<LabState>;

export function createLabStore(initial: Partial<LabState> = {}): LabStore {
  return createStore<LabState>()(() => ({ ...INITIAL_STATE, ...initial }));
}

/** Applies a pure action: `dispatch(store, setSeed, 7)`. Empty patches change nothing. */
export function dispatch<A extends unknown[]>(
  store: LabStore,
  action: (state: LabState, ...args: A) => Patch,
  ...args: A
): void {
  const patch = action(store.getState(), ...args);
  if (Object.keys(patch).length > 0) store.setState(patch);
}
