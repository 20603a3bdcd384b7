/**
 * Page entry: the store starts from the URL hash, the engine starts in a worker, and a small
 * read-only hook (window.__complab.getState) lets e2e tests and the UI benchmark observe runs.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createLabStore } from './store/lab-store.ts';
import { startLabSession } from './store/session.ts';
import type { LabState } from './store/state.ts';
import { initialStateFromHash, startUrlSync } from './store/url-sync.ts';
import { App } from './ui/App.tsx';
import { LabContext } from './ui/store-context.tsx';
import { createLabClient } from './worker/client.ts';
import './ui/lab.css';

declare global {
  interface Window {
    __complab?: { readonly getState: () => LabState };
  }
}

const store = createLabStore(initialStateFromHash(window.location.hash));
startUrlSync(store);
const session = startLabSession(
  store,
  createLabClient(),
  new URL(import.meta.env.BASE_URL, window.location.href).href,
);
window.__complab = Object.freeze({ getState: () => store.getState() });

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <LabContext value={{ store, session }}>
      <App />
    </LabContext>
  </StrictMode>,
);
