/**
 * Models a user imports into the page (tfjs-free: the page's main thread reads it). An imported
 * model is named in recipes and links by an id that carries its file name and a hash of its
 * files, `user/<name>/<16 hex digits>`, so a link says which model it needs and never matches
 * a different model that happens to share the name.
 */
import { ModelLoadError } from './errors.ts';

const USER_MODEL_ID = /^user\/([A-Za-z0-9_.-]{1,40})\/([0-9a-f]{16})$/;

/** Whether a recipe's model names an imported model (not a shipped one). */
export function isUserModelId(model: string): boolean {
  return model.startsWith('user/');
}

/** The file name part of an imported model's id (the id itself when malformed). */
export function userModelName(id: string): string {
  return USER_MODEL_ID.exec(id)?.[1] ?? id;
}

/** The id of an imported model: its name, made safe for a link, and its files' hash. */
export function userModelId(name: string, hashHex: string): string {
  const safe = name.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 40) || 'model';
  return `user/${safe}/${hashHex.slice(0, 16)}`;
}

/** What a link to a run on an imported model says where that model is absent. */
export function absentUserModelMessage(id: string): string {
  return `this link needs the model "${userModelName(id)}" (${id}) that was imported in another browser; it is not in this one, so import its files here (drop them on the page) to open the run`;
}

export class AbsentUserModelError extends ModelLoadError {}
