import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeModel, encodeModel } from '../encode/model-file.ts';
import { useNodeBackend } from '../node/backend.ts';
import { createPredictor } from '../model/program.ts';
import { deserializeGraph, serializeGraph } from '../model/serialize.ts';
import { floatTensor, intTensor, onnxModel, type ModelSpec } from './build-model.ts';
import { OnnxError } from './onnx-model.ts';
import { logitsGraph, predictOnnxLayout } from './run-imported.ts';
import { graphFromOnnx, type OnnxImport } from './to-graph.ts';

beforeAll(async () => {
  await useNodeBackend('cpu');
});

const imported = (spec: ModelSpec) => graphFromOnnx(onnxModel(spec), 'hand.onnx');

async function run(spec: ModelSpec, input: number[], batch = 1): Promise<number[]> {
  return [...(await predictOnnxLayout(imported(spec), Float32Array.from(input), batch))];
}

function expectClose(actual: readonly number[], expected: readonly number[], digits = 5): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, i) => expect(v, `element ${i}`).toBeCloseTo(expected[i], digits));
}

/** Conv (2 filters) -> Relu -> Flatten -> Gemm on a 3x3 image: two channels of 2x2 flattened. */
const convNet: ModelSpec = {
  input: { name: 'image', shape: ['batch', 1, 3, 3] },
  initializers: [
    // filter 0: [[1, 0], [0, 1]]; filter 1: [[0, 1], [-1, 0]]
    floatTensor('w', [2, 1, 2, 2], [1, 0, 0, 1, 0, 1, -1, 0]),
    floatTensor('b', [2], [0, 0]),
    // unit 0 reads channel 0 at (0, 0); unit 1 reads channel 0 at (0, 1) minus channel 1 at (1, 1)
    floatTensor('fc', [2, 8], [1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, -1]),
    floatTensor('fc_b', [2], [0.5, -1]),
  ],
  nodes: [
    { op: 'Conv', inputs: ['image', 'w', 'b'], outputs: ['c'], name: '/conv1/Conv' },
    { op: 'Relu', inputs: ['c'], outputs: ['r'], name: '/relu/Relu' },
    { op: 'Flatten', inputs: ['r'], outputs: ['f'], attributes: { axis: 1 } },
    {
      op: 'Gemm',
      inputs: ['f', 'fc', 'fc_b'],
      outputs: ['logits'],
      name: '/fc/Gemm',
      attributes: { transB: 1 },
    },
  ],
};
const IMAGE = [1, 2, 0, 0, 1, 3, 2, 0, 1];

describe('graphFromOnnx on hand-built models', () => {
  it('converts a conv net and reads the flattened NCHW features in the lab order', async () => {
    // By hand: channel 0 = x[y][x] + x[y+1][x+1] = [2, 5, 0, 2]; channel 1 = x[y][x+1] - x[y+1][x]
    // = [2, -1, -1, 3] -> ReLU [2, 0, 0, 3]. Logits: 2 + 0.5 = 2.5 and 5 - 3 - 1 = 1.
    const result = imported(convNet);
    expect(result.graph.nodes.map((n) => `${n.name}:${n.className}`)).toEqual([
      'image:InputLayer',
      'conv1:Conv2D',
      'fc_flatten:Flatten',
      'fc:Dense',
      'fc_softmax:Softmax',
    ]);
    expect(result.graph.node('conv1').config.activation).toBe('relu');
    expect(result.appendedSoftmax).toBe('fc_softmax');
    expect(result.logits).toBe('fc');
    expect(result.input).toEqual({ name: 'image', shape: ['batch', 1, 3, 3], layout: 'NCHW' });
    expectClose(await run(convNet, IMAGE), [2.5, 1]);
    // Two images in one batch: the second is the first times 2 (conv and relu scale with it).
    expectClose(await run(convNet, [...IMAGE, ...IMAGE.map((v) => 2 * v)], 2), [2.5, 1, 4.5, 3]);
  });

  it('folds the Shape/Gather/Unsqueeze/Concat chain of x.view(x.size(0), -1) (opsets 11 and 13)', async () => {
    for (const opset of [11, 13]) {
      const axes = opset < 13 ? { attributes: { axes: [0] } } : {};
      const spec: ModelSpec = {
        ...convNet,
        opset,
        initializers: [
          ...convNet.initializers!,
          intTensor('zero', [], [0]),
          intTensor('minus_one', [1], [-1]),
          ...(opset < 13 ? [] : [intTensor('axes', [1], [0])]),
        ],
        nodes: [
          convNet.nodes[0],
          convNet.nodes[1],
          { op: 'Shape', inputs: ['r'], outputs: ['s'] },
          { op: 'Gather', inputs: ['s', 'zero'], outputs: ['n'], attributes: { axis: 0 } },
          { op: 'Unsqueeze', inputs: opset < 13 ? ['n'] : ['n', 'axes'], outputs: ['n1'], ...axes },
          {
            op: 'Concat',
            inputs: ['n1', 'minus_one'],
            outputs: ['shape'],
            attributes: { axis: 0 },
          },
          { op: 'Reshape', inputs: ['r', 'shape'], outputs: ['f'] },
          convNet.nodes[3],
        ],
      };
      expectClose(await run(spec, IMAGE), [2.5, 1]);
      expect(imported(spec).graph.nodes.some((n) => n.className === 'Reshape')).toBe(false);
    }
  });

  it('reads an NHWC flatten (a Transpose before the Flatten) without permuting the kernel', async () => {
    // x = 1..8 as [C=2, H=2, W=2]; after Transpose(0, 2, 3, 1), feature 1 is (h 0, w 0, c 1) = 5.
    const spec: ModelSpec = {
      input: { name: 'x', shape: [1, 2, 2, 2] },
      initializers: [floatTensor('fc', [8, 1], [0, 1, 0, 0, 0, 0, 0, 0])],
      nodes: [
        { op: 'Transpose', inputs: ['x'], outputs: ['t'], attributes: { perm: [0, 2, 3, 1] } },
        { op: 'Flatten', inputs: ['t'], outputs: ['f'] },
        { op: 'MatMul', inputs: ['f', 'fc'], outputs: ['y'] },
      ],
    };
    expectClose(await run(spec, [1, 2, 3, 4, 5, 6, 7, 8]), [5]);
    // A transpose back to NCHW cancels: the conv that follows reads the lab's image.
    const back: ModelSpec = {
      input: { name: 'x', shape: [1, 2, 2, 2] },
      initializers: [floatTensor('w', [1, 2, 1, 1], [1, 10])],
      nodes: [
        { op: 'Transpose', inputs: ['x'], outputs: ['t'], attributes: { perm: [0, 2, 3, 1] } },
        { op: 'Transpose', inputs: ['t'], outputs: ['u'], attributes: { perm: [0, 3, 1, 2] } },
        { op: 'Conv', inputs: ['u', 'w'], outputs: ['c'] },
        { op: 'Flatten', inputs: ['c'], outputs: ['f'] },
      ],
    };
    // out = c0 + 10 * c1 at each of the 4 positions: 1 + 50, 2 + 60, 3 + 70, 4 + 80.
    expectClose(await run(back, [1, 2, 3, 4, 5, 6, 7, 8]), [51, 62, 73, 84]);
  });

  it('makes MatMul + Add one dense layer with a bias', async () => {
    const spec: ModelSpec = {
      input: { name: 'x', shape: ['n', 3] },
      initializers: [
        floatTensor('w', [3, 2], [1, 2, 3, 4, 5, 6]),
        floatTensor('b', [2], [0.5, -0.5]),
      ],
      nodes: [
        { op: 'MatMul', inputs: ['x', 'w'], outputs: ['m'] },
        { op: 'Add', inputs: ['m', 'b'], outputs: ['y'] },
      ],
    };
    const result = imported(spec);
    expect(result.graph.nodes.map((n) => n.className)).toEqual(['InputLayer', 'Dense', 'Softmax']);
    expect(result.input.layout).toBe('NC');
    // [1, 1, 1] . w = [1 + 3 + 5, 2 + 4 + 6] = [9, 12]
    expectClose(await run(spec, [1, 1, 1]), [9.5, 11.5]);
  });

  it('fuses a ReLU or a bias into the layer before only when nothing else reads that layer', async () => {
    // m = x . w = [2, -3] for x = [1, -1], read by the Add and, renamed r, by the ReLU.
    const spec: ModelSpec = {
      input: { name: 'x', shape: ['n', 2] },
      initializers: [floatTensor('w', [2, 2], [2, 0, 0, 3]), intTensor('shape', [2], [-1, 2])],
      nodes: [
        { op: 'MatMul', inputs: ['x', 'w'], outputs: ['m'] },
        { op: 'Reshape', inputs: ['m', 'shape'], outputs: ['r'] },
        { op: 'Relu', inputs: ['r'], outputs: ['a'] },
        { op: 'Add', inputs: ['a', 'm'], outputs: ['y'] },
      ],
    };
    expectClose(await run(spec, [1, -1]), [4, -3]);
  });

  it('computes HardSwish (opset 14) and x * HardSigmoid(x) (PyTorch before opset 14) alike', async () => {
    const x = [-4, -1, 0, 1, 4];
    // x * clip(x / 6 + 1 / 2, 0, 1)
    const expected = [0, -1 / 3, 0, 2 / 3, 4];
    const hardSwish: ModelSpec = {
      opset: 14,
      input: { name: 'x', shape: ['n', 5] },
      nodes: [{ op: 'HardSwish', inputs: ['x'], outputs: ['y'] }],
    };
    const product: ModelSpec = {
      opset: 13,
      input: { name: 'x', shape: ['n', 5] },
      nodes: [
        {
          op: 'HardSigmoid',
          inputs: ['x'],
          outputs: ['h'],
          attributes: { alpha: 1 / 6, beta: 0.5 },
        },
        { op: 'Mul', inputs: ['x', 'h'], outputs: ['y'] },
      ],
    };
    expectClose(await run(hardSwish, x), expected);
    expectClose(await run(product, x), expected);
  });

  it('takes a LogSoftmax output as the Softmax of the same scores, and refuses one elsewhere', async () => {
    const spec: ModelSpec = {
      input: { name: 'x', shape: ['n', 2] },
      initializers: [floatTensor('w', [2, 3], [1, 0, -1, 0, 1, 2])],
      nodes: [
        { op: 'MatMul', inputs: ['x', 'w'], outputs: ['m'] },
        { op: 'LogSoftmax', inputs: ['m'], outputs: ['y'], attributes: { axis: 1 } },
      ],
    };
    const result = imported(spec);
    expect(result.logProbabilities).toBe(true);
    expect(result.appendedSoftmax).toBeNull();
    expect(result.graph.node(result.graph.output).className).toBe('Softmax');
    // scores [1, 2] . w = [1, 2, 3]; log-softmax = s - ln(e + e^2 + e^3)
    const norm = Math.log(Math.E + Math.E ** 2 + Math.E ** 3);
    expectClose(await run(spec, [1, 2]), [1 - norm, 2 - norm, 3 - norm]);
    const inside: ModelSpec = {
      ...spec,
      nodes: [...spec.nodes, { op: 'Relu', inputs: ['y'], outputs: ['z'] }],
    };
    expect(() => imported(inside)).toThrow(/\(LogSoftmax, opset 13\) is not the model's output/);
  });

  it('pools with padding that is never the maximum, or counted in the average only when asked', async () => {
    const x = [-1, -2, -3, -4]; // one 2x2 image
    const pool = (op: string, countIncludePad?: number): ModelSpec => ({
      input: { name: 'x', shape: [1, 1, 2, 2] },
      nodes: [
        {
          op,
          inputs: ['x'],
          outputs: ['p'],
          attributes: {
            kernel_shape: [2, 2],
            pads: [1, 1, 1, 1],
            ...(countIncludePad === undefined ? {} : { count_include_pad: countIncludePad }),
          },
        },
        { op: 'Flatten', inputs: ['p'], outputs: ['f'] },
      ],
    });
    // 3x3 windows of 2x2 over the padded image, by hand.
    expectClose(await run(pool('MaxPool'), x), [-1, -1, -2, -1, -1, -2, -3, -3, -4]);
    expectClose(
      await run(pool('AveragePool', 1), x),
      [-0.25, -0.75, -0.5, -1, -2.5, -1.5, -0.75, -1.75, -1],
    );
    expectClose(await run(pool('AveragePool', 0), x), [-1, -1.5, -2, -2, -2.5, -3, -3, -3.5, -4]);
  });

  it('converts batch norm, clips, activations, constants and two-tensor ops with their formulas', async () => {
    const spec: ModelSpec = {
      opset: 13,
      input: { name: 'x', shape: ['n', 3] },
      initializers: [
        floatTensor('gamma', [3], [1, 2, 3]),
        floatTensor('beta', [3], [0, 1, -1]),
        floatTensor('mean', [3], [1, 0, 2]),
        floatTensor('var', [3], [4, 1, 0.25]),
        floatTensor('lo', [], [-1]),
        floatTensor('hi', [], [2]),
        floatTensor('two', [], [2]),
        floatTensor('per', [3], [1, 2, 4]),
      ],
      nodes: [
        {
          op: 'BatchNormalization',
          inputs: ['x', 'gamma', 'beta', 'mean', 'var'],
          outputs: ['bn'],
          attributes: { epsilon: 0 },
        },
        { op: 'Clip', inputs: ['bn', 'lo', 'hi'], outputs: ['clip'] },
        { op: 'LeakyRelu', inputs: ['clip'], outputs: ['leaky'], attributes: { alpha: 0.5 } },
        { op: 'Sigmoid', inputs: ['x'], outputs: ['sig'] },
        { op: 'Tanh', inputs: ['x'], outputs: ['tanh'] },
        { op: 'Mul', inputs: ['sig', 'tanh'], outputs: ['prod'] },
        { op: 'Add', inputs: ['leaky', 'prod'], outputs: ['sum'] },
        { op: 'Div', inputs: ['sum', 'two'], outputs: ['half'] },
        { op: 'Sub', inputs: ['half', 'per'], outputs: ['y'] },
      ],
    };
    const x = [3, -2, 2.5];
    const bn = [((3 - 1) / 2) * 1 + 0, ((-2 - 0) / 1) * 2 + 1, ((2.5 - 2) / 0.5) * 3 - 1]; // [1, -3, 2]
    const clip = bn.map((v) => Math.min(2, Math.max(-1, v)));
    const leaky = clip.map((v) => (v < 0 ? 0.5 * v : v));
    const sig = x.map((v) => 1 / (1 + Math.exp(-v)));
    const expected = x.map((v, i) => (leaky[i] + sig[i] * Math.tanh(v)) / 2 - [1, 2, 4][i]);
    expectClose(await run(spec, x), expected);
  });

  it('refuses, naming the node, the op and the opset', () => {
    const withNode = (
      node: ModelSpec['nodes'][number],
      extra: Partial<ModelSpec> = {},
    ): ModelSpec => ({
      input: { name: 'x', shape: ['n', 4] },
      nodes: [node],
      ...extra,
    });
    expect(() => imported(withNode({ op: 'LSTM', inputs: ['x'], name: 'rnn' }))).toThrow(
      /hand\.onnx: node "rnn" \(LSTM, opset 13\) is not an op the lab imports/,
    );
    expect(() =>
      imported(withNode({ op: 'Relu', inputs: ['x'], name: 'r', domain: 'com.microsoft' })),
    ).toThrow(/node "r" \(Relu, opset 13\) is in domain "com\.microsoft"/);
    expect(() => imported(withNode({ op: 'Relu', inputs: ['x'] }, { opset: 22 }))).toThrow(
      /operator set 22; the lab imports opsets 1 to 21/,
    );
    expect(() =>
      imported({
        input: { name: 'x', shape: ['n', 'c', 28, 28] },
        nodes: [{ op: 'Relu', inputs: ['x'] }],
      }),
    ).toThrow(/only the batch \(the first dimension\) may vary/);
    const grouped: ModelSpec = {
      input: { name: 'x', shape: [1, 4, 3, 3] },
      initializers: [floatTensor('w', [4, 2, 1, 1], new Array(8).fill(1))],
      nodes: [{ op: 'Conv', inputs: ['x', 'w'], name: 'g', attributes: { group: 2 } }],
    };
    expect(() => imported(grouped)).toThrow(
      /node "g" \(Conv, opset 13\) has 2 groups of 2 channels/,
    );
    expect(() => imported(withNode({ op: 'Relu', inputs: ['x'], name: 'r' }))).not.toThrow();
    const err = (() => {
      try {
        imported(withNode({ op: 'Gemm', inputs: ['x', 'x'], name: 'dyn' }));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(OnnxError);
    expect((err as Error).message).toMatch(
      /node "dyn" \(Gemm, opset 13\) needs its weight \(B\) as a constant/,
    );
  });

  it('keeps its executor additions through the graph cache format and the compact model file', async () => {
    const specs: ModelSpec[] = [
      {
        input: { name: 'x', shape: [1, 1, 2, 2] },
        initializers: [floatTensor('lo', [], [-0.5]), floatTensor('b', [1, 1, 1], [0.25])],
        nodes: [
          {
            op: 'MaxPool',
            inputs: ['x'],
            outputs: ['p'],
            attributes: { kernel_shape: [2, 2], pads: [1, 1, 0, 0] },
          },
          { op: 'HardSwish', inputs: ['p'], outputs: ['h'] },
          { op: 'Clip', inputs: ['h', 'lo'], outputs: ['c'] },
          { op: 'Add', inputs: ['c', 'b'], outputs: ['a'] },
          { op: 'Flatten', inputs: ['a'], outputs: ['f'] },
        ],
        opset: 14,
      },
    ];
    for (const spec of specs) {
      const result = imported(spec);
      const classes = result.graph.nodes.map((n) => n.className);
      expect(classes).toEqual(
        expect.arrayContaining(['Scale', 'Multiply', 'ReLU', 'MaxPooling2D']),
      );
      const x = [-3, 1, 2, 5];
      const expected = await run(spec, x);
      const again = async (graph: OnnxImport['graph']) => [
        ...(await predictOnnxLayout(
          { ...result, graph, appendedSoftmax: null },
          Float32Array.from(x),
          1,
        )),
      ];
      const plain = logitsGraph(result);
      expectClose(await again(deserializeGraph(serializeGraph(plain)).graph), expected, 6);
      expectClose(await again(decodeModel(encodeModel(plain).bytes)), expected, 6);
    }
    expect(tf.memory().numTensors).toBeLessThan(50);
  });

  it('lets gradients through its executor additions (pool pads, Scale with beta, Multiply, clips)', async () => {
    const spec: ModelSpec = {
      opset: 14,
      input: { name: 'x', shape: [1, 1, 3, 3] },
      initializers: [floatTensor('lo', [], [-0.5]), floatTensor('b', [1, 1, 1], [0.25])],
      nodes: [
        {
          op: 'MaxPool',
          inputs: ['x'],
          outputs: ['p'],
          attributes: { kernel_shape: [2, 2], pads: [1, 1, 0, 0] },
        },
        {
          op: 'AveragePool',
          inputs: ['p'],
          outputs: ['q'],
          attributes: { kernel_shape: [2, 2], pads: [0, 0, 1, 1] },
        },
        { op: 'HardSwish', inputs: ['q'], outputs: ['h'] },
        { op: 'Clip', inputs: ['h', 'lo'], outputs: ['c'] },
        { op: 'Add', inputs: ['c', 'b'], outputs: ['a'] },
        { op: 'Flatten', inputs: ['a'], outputs: ['f'] },
      ],
    };
    const result = imported(spec);
    const predictor = createPredictor(logitsGraph(result));
    const x0 = [0.3, -1.2, 2.1, 0.7, -0.4, 1.6, -2.2, 0.9, 1.1];
    const f = (x: tf.Tensor) => tf.sum(tf.mul(predictor.predict(x), tf.range(1, 10)));
    const at = (values: number[]) => tf.tensor(values, [1, 3, 3, 1]);
    const analytic = await tf.grad(f)(at(x0)).data();
    const h = 1e-3;
    const numeric = x0.map((_, i) => {
      const up = x0.map((v, j) => (j === i ? v + h : v));
      const down = x0.map((v, j) => (j === i ? v - h : v));
      return (f(at(up)).dataSync()[0] - f(at(down)).dataSync()[0]) / (2 * h);
    });
    predictor.dispose();
    expect(analytic.some((g) => g !== 0)).toBe(true);
    expectClose([...analytic], numeric, 2);
  });
});
