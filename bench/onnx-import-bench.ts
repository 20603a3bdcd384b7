/**
 * `tsx bench/onnx-import-bench.ts`: how long importing an ONNX image classifier of about 1M
 * parameters takes (issue 19's target: under 2 s). The model is built here (a PyTorch-style
 * NCHW CNN: two convs, a max pool, x.view(x.size(0), -1), two Gemms; 1,023,226 weights) and
 * written with the lab's own ONNX encoder; the time is decodeOnnx (protobuf and caps) plus
 * graphFromOnnx (layouts, the C,H,W row permutation of the first dense layer), the first (cold) run
 * and the median of the next ones, printed and not asserted.
 */
import { decodeOnnx } from '../src/engine/onnx/decode.ts';
import { encodeOnnx } from '../src/engine/onnx/encode.ts';
import { floatTensor, intTensor, onnxModel } from '../src/engine/onnx/build-model.ts';
import { graphFromOnnx } from '../src/engine/onnx/to-graph.ts';

const RUNS = 7;

function weights(name: string, dims: number[], seed: number) {
  const n = dims.reduce((a, b) => a * b, 1);
  let state = seed;
  const values = Float32Array.from({ length: n }, () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return (state / 2 ** 31 - 0.5) * 0.1;
  });
  return floatTensor(name, dims, values);
}

const model = onnxModel({
  opset: 13,
  input: { name: 'input', shape: ['batch', 1, 28, 28] },
  initializers: [
    weights('conv1.weight', [32, 1, 3, 3], 1),
    weights('conv1.bias', [32], 2),
    weights('conv2.weight', [64, 32, 3, 3], 3),
    weights('conv2.bias', [64], 4),
    weights('fc1.weight', [80, 64 * 14 * 14], 5),
    weights('fc1.bias', [80], 6),
    weights('fc2.weight', [10, 80], 7),
    weights('fc2.bias', [10], 8),
    intTensor('zero', [], [0]),
    intTensor('axes', [1], [0]),
    intTensor('minus_one', [1], [-1]),
  ],
  nodes: [
    {
      op: 'Conv',
      name: '/conv1/Conv',
      inputs: ['input', 'conv1.weight', 'conv1.bias'],
      outputs: ['c1'],
      attributes: { pads: [1, 1, 1, 1] },
    },
    { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
    {
      op: 'Conv',
      name: '/conv2/Conv',
      inputs: ['r1', 'conv2.weight', 'conv2.bias'],
      outputs: ['c2'],
      attributes: { pads: [1, 1, 1, 1] },
    },
    { op: 'Relu', inputs: ['c2'], outputs: ['r2'] },
    {
      op: 'MaxPool',
      inputs: ['r2'],
      outputs: ['p'],
      attributes: { kernel_shape: [2, 2], strides: [2, 2] },
    },
    { op: 'Shape', inputs: ['p'], outputs: ['s'] },
    { op: 'Gather', inputs: ['s', 'zero'], outputs: ['n'], attributes: { axis: 0 } },
    { op: 'Unsqueeze', inputs: ['n', 'axes'], outputs: ['n1'] },
    { op: 'Concat', inputs: ['n1', 'minus_one'], outputs: ['shape'], attributes: { axis: 0 } },
    { op: 'Reshape', inputs: ['p', 'shape'], outputs: ['f'] },
    {
      op: 'Gemm',
      name: '/fc1/Gemm',
      inputs: ['f', 'fc1.weight', 'fc1.bias'],
      outputs: ['h'],
      attributes: { transB: 1 },
    },
    { op: 'Relu', inputs: ['h'], outputs: ['hr'] },
    {
      op: 'Gemm',
      name: '/fc2/Gemm',
      inputs: ['hr', 'fc2.weight', 'fc2.bias'],
      outputs: ['logits'],
      attributes: { transB: 1 },
    },
  ],
});

const bytes = encodeOnnx(model);
const times: number[] = [];
let params = 0;
let cold = 0;
for (let run = 0; run <= RUNS; run++) {
  const start = performance.now();
  const { graph } = graphFromOnnx(decodeOnnx(bytes, 'bench.onnx'), 'bench.onnx');
  const elapsed = performance.now() - start;
  params = graph.params;
  if (run === 0) cold = elapsed;
  else times.push(elapsed);
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
console.log(
  `ONNX import of ${params.toLocaleString('en-US')} parameters (${(bytes.length / 2 ** 20).toFixed(1)} MiB): first ${cold.toFixed(0)} ms, then median ${median.toFixed(0)} ms over ${RUNS} runs (min ${times[0].toFixed(0)}, max ${times[times.length - 1].toFixed(0)}); target < 2000 ms`,
);
