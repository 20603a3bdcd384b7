/** What the page keeps about imported models (React-free, tfjs-free). */
import type { UserModelKind } from '../engine/model/dropped-files.ts';

/** An imported model as the picker lists it. */
export interface UserModelInfo {
  /** user/<name>/<hash> (engine/model/user-models.ts): what recipes and links name. */
  readonly id: string;
  /** The dropped file's name, without its extension. */
  readonly name: string;
  /** A tfjs LayersModel (model.json + weights), a compact model file or an ONNX file. */
  readonly kind: UserModelKind;
  readonly params: number;
  /** Bytes of the files as dropped. */
  readonly bytes: number;
  readonly importedAt: number;
  /** False when the browser's storage refused it: it lasts as long as this tab. */
  readonly persisted: boolean;
}

/** One dropped file. */
export interface DroppedFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** An imported model with its files, as IndexedDB keeps it. */
export interface StoredUserModel extends Omit<UserModelInfo, 'persisted'> {
  readonly files: readonly DroppedFile[];
}
