/**
 * Page entry: the store starts from the URL hash, the engine starts in a worker, and a small
 * read-only hook (window.__complab.getState) lets e2e tests and the UI benchmark observe runs.
 * Opened with `?test`, the page also offers window.__complab.testHooks: lose the GPU backend,
 * read tfjs's memory in the worker, kill the worker (they can only break this tab).
 */
// First: zod must not try eval, which the page's Content-Security-Policy forbids.
import './engine/browser/no-eval.ts';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createLabStore } from './store/lab-store.ts';
import { startLabSession } from './store/session.ts';
import type { LabState } from './store/state.ts';
import { initialStateFromHash, startUrlSync } from './store/url-sync.ts';
import { App } from './ui/App.tsx';
import { LabContext } from './ui/store-context.tsx';
import { createLabClient, type LabTestHooks } from './worker/client.ts';
import './ui/lab.css';

declare global {
  interface Window {
    __complab?: {
      readonly getState: () => LabState;
      readonly testHooks?: () => LabTestHooks | null;
    };
  }
}

const testHooks = new URLSearchParams(window.location.search).has('test');
const store = createLabStore(initialStateFromHash(window.location.hash));
startUrlSync(store);
const session = startLabSession(
  store,
  () => createLabClient({ testHooks }),
  new URL(import.meta.env.BASE_URL, window.location.href).href,
);
window.__complab = Object.freeze({
  getState: () => store.getState(),
  ...(testHooks ? { testHooks: () => session.testHooks() } : {}),
});

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <LabContext value={{ store, session }}>
      <App />
    </LabContext>
  </StrictMode>,
);
