import { droppedModel } from '../engine/model/dropped-files.ts';
import { modelFilesOnDisk } from '../engine/node/model-files.ts';

/**
 * The id the page gives these files when they are dropped on it (user/NAME/HASH), so that a
 * link to a run on an imported model runs here with --model and the same files. The files are
 * read with the loader's path check and the page's limits (modelFilesOnDisk); ModelLoadError
 * says why they cannot be read.
 */
export function importedIdOf(model: string): string {
  return droppedModel(modelFilesOnDisk(model)).id;
}
