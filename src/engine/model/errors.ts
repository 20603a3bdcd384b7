/** A model that cannot be read or used, with a message naming the file or layer at fault. */
export class ModelLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelLoadError';
  }
}
