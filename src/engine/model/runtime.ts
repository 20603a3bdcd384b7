import * as tf from '@tensorflow/tfjs';
import type { LayerGraph } from './graph.ts';

/** Writes a graph's (possibly compressed) weights into the tfjs model that executes it. */
export function loadGraphWeights(model: tf.LayersModel, graph: LayerGraph): void {
  graph.layers.forEach((node, i) => {
    if (node.weightIndices.length === 0) return;
    const tensors = node.weightIndices.map((w) =>
      tf.tensor(graph.weights[w].values, graph.weights[w].shape as number[], 'float32'),
    );
    model.layers[i].setWeights(tensors);
    tf.dispose(tensors);
  });
}
