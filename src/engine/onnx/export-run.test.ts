/** onnxOfRun gives back the input and output an imported model came with. */
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../node/backend.ts';
import { floatTensor, onnxModel } from './build-model.ts';
import { onnxOfRun } from './export-run.ts';
import { graphFromOnnx } from './to-graph.ts';

beforeAll(async () => {
  await useNodeBackend('cpu');
});

/** A 2-feature, 3-class Gemm classifier ending in `last` (named "scores"). */
function classifier(last: string[]) {
  return onnxModel({
    input: { name: 'pixels', shape: ['batch', 2] },
    initializers: [floatTensor('W', [2, 3], [1, 2, 3, 4, 5, 6]), floatTensor('b', [3], [0, 0, 0])],
    nodes: [
      { op: 'Gemm', inputs: ['pixels', 'W', 'b'], outputs: ['g'] },
      ...last.map((op, i) => ({
        op,
        inputs: [i === 0 ? 'g' : `t${i - 1}`],
        outputs: [i === last.length - 1 ? 'scores' : `t${i}`],
      })),
    ],
    output: last.length ? 'scores' : 'g',
  });
}

describe('onnxOfRun', () => {
  it('a LogSoftmax model exports ending in LogSoftmax, with its input and output names', () => {
    const { graph, ...origin } = graphFromOnnx(classifier(['LogSoftmax']), 'log.onnx');
    const exported = onnxOfRun(graph, origin);
    const { nodes, inputs, outputs } = exported.graph;
    expect(nodes.map((n) => n.opType)).toEqual(['Gemm', 'LogSoftmax']);
    expect(inputs[0]).toMatchObject({ name: 'pixels', shape: ['batch', 2] });
    expect(outputs[0]).toMatchObject({ name: 'scores', shape: ['batch', 3] });
  });

  it('a logits model exports logits: the Softmax the importer appended is dropped', () => {
    const { graph, ...origin } = graphFromOnnx(classifier([]), 'logits.onnx');
    expect(origin.appendedSoftmax).not.toBeNull();
    const exported = onnxOfRun(graph, origin);
    expect(exported.graph.nodes.map((n) => n.opType)).toEqual(['Gemm']);
    expect(exported.graph.outputs[0].name).toBe('g');
  });
});
