/**
 * Runs one of ONNX's backend tests (model.onnx, test_data_set_0/input_N.pb and output_N.pb)
 * through the importer and the lab's executor. The node tests give every operand as a graph
 * input; a classifier's weights, bounds and shapes are initializers, so every input after the
 * first becomes one (the first is the images).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { createPredictor } from '../model/program.ts';
import { decodeOnnx, decodeOnnxTensor } from './decode.ts';
import { OnnxError, type OnnxModel, type OnnxTensor } from './onnx-model.ts';
import { orderArray, product } from './ops/values.ts';
import { convertOnnx, graphComputing } from './to-graph.ts';

export interface ConformanceResult {
  readonly expected: Float32Array;
  readonly actual: Float32Array;
}

function tensorsIn(folder: string, prefix: string): OnnxTensor[] {
  return readdirSync(folder)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.pb'))
    .sort((a, b) => parseInt(a.slice(prefix.length), 10) - parseInt(b.slice(prefix.length), 10))
    .map((f) => decodeOnnxTensor(readFileSync(join(folder, f)), f));
}

/** The model with inputs 2.. as initializers and input 1 shaped as its test data. */
function withOperandsAsInitializers(model: OnnxModel, inputs: readonly OnnxTensor[]): OnnxModel {
  const [first, ...rest] = model.graph.inputs;
  const initializers = new Map(model.graph.initializers);
  rest.forEach((info, i) => initializers.set(info.name, { ...inputs[i + 1], name: info.name }));
  return {
    ...model,
    graph: {
      ...model.graph,
      initializers,
      inputs: [{ ...first, shape: [...inputs[0].dims] }],
    },
  };
}

/** Imports and runs the test; throws the importer's OnnxError when it refuses the model. */
export async function runConformance(folder: string, name: string): Promise<ConformanceResult> {
  const data = join(folder, 'test_data_set_0');
  const inputs = tensorsIn(data, 'input_');
  const [expectedTensor] = tensorsIn(data, 'output_');
  const model = withOperandsAsInitializers(
    decodeOnnx(readFileSync(join(folder, 'model.onnx')), name),
    inputs,
  );
  const conversion = convertOnnx(model, name);
  const output = conversion.output;
  if (!output || output.kind !== 'tensor') {
    throw new OnnxError(
      `${name}: the output is a constant (the importer folds it), not a computed tensor`,
    );
  }
  const graph = graphComputing(conversion, output);
  const batch = inputs[0].dims[0];
  const values = inputs[0].floats!;
  const x = tf.tidy(() => {
    if (conversion.input.layout !== 'NCHW') return tf.tensor(values, [batch, ...graph.inputShape]);
    const [h, w, c] = graph.inputShape;
    return tf.transpose(tf.tensor(values, [batch, c, h, w]), [0, 2, 3, 1]);
  });
  const predictor = createPredictor(graph);
  try {
    const y = predictor.predict(x);
    const lab = (await y.data()) as Float32Array;
    y.dispose();
    // Back to ONNX's order: lab element i of each image is ONNX element order[i].
    const perImage = product(output.shape);
    const order = orderArray(output.order);
    const actual = new Float32Array(lab.length);
    for (let n = 0; n < batch; n++)
      for (let i = 0; i < perImage; i++)
        actual[n * perImage + (order ? order[i] : i)] = lab[n * perImage + i];
    return { expected: expectedTensor.floats!, actual };
  } finally {
    x.dispose();
    predictor.dispose();
  }
}
