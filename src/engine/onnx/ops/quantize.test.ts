/** DequantizeLinear of constant weights, folded on import; of a computed tensor, refused. */
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../node/backend.ts';
import { onnxModel } from '../build-model.ts';
import { ONNX_DATA_TYPES } from '../onnx-model.ts';
import { predictOnnxLayout } from '../run-imported.ts';
import { graphFromOnnx } from '../to-graph.ts';

const uint8 = (name: string, dims: number[], values: number[]) => ({
  name,
  dataType: ONNX_DATA_TYPES.uint8,
  dims,
  ints: values,
});
const float = (name: string, dims: number[], values: number[]) => ({
  name,
  dataType: ONNX_DATA_TYPES.float,
  dims,
  floats: Float32Array.from(values),
});

beforeAll(async () => {
  await useNodeBackend('cpu');
});

describe('DequantizeLinear on import', () => {
  it('folds per-channel levels into the Gemm weights they stand for', async () => {
    const model = onnxModel({
      input: { name: 'x', shape: ['N', 2] },
      initializers: [
        uint8('levels', [2, 3], [10, 20, 30, 40, 50, 60]),
        float('scale', [3], [0.5, 0.25, 2]),
        uint8('zero', [3], [10, 0, 30]),
      ],
      nodes: [
        {
          op: 'DequantizeLinear',
          inputs: ['levels', 'scale', 'zero'],
          outputs: ['B'],
          attributes: { axis: 1 },
        },
        { op: 'Gemm', inputs: ['x', 'B'], outputs: ['y'] },
      ],
    });
    const imported = graphFromOnnx(model, 'hand.onnx');
    // By hand: B = (levels - zero[column]) * scale[column] = [[0, 5, 0], [15, 12.5, 60]].
    const y = await predictOnnxLayout(imported, Float32Array.of(1, 0, 0, 1), 2);
    expect(Array.from(y)).toEqual([0, 5, 0, 15, 12.5, 60]);
  });

  it('refuses to dequantize a computed tensor, naming the node', () => {
    const model = onnxModel({
      input: { name: 'x', shape: ['N', 2] },
      initializers: [float('scale', [], [0.5])],
      nodes: [{ op: 'DequantizeLinear', inputs: ['x', 'scale'], outputs: ['y'], name: 'dq' }],
    });
    expect(() => graphFromOnnx(model, 'hand.onnx')).toThrow(
      /dq.*DequantizeLinear.*computed tensor/,
    );
  });
});
