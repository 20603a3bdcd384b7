/**
 * The page's side of imported models and exports (React-free): dropped files go to the worker,
 * whose loader (the CLI's) checks them; an accepted model is kept in IndexedDB in this tab's
 * origin (never uploaded) and registered with every new worker; a model can be removed; the
 * network a recipe leaves comes back as files to download.
 */
import type { LabClient } from '../worker/client.ts';
import type { ModelExportOutcome } from '../worker/protocol.ts';
import { importNoticed, userModelAdded, userModelRemoved } from './io-actions.ts';
import { dispatch, type LabStore } from './lab-store.ts';
import { isQuotaError, storageReason, type PageDb } from './page-db.ts';
import type { DroppedFile, StoredUserModel, UserModelInfo } from './page-io-state.ts';
import { runnableRecipe } from './state.ts';

export interface PageIo {
  /** Checks dropped files and, when they are a digit model, imports and selects it. */
  importFiles(files: readonly DroppedFile[]): Promise<void>;
  /** Says why dropped files were not read (too many, too large), changing nothing else. */
  refuseFiles(why: string): void;
  removeModel(id: string): Promise<void>;
  /** The current recipe's network as files. */
  exportModel(): Promise<ModelExportOutcome>;
  /** Gives a new worker the imported models (session's beforeStart). */
  registerWith(client: LabClient): Promise<void>;
}

export function userModelInfo(model: StoredUserModel, persisted: boolean): UserModelInfo {
  const { files: _files, ...info } = model;
  return { ...info, persisted };
}

const names = (files: readonly DroppedFile[]) => files.map((f) => f.name).join(', ');

export function createPageIo(
  store: LabStore,
  db: PageDb,
  stored: readonly StoredUserModel[],
  client: () => LabClient,
): PageIo {
  const models = new Map(stored.map((m) => [m.id, m]));

  return {
    async importFiles(files) {
      dispatch(store, importNoticed, { kind: 'info', text: `Checking ${names(files)}…` });
      const outcome = await client().importModel(files);
      if (!outcome.ok) {
        dispatch(store, importNoticed, {
          kind: 'error',
          text: `${names(files)} could not be imported: ${outcome.error.message}. Nothing else changed.`,
        });
        return;
      }
      const { id, name, kind, params } = outcome.model;
      const known = models.get(id);
      const model: StoredUserModel = known ?? {
        id,
        name,
        kind,
        params,
        bytes: files.reduce((sum, f) => sum + f.bytes.length, 0),
        importedAt: Date.now(),
        files: files.map((f) => ({ name: f.name, bytes: f.bytes })),
      };
      let persisted = db.note === null;
      let why = db.note === null ? '' : ' It is kept for this tab only (no IndexedDB here).';
      if (!known && persisted) {
        try {
          await db.putModel(model);
        } catch (err) {
          persisted = false;
          why = ` It is kept for this tab only: ${
            isQuotaError(err) ? "the browser's storage is full" : 'the browser refused to store it'
          } (${storageReason(err)}).`;
        }
      } else if (known) {
        persisted = store.getState().userModels.find((m) => m.id === id)?.persisted ?? persisted;
      }
      models.set(id, model);
      dispatch(store, userModelAdded, userModelInfo(model, persisted));
      dispatch(store, importNoticed, {
        kind: 'info',
        text: `${known ? 'Already imported' : 'Imported'} "${name}" (${params.toLocaleString('en-US')} parameters); it is the current model.${why}`,
      });
    },

    refuseFiles(why) {
      dispatch(store, importNoticed, { kind: 'error', text: why });
    },

    async removeModel(id) {
      models.delete(id);
      dispatch(store, userModelRemoved, id);
      await client().forgetModel(id);
      try {
        await db.deleteModel(id);
      } catch {
        // Gone from the page; a copy the disk keeps comes back on reload, where it can be removed.
      }
    },

    exportModel: () => client().exportModel(runnableRecipe(store.getState().recipe)),

    registerWith: (worker) =>
      worker.registerModels([...models.values()].map(({ id, files }) => ({ id, files }))),
  };
}
