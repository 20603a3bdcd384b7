/**
 * Add, Sub, Mul and Div. Two computed tensors of one shape: the lab's Add or Multiply. A tensor
 * and a constant that is one number or one per channel: a bias the conv or dense layer before
 * it takes on (MatMul + Add), else the lab's Scale (x * gamma + beta). Two constants (shape
 * arithmetic): folded.
 */
import { makeWeight } from '../../model/graph.ts';
import { alongLabChannels, perChannelConstant } from './channels.ts';
import type { Conversion } from './conversion.ts';
import { BATCH, floatsOf, sameDims, sameOrder, type Constant, type TensorValue } from './values.ts';

type Op = 'Add' | 'Sub' | 'Mul' | 'Div';

const apply = (op: Op, a: number, b: number) =>
  op === 'Add' ? a + b : op === 'Sub' ? a - b : op === 'Mul' ? a * b : a / b;

function fold(cx: Conversion, op: Op, a: Constant, b: Constant): Constant {
  const size = (c: Constant) => c.values.length;
  const dims = size(a) >= size(b) ? a.dims : b.dims;
  if (size(a) !== size(b) && size(a) !== 1 && size(b) !== 1) {
    throw cx.refuse(
      `combines constants of shapes [${a.dims.join(', ')}] and [${b.dims.join(', ')}]`,
    );
  }
  const at = (c: Constant, i: number) => c.values[c.values.length === 1 ? 0 : i];
  const n = Math.max(size(a), size(b));
  if (a.kind === 'ints' && b.kind === 'ints') {
    const values = Array.from({ length: n }, (_, i) => {
      const x = at(a, i);
      const y = at(b, i);
      if (x === BATCH || y === BATCH) throw cx.refuse('computes with the batch size');
      return op === 'Div' ? Math.trunc(x / y) : apply(op, x, y);
    });
    return { kind: 'ints', dims, values };
  }
  const x = floatsOf(a);
  const y = floatsOf(b);
  if (!x || !y) throw cx.refuse('computes with the batch size');
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++)
    values[i] = apply(op, x[x.length === 1 ? 0 : i], y[y.length === 1 ? 0 : i]);
  return { kind: 'floats', dims, values };
}

const TAKES_BIAS = ['Conv2D', 'DepthwiseConv2D', 'Dense'];

/** x + bias, folded into the layer that makes x when it has no bias and nothing else reads it. */
function addBias(cx: Conversion, x: TensorValue, bias: Float32Array): void {
  const producer = cx.labNode(x.node);
  if (
    TAKES_BIAS.includes(producer.className) &&
    producer.config.activation === 'linear' &&
    !producer.weights.some((w) => w.role === 'bias') &&
    cx.soleReader(x.node)
  ) {
    producer.weights.push(makeWeight(producer.name, 'bias', [bias.length], bias));
    producer.config = { ...producer.config, useBias: true };
    cx.define(x);
    return;
  }
  emitScale(cx, x, new Float32Array(bias.length).fill(1), bias);
}

function emitScale(cx: Conversion, x: TensorValue, gamma: Float32Array, beta?: Float32Array): void {
  const c = gamma.length;
  const weights: ['gamma' | 'beta', readonly number[], Float32Array][] = [['gamma', [c], gamma]];
  if (beta) weights.push(['beta', [c], beta]);
  cx.define({ ...x, node: cx.emit('Scale', {}, [x.node], weights) });
}

export function convertArithmetic(op: Op) {
  return (cx: Conversion): void => {
    // Before opset 7 a constant could broadcast from a chosen axis; the lab reads numpy's rule.
    if (
      cx.opset < 7 &&
      cx.attrInt('broadcast', 0) !== 0 &&
      cx.current.node.attributes.has('axis')
    ) {
      throw cx.refuse('broadcasts from an axis (legacy broadcast)');
    }
    cx.onlyAttributes(cx.opset < 7 ? ['broadcast', 'axis', 'consumed_inputs'] : []);
    const a = cx.input(0);
    const b = cx.input(1);
    if (a.kind !== 'tensor' && b.kind !== 'tensor') {
      cx.define(fold(cx, op, a, b));
      return;
    }
    if (a.kind === 'tensor' && b.kind === 'tensor') {
      if (op !== 'Add' && op !== 'Mul')
        throw cx.refuse('combines two computed tensors; the lab adds and multiplies them');
      if (
        !sameDims(a.shape, b.shape) ||
        !sameDims(a.labShape, b.labShape) ||
        !sameOrder(a.order, b.order)
      ) {
        throw cx.refuse(
          `combines tensors [N, ${a.shape.join(', ')}] and [N, ${b.shape.join(', ')}]; the lab ${op === 'Add' ? 'adds' : 'multiplies'} tensors of one shape`,
        );
      }
      cx.define({ ...a, node: cx.emit(op === 'Add' ? 'Add' : 'Multiply', {}, [a.node, b.node]) });
      return;
    }
    const tensorFirst = a.kind === 'tensor';
    const x = (tensorFirst ? a : b) as TensorValue;
    const constant = (tensorFirst ? b : a) as Constant;
    const raw = floatsOf(constant);
    const perChannel = raw && perChannelConstant(x, constant.dims, raw);
    if (!perChannel) {
      throw cx.refuse(
        `combines [N, ${x.shape.join(', ')}] with a constant of shape [${constant.dims.join(', ')}]; the lab takes one number or one per channel`,
      );
    }
    const values = alongLabChannels(cx, x, perChannel);
    const ones = new Float32Array(values.length).fill(1);
    if (op === 'Add') addBias(cx, x, values);
    else if (op === 'Sub' && tensorFirst)
      addBias(
        cx,
        x,
        values.map((v) => -v),
      );
    else if (op === 'Sub')
      emitScale(
        cx,
        x,
        ones.map(() => -1),
        values,
      );
    else if (op === 'Mul') emitScale(cx, x, values);
    else if (tensorFirst)
      emitScale(
        cx,
        x,
        values.map((v) => 1 / v),
      );
    else throw cx.refuse('divides a constant by a computed tensor');
  };
}
