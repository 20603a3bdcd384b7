import { oneLine } from '../util/one-line.ts';

/** A model that cannot be read or used, with a message naming the file or layer at fault. */
export class ModelLoadError extends Error {
  constructor(message: string) {
    super(oneLine(message));
    this.name = 'ModelLoadError';
  }
}
