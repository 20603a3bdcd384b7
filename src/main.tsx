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
import { startHistoryPersistence } from './store/history-persistence.ts';
import { restoredState, withFreeRunIds } from './store/io-actions.ts';
import { createLabStore } from './store/lab-store.ts';
import { openPageDb } from './store/page-db.ts';
import { createPageIo, userModelInfo } from './store/page-io.ts';
import { startLabSession } from './store/session.ts';
import type { LabState } from './store/state.ts';
import { initialStateFromHash, startUrlSync } from './store/url-sync.ts';
import { App } from './ui/App.tsx';
import { IoContext } from './ui/io/io-context.tsx';
import { LabContext } from './ui/store-context.tsx';
import { latencySettingsFromStorage } from './engine/measure/latency-settings.ts';
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
// Test knobs: the e2e specs shorten latency sampling (docs/contributing.md).
const latencySettings = latencySettingsFromStorage();
// History and imported models come back from IndexedDB before anything runs, so a link to a
// run on an imported model finds it and new runs number on from the restored ones.
const db = await openPageDb();
const [loadedRuns, savedModels] = await Promise.all([
  db.loadRuns().catch(() => []),
  db.loadModels().catch(() => []),
]);
// Two tabs may both have saved a "run 7": each run gets a number of its own here.
const savedRuns = withFreeRunIds(loadedRuns);
const store = createLabStore(
  restoredState(
    initialStateFromHash(window.location.hash),
    savedRuns.map((s) => s.run),
    savedModels.map((m) => userModelInfo(m, true)),
    db.note,
  ),
);
startUrlSync(store);
startHistoryPersistence(store, db, savedRuns);
// The worker is asked for only after the session has started it.
const io = createPageIo(store, db, savedModels, () => session.client());
const session = startLabSession(
  store,
  () => createLabClient({ testHooks, ...latencySettings }),
  new URL(import.meta.env.BASE_URL, window.location.href).href,
  (client) => io.registerWith(client),
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
      <IoContext value={io}>
        <App />
      </IoContext>
    </LabContext>
  </StrictMode>,
);
