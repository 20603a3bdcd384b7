/**
 * Elementwise ops with no weights of their own: Relu (fused into the conv or dense layer it
 * follows when nothing else reads that layer), LeakyRelu, Clip, Sigmoid, Tanh, HardSigmoid,
 * HardSwish, Softmax, Dropout and Identity.
 */
import type { Conversion } from './conversion.ts';
import { floatsOf, type TensorValue } from './values.ts';

/** ONNX's Clip bounds when none is given (the float range). */
const FLOAT_LOWEST = -3.4028234663852886e38;
const FLOAT_MAX = 3.4028234663852886e38;
const FUSES_RELU = ['Conv2D', 'DepthwiseConv2D', 'Dense'];

function sameValue(cx: Conversion, x: TensorValue, className: string, config: object): void {
  cx.define({ ...x, node: cx.emit(className, config as Record<string, unknown>, [x.node]) });
}

export function convertRelu(cx: Conversion): void {
  cx.onlyAttributes([]);
  const x = cx.tensor(0);
  const producer = cx.labNode(x.node);
  if (
    FUSES_RELU.includes(producer.className) &&
    producer.config.activation === 'linear' &&
    cx.soleReader(x.node)
  ) {
    producer.config = { ...producer.config, activation: 'relu' };
    cx.define(x);
    return;
  }
  sameValue(cx, x, 'ReLU', {});
}

export function convertLeakyRelu(cx: Conversion): void {
  cx.onlyAttributes(['alpha']);
  sameValue(cx, cx.tensor(0), 'LeakyReLU', { alpha: cx.attrFloat('alpha', 0.01) });
}

export function convertUnary(activation: 'sigmoid' | 'tanh') {
  return (cx: Conversion): void => {
    cx.onlyAttributes([]);
    sameValue(cx, cx.tensor(0), 'Activation', { activation });
  };
}

function bound(cx: Conversion, i: number, what: string): number | undefined {
  if (!cx.optionalInput(i)) return undefined;
  const values = cx.floatInput(i, what).values;
  if (values.length !== 1) throw cx.refuse(`has a ${what} that is not one number`);
  return values[0];
}

export function convertClip(cx: Conversion): void {
  const x = cx.tensor(0);
  let min: number;
  let max: number;
  if (cx.opset < 11) {
    cx.onlyAttributes(['min', 'max']);
    min = cx.attrFloat('min', FLOAT_LOWEST);
    max = cx.attrFloat('max', FLOAT_MAX);
  } else {
    cx.onlyAttributes([]);
    min = bound(cx, 1, 'minimum') ?? FLOAT_LOWEST;
    max = bound(cx, 2, 'maximum') ?? FLOAT_MAX;
  }
  min = Math.max(min, FLOAT_LOWEST);
  max = Math.min(max, FLOAT_MAX);
  if (!(min <= max)) throw cx.refuse(`clips to [${min}, ${max}], which is empty`);
  const config: Record<string, number> = {};
  if (max < FLOAT_MAX) config.maxValue = max;
  if (min !== 0) config.minValue = min;
  sameValue(cx, x, 'ReLU', config);
}

/** clip(alpha * x + beta, 0, 1) as a Scale and a ReLU capped at 1; returns the ReLU's node. */
function hardSigmoid(cx: Conversion, x: TensorValue, alpha: number, beta: number): string {
  const c = x.labShape[x.labShape.length - 1];
  const scaled = cx.emit(
    'Scale',
    {},
    [x.node],
    [
      ['gamma', [c], new Float32Array(c).fill(alpha)],
      ['beta', [c], new Float32Array(c).fill(beta)],
    ],
    '_affine',
  );
  return cx.emit('ReLU', { maxValue: 1 }, [scaled]);
}

export function convertHardSigmoid(cx: Conversion): void {
  cx.onlyAttributes(['alpha', 'beta']);
  const x = cx.tensor(0);
  cx.define({
    ...x,
    node: hardSigmoid(cx, x, cx.attrFloat('alpha', 0.2), cx.attrFloat('beta', 0.5)),
  });
}

export function convertHardSwish(cx: Conversion): void {
  cx.onlyAttributes([]);
  const x = cx.tensor(0);
  const gate = hardSigmoid(cx, x, 1 / 6, 0.5);
  cx.define({ ...x, node: cx.emit('Multiply', {}, [x.node, gate], [], '_swish') });
}

export function convertSoftmax(cx: Conversion): void {
  cx.onlyAttributes(['axis']);
  const x = cx.tensor(0);
  const rank = x.shape.length + 1;
  let axis = cx.attrInt('axis', cx.opset < 13 ? 1 : -1);
  if (axis < 0) axis += rank;
  // Before opset 13 the input is flattened into [N, rest] from the axis on.
  const lastOnly = cx.opset < 13 ? axis === 1 && x.labShape.length === 1 : axis === rank - 1;
  const labLast =
    x.labShape.length === 1 || (x.order === null && x.labShape.length === x.shape.length);
  if (!lastOnly || !labLast) {
    throw cx.refuse(
      `normalizes axis ${axis} of [N, ${x.shape.join(', ')}]; the lab runs softmax over the class scores [N, K]`,
    );
  }
  sameValue(cx, x, 'Softmax', { axis: -1 });
}

/**
 * LogSoftmax as the model's output (PyTorch's log_softmax classifiers): the lab's Softmax over
 * the same scores, whose log is the ONNX output (OnnxImport.logProbabilities).
 */
export function convertLogSoftmax(cx: Conversion): void {
  if (cx.current.node.outputs[0] !== cx.outputName || cx.readCount(cx.outputName) !== 1) {
    throw cx.refuse("is not the model's output; the lab imports LogSoftmax only as the last op");
  }
  convertSoftmax(cx);
  const node = cx.labNode((cx.values.get(cx.outputName) as { node: string }).node);
  // Marks the Softmax that stands for the LogSoftmax (a key the executor does not read).
  node.config = { ...node.config, logOf: true };
}

export function convertDropout(cx: Conversion): void {
  cx.onlyAttributes(['ratio', 'is_test', 'seed', 'consumed_inputs']);
  const mask = cx.current.node.outputs[1];
  if (mask && cx.readCount(mask) > 0) throw cx.refuse('has its mask read');
  let rate = cx.attrFloat('ratio', 0.5);
  if (cx.opset >= 12) {
    const ratio = cx.optionalInput(1);
    rate = ratio && ratio.kind !== 'tensor' ? (floatsOf(ratio)?.[0] ?? 0.5) : 0.5;
    const training = cx.optionalInput(2);
    if (training && (training.kind === 'tensor' || floatsOf(training)?.[0] !== 0)) {
      throw cx.refuse('runs in training mode');
    }
  }
  if (!(rate >= 0 && rate < 1)) throw cx.refuse(`has a ratio of ${rate}`);
  sameValue(cx, cx.tensor(0), 'Dropout', { rate });
}

export function convertIdentity(cx: Conversion): void {
  cx.onlyAttributes([]);
  cx.define(cx.input(0));
}
