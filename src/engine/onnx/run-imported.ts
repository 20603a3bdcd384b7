/**
 * Runs an imported model in the lab on inputs and outputs in ONNX's layout: NCHW images in,
 * the ONNX output (the logits, before any Softmax the importer appended; log-probabilities
 * as the log of the lab's) out. For tests and
 * benchmarks that compare the lab with ONNX's own figures.
 */
import * as tf from '@tensorflow/tfjs';
import { LayerGraph } from '../model/graph.ts';
import { createPredictor } from '../model/program.ts';
import type { OnnxImport } from './to-graph.ts';

/** The imported graph with its output at the logits (the appended Softmax left out). */
export function logitsGraph(imported: OnnxImport): LayerGraph {
  const { graph, appendedSoftmax, logits } = imported;
  if (!appendedSoftmax) return graph;
  return new LayerGraph(
    graph.nodes.filter((n) => n.name !== appendedSoftmax),
    logits,
  );
}

/** An NCHW batch as the lab's NHWC (other layouts pass as they are). */
export function toLabInput(imported: OnnxImport, values: Float32Array, batch: number): tf.Tensor {
  const shape = imported.graph.inputShape;
  return tf.tidy(() => {
    if (imported.input.layout !== 'NCHW') return tf.tensor(values, [batch, ...shape]);
    const [h, w, c] = shape;
    return tf.transpose(tf.tensor(values, [batch, c, h, w]), [0, 2, 3, 1]);
  });
}

/** The model's output for `batch` inputs given in ONNX's layout, in ONNX's layout. */
export async function predictOnnxLayout(
  imported: OnnxImport,
  values: Float32Array,
  batch: number,
): Promise<Float32Array> {
  const predictor = createPredictor(logitsGraph(imported));
  const x = toLabInput(imported, values, batch);
  try {
    const y = predictor.predict(x);
    const data = (await y.data()) as Float32Array;
    y.dispose();
    return imported.logProbabilities ? data.map(Math.log) : data;
  } finally {
    x.dispose();
    predictor.dispose();
  }
}
