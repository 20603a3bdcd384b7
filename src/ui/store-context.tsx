import { createContext, useCallback, useContext } from 'react';
import { useStore } from 'zustand';
import { dispatch, type LabStore } from '../store/lab-store.ts';
import type { LabSession } from '../store/session.ts';
import type { LabState, Patch } from '../store/state.ts';

export interface LabContextValue {
  readonly store: LabStore;
  readonly session: LabSession | null;
}

export const LabContext = createContext<LabContextValue | null>(null);

function useLabContext(): LabContextValue {
  const value = useContext(LabContext);
  if (!value) throw new Error('Lab components must be rendered inside <LabContext>');
  return value;
}

/** Subscribes a component to one slice of the store. */
export function useLab<T>(selector: (state: LabState) => T): T {
  return useStore(useLabContext().store, selector);
}

/** Returns a function that applies a pure action to the store. */
export function useDispatch(): <A extends unknown[]>(
  action: (state: LabState, ...args: A) => Patch,
  ...args: A
) => void {
  const { store } = useLabContext();
  // The same function every render, so memoized children that take it do not redraw.
  return useCallback((action, ...args) => dispatch(store, action, ...args), [store]);
}

export function useSession(): LabSession | null {
  return useLabContext().session;
}
