import { createContext, useContext } from 'react';
import type { PageIo } from '../../store/page-io.ts';

/** The page's imports and exports; null where the page runs without them. */
export const IoContext = createContext<PageIo | null>(null);

export function usePageIo(): PageIo | null {
  return useContext(IoContext);
}
