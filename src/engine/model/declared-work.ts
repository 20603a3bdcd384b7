/**
 * Caps on the work a network description implies, checked on its shapes alone, before any
 * weight is allocated: a few hundred bytes of file can otherwise declare a [784, 80000] layer
 * (250 MB of floats, 63 million multiply-adds a digit: 39 s and 1.45 GB for 2,000 test digits)
 * or a convolution the WASM backend cannot run. The largest shipped model has 266,610 weights
 * (lenet300) and 3.3 million multiply-adds a digit (inception); the caps leave 15-30x room.
 */
import type { LayerGraph } from './graph.ts';

/** Weights one layer may hold, and all layers together (as float32: 16 and 32 MiB). */
export const MAX_LAYER_WEIGHTS = 2 ** 22;
export const MAX_TOTAL_WEIGHTS = 2 ** 23;
/** Multiply-adds a digit one layer may need, and all layers together. */
export const MAX_LAYER_MACS = 2 ** 25;
export const MAX_TOTAL_MACS = 2 ** 26;
/** Values one layer may output for a digit (its activations, which are allocated too). */
export const MAX_LAYER_OUTPUTS = 2 ** 21;

const count = (n: number) => n.toLocaleString('en-US');
const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * The first cap `graph` (whose weights may be empty: only shapes are read) goes past, as a
 * sentence naming the layer and both numbers; undefined when it fits. Its shapes must infer
 * (graph.info()).
 */
export function declaredWorkProblem(graph: LayerGraph): string | undefined {
  let weights = 0;
  let macs = 0;
  for (const { node, outputShape, macs: layerMacs } of graph.info().values()) {
    const name = node.name.slice(0, 60);
    const layerWeights = node.weights.reduce((sum, w) => sum + product(w.shape), 0);
    if (layerWeights > MAX_LAYER_WEIGHTS)
      return `layer "${name}" declares ${count(layerWeights)} weights; the lab takes at most ${count(MAX_LAYER_WEIGHTS)} a layer`;
    if (layerMacs > MAX_LAYER_MACS)
      return `layer "${name}" needs ${count(layerMacs)} multiply-adds a digit; the lab takes at most ${count(MAX_LAYER_MACS)} a layer`;
    const outputs = product(outputShape);
    if (outputs > MAX_LAYER_OUTPUTS)
      return `layer "${name}" outputs ${count(outputs)} values a digit; the lab takes at most ${count(MAX_LAYER_OUTPUTS)}`;
    weights += layerWeights;
    macs += layerMacs;
  }
  if (weights > MAX_TOTAL_WEIGHTS)
    return `the network declares ${count(weights)} weights; the lab takes at most ${count(MAX_TOTAL_WEIGHTS)}`;
  if (macs > MAX_TOTAL_MACS)
    return `the network needs ${count(macs)} multiply-adds a digit; the lab takes at most ${count(MAX_TOTAL_MACS)}`;
  return undefined;
}
