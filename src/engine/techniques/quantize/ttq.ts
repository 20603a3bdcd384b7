/**
 * Trained Ternary Quantization (Zhu, Han, Mao, Dally, ICLR 2017). Each quantized kernel computes
 * with w_t = +Wp where w > delta, 0 where |w| <= delta, -Wn where w < -delta, delta = t * max|w|
 * (per layer, no gradient), while training updates the float latent weights w and the two
 * learned per-layer scales Wp and Wn (the transform's trainable tensors). Gradients as in the
 * authors' code (../shared/ALGORITHMS.md section 4):
 *   dL/dWp = sum over w > delta of dL/dw_t;  dL/dWn = -sum over w < -delta of dL/dw_t;
 *   dL/dw = Wp dL/dw_t (w > delta), dL/dw_t (|w| <= delta), Wn dL/dw_t (w < -delta).
 * Stored as 2 bits a weight plus the two scales (coding 'ternary').
 *
 * Deviation: the authors train from weights scaled to [-1, 1] with Wp = Wn = 1; fine-tuning a
 * trained float model here, Wp and Wn start at the mean magnitude of the weights above and
 * below the threshold, so the ternary network starts close to the float one.
 */
import * as tf from '@tensorflow/tfjs';
import type { TernaryCoding } from '../../model/coding.ts';
import type { LayerGraph, WeightTensor } from '../../model/graph.ts';
import { getTransform, registerTransform, type TensorTransform } from '../../model/transforms.ts';
import { RecipeError } from '../../recipe/errors.ts';
import { techniqueSpec } from '../catalog.ts';
import { numberParam, type Technique } from '../technique.ts';
import { trainRequest } from '../train/training-params.ts';
import { chooseLayers, codingSummary, kernelOf } from './binary-common.ts';

export const TTQ_TRANSFORM = 'ttq';

const f32 = Math.fround;

/** w_t with TTQ's gradients, for one latent tensor and its scales ([1] each). */
const ternarize = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [w, wp, wn, t] = args as tf.Tensor[];
  const save = args[4] as tf.GradSaveFunc;
  const delta = tf.mul(tf.max(tf.abs(w)), t);
  const positive = tf.cast(tf.greater(w, delta), 'float32');
  const negative = tf.cast(tf.less(w, tf.neg(delta)), 'float32');
  save([positive, negative, wp, wn]);
  return {
    value: tf.sub(tf.mul(positive, wp), tf.mul(negative, wn)),
    gradFunc: (dy: tf.Tensor, [pos, neg, p, n]: tf.Tensor[]) => {
      const zero = tf.sub(1, tf.add(pos, neg));
      const dw = tf.mul(dy, tf.add(tf.add(tf.mul(pos, p), tf.mul(neg, n)), zero));
      const dwp = tf.reshape(tf.sum(tf.mul(dy, pos)), [1]);
      const dwn = tf.reshape(tf.neg(tf.sum(tf.mul(dy, neg))), [1]);
      return [dw, dwp, dwn, tf.zerosLike(t)];
    },
  };
});

export function checkThreshold(t: number): void {
  if (!(t > 0 && t < 1)) {
    throw new RecipeError(`the threshold must lie strictly between 0 and 1 (got ${t})`);
  }
}

/** The ternary values and their coding, computed on the host exactly as `apply` computes. */
export function ternaryOf(
  values: Float32Array,
  threshold: number,
  positive: number,
  negative: number,
): { values: Float32Array; coding: TernaryCoding } {
  let max = 0;
  for (const v of values) max = Math.max(max, Math.abs(v));
  const delta = f32(max * f32(threshold)); // float32 multiply, as tf.mul does
  const p = f32(positive);
  const n = f32(negative);
  const out = values.map((v) => (v > delta ? p : v < -delta ? -n : 0));
  return { values: out, coding: { kind: 'ternary', positive: p, negative: n } };
}

const ttqTransform: TensorTransform = {
  id: TTQ_TRANSFORM,
  apply(x, params, tensors) {
    const { positive, negative } = tensors;
    if (!positive || !negative) throw new Error('a ttq transform needs its two scales');
    return ternarize(x, positive, negative, tf.scalar(params.threshold)) as tf.Tensor;
  },
  coding(values, _shape, params, tensors, mask) {
    const masked = mask ? values.map((v, i) => (mask[i] ? v : 0)) : values;
    return ternaryOf(masked, params.threshold, tensors.positive[0], tensors.negative[0]);
  },
};
registerTransform(ttqTransform);

/** Starting scales: the mean magnitude of the weights above and below the threshold. */
export function initialScales(values: Float32Array, threshold: number): [number, number] {
  let max = 0;
  for (const v of values) max = Math.max(max, Math.abs(v));
  const delta = f32(max * f32(threshold));
  let [ps, pc, ns, nc] = [0, 0, 0, 0];
  for (const v of values) {
    if (v > delta) [ps, pc] = [ps + v, pc + 1];
    else if (v < -delta) [ns, nc] = [ns - v, nc + 1];
  }
  return [pc ? ps / pc : max, nc ? ns / nc : max];
}

/** Puts the TTQ transform on a kernel, scales initialized from its weights. */
export function attachTtq(w: WeightTensor, threshold: number): void {
  checkThreshold(threshold);
  const [p, n] = initialScales(w.values, threshold);
  w.transform = {
    id: TTQ_TRANSFORM,
    params: { threshold },
    tensors: {
      positive: { shape: [1], values: Float32Array.of(p), trainable: true },
      negative: { shape: [1], values: Float32Array.of(n), trainable: true },
    },
  };
  w.coding = undefined;
}

/**
 * Replaces a transformed kernel's latent floats by what it computes with and records the
 * coding, so the stored tensor is the ternary one. The transform stays (a later fine-tuning
 * keeps the constraint) when it gives these values back unchanged, which holds unless one
 * scale is under t times the other.
 */
export function freezeTtq(w: WeightTensor): TernaryCoding {
  const ref = w.transform!;
  const tensors = Object.fromEntries(
    Object.entries(ref.tensors ?? {}).map(([k, v]) => [k, v.values]),
  );
  const frozen = getTransform(ref.id).coding!(w.values, w.shape, ref.params, tensors, w.mask);
  w.values = frozen.values;
  const { positive, negative } = frozen.coding as TernaryCoding;
  const delta = f32(Math.max(Math.abs(positive), Math.abs(negative)) * f32(ref.params.threshold));
  if (!(positive > delta && negative > delta)) w.transform = undefined;
  w.coding = frozen.coding;
  return frozen.coding as TernaryCoding;
}

export const ttq: Technique = {
  ...techniqueSpec('ttq'),
  async apply(graph: LayerGraph, params, context) {
    const threshold = numberParam(params, 'threshold');
    checkThreshold(threshold);
    const { layers, skipped } = chooseLayers(graph, params, (node) =>
      node.weights.some((w) => w.prunable) ? undefined : 'has no kernel to ternarize',
    );
    for (const node of layers) attachTtq(kernelOf(node), threshold);
    const training =
      numberParam(params, 'epochs') > 0 ? await context.train(graph, trainRequest(params)) : null;
    const report: Record<string, { positive: number; negative: number; zeros: number }> = {};
    for (const node of layers) {
      const w = kernelOf(node);
      const coding = freezeTtq(w);
      let zeros = 0;
      for (const v of w.values) if (v === 0) zeros++;
      report[node.name] = {
        positive: coding.positive,
        negative: coding.negative,
        zeros: zeros / w.values.length,
      };
    }
    const summary = codingSummary(graph);
    return {
      ternary: report,
      skipped,
      codedBytes: summary.bytes,
      training: training?.epochs,
    };
  },
};
