/**
 * Force regularization (Wen et al., ICCV 2017, "Coordinating Filters for Faster Deep Neural
 * Networks"), as the authors' Caffe solver applies it (ForceRegularize, ../shared/ALGORITHMS.md
 * section 9). A layer's filters are the rows w_i of its kernel as an [N, D] matrix (conv: one row
 * per output channel; dense: one row per unit), w^_i = w_i / ||w_i||. Each pair attracts:
 *   f_ij = (w^_i - w^_j) / coef, coef = 1 ("degradation", the paper's L2-norm force) or
 *   ||w^_i - w^_j|| ("constant", the L1-norm force the authors use on LeNet);
 *   reg_i = ||w_i|| (F_i - (w^_i . F_i) w^_i), F_i = sum_j f_ij (projected on the sphere's tangent);
 * and the update adds lambda * reg_i to the gradient, so the filters' directions gather, their
 * lengths unchanged to first order, and the kernel's rank falls. Filters with a norm at or below
 * 1e-8, and (constant force) pairs closer than that, are skipped as the code's ZERO_THRESHOLD.
 *
 * The term enters the shared fine-tuning loop as a Regularizer: its value is the force's
 * potential (lambda * sum_{i<j} ||w^_i - w^_j|| or lambda/2 * sum_{i<j} ||w^_i - w^_j||^2), and its
 * gradient is exactly lambda * reg (through tf.customGrad), as the authors' solver does rather
 * than the potential's own gradient.
 */
import * as tf from '@tensorflow/tfjs';
import type { Regularizer } from './finetune.ts';

export type ForceType = 'constant' | 'degradation';
export const FORCE_TYPES: readonly ForceType[] = ['constant', 'degradation'];

const ZERO_THRESHOLD = 1e-8;

export interface ForceTerm {
  /** Full kernel name, e.g. "conv2/kernel". */
  readonly weight: string;
  readonly lambda: number;
}

/** A kernel (HWIO conv or [in, out] dense) as its filters, one per row: [N, D]. */
export function filterRows(kernel: tf.Tensor): tf.Tensor2D {
  const outC = kernel.shape[kernel.shape.length - 1];
  return tf.transpose(tf.reshape(kernel, [-1, outC])) as tf.Tensor2D;
}

/**
 * The force on every filter, reg [N, D], and the potential, for filters as rows. Reference for
 * the matrix form: F_i = sum_j c_ij (w^_i - w^_j) = w^_i * rowsum(c) - (c W^)_i with c_ij = 1
 * (degradation) or 1 / ||w^_i - w^_j|| (constant), c_ii = 0, skipped filters and pairs 0.
 */
export function forceOnRows(
  rows: tf.Tensor2D,
  type: ForceType,
): { reg: tf.Tensor2D; potential: tf.Scalar } {
  return tf.tidy(() => {
    const n = rows.shape[0];
    const norms = tf.sqrt(tf.sum(tf.square(rows), 1, true)); // [N, 1]
    const active = tf.cast(tf.greater(norms, ZERO_THRESHOLD), 'float32'); // [N, 1]
    const unit = tf.mul(tf.divNoNan(rows, norms), active); // [N, D]
    const gram = tf.matMul(unit, unit, false, true); // [N, N]
    const pairs = tf.mul(tf.mul(active, tf.transpose(active)), tf.sub(1, tf.eye(n))); // i != j, both active
    // ||w^_i - w^_j||^2 = 2 - 2 w^_i . w^_j for unit vectors.
    const distance2 = tf.relu(tf.sub(2, tf.mul(2, gram)));
    const distance = tf.sqrt(distance2);
    let coefficients: tf.Tensor;
    let potential: tf.Tensor;
    if (type === 'degradation') {
      coefficients = pairs;
      potential = tf.mul(0.25, tf.sum(tf.mul(distance2, pairs))); // 1/2 over i<j pairs
    } else {
      const close = tf.cast(tf.greater(distance, ZERO_THRESHOLD), 'float32');
      coefficients = tf.mul(tf.mul(tf.divNoNan(1, distance), close), pairs);
      potential = tf.mul(0.5, tf.sum(tf.mul(distance, pairs)));
    }
    const force = tf.sub(
      tf.mul(unit, tf.sum(coefficients, 1, true)),
      tf.matMul(coefficients, unit),
    ); // [N, D]
    const radial = tf.sum(tf.mul(unit, force), 1, true);
    const reg = tf.mul(norms, tf.sub(force, tf.mul(radial, unit))) as tf.Tensor2D;
    return { reg, potential: potential as tf.Scalar };
  });
}

/** The force as a regularizer over the given kernels (a term with lambda 0 is left out). */
export function forceRegularizer(terms: readonly ForceTerm[], type: ForceType): Regularizer {
  const active = terms.filter((t) => t.lambda > 0);
  const forceTerm = (lambda: number) =>
    tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const kernel = args[0] as tf.Tensor;
      const save = args[1] as tf.GradSaveFunc;
      const { reg, potential } = forceOnRows(filterRows(kernel), type);
      // The gradient has the kernel's layout: rows back to [.., out].
      const gradient = tf.reshape(tf.transpose(reg), kernel.shape);
      save([gradient]);
      tf.dispose(reg);
      return {
        value: tf.mul(potential, lambda) as tf.Scalar,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(saved[0], tf.mul(dy, lambda))],
      };
    });
  const functions = new Map(active.map((t) => [t.weight, forceTerm(t.lambda)]));
  return {
    id: 'force',
    penalty(weights) {
      return tf.tidy(() => {
        const parts = active.map((t) => {
          const kernel = weights.get(t.weight);
          if (!kernel) throw new Error(`force regularization: no weight "${t.weight}"`);
          return functions.get(t.weight)!(kernel) as tf.Scalar;
        });
        return (parts.length ? tf.addN(parts) : tf.scalar(0)) as tf.Scalar;
      });
    },
  };
}
