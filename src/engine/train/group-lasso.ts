/**
 * Group lasso (Wen et al., NIPS 2016, "Structured Sparsity Learning"): lambda times the sum of
 * the L2 norms of weight groups. Groups on a tfjs kernel (HWIO for conv, [in, out] for dense):
 * - filters: one output channel, kernel[..., n] (conv) or one unit's column (dense);
 * - channels: one input channel, kernel[:, :, c, :] (conv) or one input feature's row (dense);
 * - shapes: one (kh, kw, c) fibre over all filters, kernel[m, k, c, :] (conv only).
 * The gradient of a norm at zero is taken as zero (Caffe's div_checkzero), so groups that reach
 * zero stay there instead of producing NaNs.
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerGraph } from '../model/graph.ts';
import type { Regularizer } from './finetune.ts';

export type GroupKind = 'filters' | 'channels' | 'shapes';

/** Reshapes a kernel to [groups, groupSize] for the given grouping. */
export function groupMatrix(kernel: tf.Tensor, kind: GroupKind): tf.Tensor2D {
  const shape = kernel.shape;
  const outC = shape[shape.length - 1];
  if (kind === 'filters') return tf.transpose(tf.reshape(kernel, [-1, outC])) as tf.Tensor2D;
  if (kind === 'channels') {
    const inC = shape[shape.length - 2];
    if (shape.length === 2) return kernel as tf.Tensor2D; // dense rows are input features
    // HWIO -> I x (H W O)
    return tf.reshape(tf.transpose(kernel, [2, 0, 1, 3]), [inC, -1]) as tf.Tensor2D;
  }
  return tf.reshape(kernel, [-1, outC]) as tf.Tensor2D; // rows are (kh, kw, c) fibres
}

/** Row-wise L2 norms whose gradient is w / ||w|| and 0 for a zero row. */
const safeRowNorms = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const m = args[0] as tf.Tensor2D;
  const save = args[1] as tf.GradSaveFunc;
  const norms = tf.sqrt(tf.sum(tf.square(m), 1));
  save([m, norms]);
  return {
    value: norms,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [x, n] = saved;
      const scale = tf.divNoNan(dy, n);
      return [tf.mul(x, tf.expandDims(scale, 1))];
    },
  };
});

export function groupNorms(kernel: tf.Tensor, kind: GroupKind): tf.Tensor1D {
  return tf.tidy(() => tf.sqrt(tf.sum(tf.square(groupMatrix(kernel, kind)), 1))) as tf.Tensor1D;
}

export interface GroupLassoTerm {
  /** Full kernel name, e.g. "conv2/kernel". */
  readonly weight: string;
  readonly kind: GroupKind;
  readonly lambda: number;
}

/** The regularizer for a list of (kernel, grouping, lambda) terms. */
export function groupLasso(terms: readonly GroupLassoTerm[]): Regularizer {
  return {
    id: 'group-lasso',
    penalty(weights) {
      return tf.tidy(() => {
        const parts = terms
          .filter((t) => t.lambda > 0)
          .map((t) => {
            const kernel = weights.get(t.weight);
            if (!kernel) throw new Error(`group lasso: no weight "${t.weight}"`);
            return tf.mul(tf.sum(safeRowNorms(groupMatrix(kernel, t.kind)) as tf.Tensor), t.lambda);
          });
        return (parts.length ? tf.addN(parts) : tf.scalar(0)) as tf.Scalar;
      });
    },
  };
}

/** Kernel names of the conv and dense layers of a graph, by layer kind. */
export function kernelsByKind(graph: LayerGraph): { conv: string[]; dense: string[] } {
  const conv: string[] = [];
  const dense: string[] = [];
  for (const node of graph.nodes) {
    const kernel = node.weights.find((w) => w.role === 'kernel');
    if (!kernel) continue;
    if (node.className === 'Conv2D') conv.push(kernel.name);
    else if (node.className === 'Dense') dense.push(kernel.name);
  }
  return { conv, dense };
}
