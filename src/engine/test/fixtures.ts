/** Shared set-up for engine tests in Node: the shipped digits and models, on a chosen backend. */
import { modelJsonPath, type ShippedModelId } from '../model/catalog.ts';
import { LayerGraph } from '../model/graph.ts';
import { modelFromArtifacts, readModelArtifacts } from '../model/load.ts';
import { fileAssetReader } from '../node/assets.ts';

export const publicAssets = fileAssetReader();

/** A shipped model as the engine's graph, read from public/ (the tfjs model it came from is disposed). */
export async function shippedGraph(id: ShippedModelId): Promise<LayerGraph> {
  const model = await modelFromArtifacts(
    await readModelArtifacts(publicAssets, modelJsonPath(id)),
    id,
  );
  const graph = await LayerGraph.fromModel(model);
  model.dispose();
  return graph;
}
