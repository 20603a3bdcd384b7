/**
 * `complab eval --export-model DIR`: the compressed model written as a plain tfjs LayersModel
 * (model.json + weights.bin, loadable with tf.loadLayersModel) and as the compact file
 * (model.clw, what `complab eval --model` reads back). Nothing is written when the network has
 * a layer plain tfjs cannot compute: LayersExportError names it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EXPORT_WEIGHTS_FILE, exportLayersModel } from '../encode/layers-model-export.ts';
import type { LayerGraph } from '../model/graph.ts';
import { MODEL_JSON } from './save-model.ts';

export const COMPACT_EXPORT_FILE = 'model.clw';

/**
 * Writes the three files into `dir` (made if needed); returns their paths. `compact` is the
 * graph's compact file as Lab.exportCompact checked it.
 */
export async function writeModelExport(
  graph: LayerGraph,
  compact: Uint8Array,
  dir: string,
): Promise<string[]> {
  const layers = await exportLayersModel(graph);
  await mkdir(dir, { recursive: true });
  const files: [string, string | Uint8Array][] = [
    [MODEL_JSON, `${JSON.stringify(layers.modelJson)}\n`],
    [EXPORT_WEIGHTS_FILE, layers.weights],
    [COMPACT_EXPORT_FILE, compact],
  ];
  for (const [name, data] of files) await writeFile(join(dir, name), data);
  return files.map(([name]) => join(dir, name));
}
