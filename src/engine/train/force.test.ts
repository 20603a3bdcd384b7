import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../node/backend.ts';
import { createRng } from '../util/random.ts';
import { filterRows, forceOnRows, forceRegularizer, type ForceType } from './force.ts';

beforeAll(async () => {
  await useNodeBackend('cpu');
});

/**
 * The authors' CPU pair loop (ForceRegularize in wenwei202/caffe sgd_solver.cpp, as
 * ../shared/ALGORITHMS.md section 9 describes it), written plainly over filters as rows.
 */
function pairLoop(rows: number[][], type: ForceType): number[][] {
  const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);
  const reg = rows.map((r) => r.map(() => 0));
  for (let i = 0; i < rows.length; i++) {
    for (let j = i + 1; j < rows.length; j++) {
      const ni = norm(rows[i]);
      const nj = norm(rows[j]);
      if (ni <= 1e-8 || nj <= 1e-8) continue;
      const wi = rows[i].map((x) => x / ni);
      const wj = rows[j].map((x) => x / nj);
      const u = wi.map((x, k) => x - wj[k]);
      const coef = type === 'degradation' ? 1 : norm(u);
      if (coef !== 1 && coef <= 1e-8) continue;
      const f = u.map((x) => x / coef);
      const along = dot(wi, f); // = w^_j . (-f) as well
      for (let k = 0; k < f.length; k++) {
        reg[i][k] += ni * (f[k] - along * wi[k]);
        reg[j][k] += nj * (-f[k] - along * wj[k]);
      }
    }
  }
  return reg;
}

function randomRows(n: number, d: number, seed: number): number[][] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => Array.from({ length: d }, () => rng() * 2 - 1));
}

describe('force regularization', () => {
  it.each(['constant', 'degradation'] as const)(
    'the %s force equals the authors’ pair loop, including a zero filter that is skipped',
    (type) => {
      const rows = randomRows(7, 5, type === 'constant' ? 1 : 2);
      rows[3] = rows[3].map(() => 0);
      const expected = pairLoop(rows, type);
      const { reg, potential } = forceOnRows(tf.tensor2d(rows), type);
      const got = reg.arraySync();
      for (let i = 0; i < rows.length; i++) {
        for (let k = 0; k < 5; k++) expect(got[i][k]).toBeCloseTo(expected[i][k], 4);
      }
      expect(got[3]).toEqual([0, 0, 0, 0, 0]);
      expect(potential.arraySync()).toBeGreaterThan(0);
      tf.dispose([reg, potential]);
    },
  );

  it('reaches the gradient of a conv kernel (HWIO) as lambda times the force, in the kernel layout', () => {
    const rng = createRng(5);
    const values = Float32Array.from({ length: 3 * 3 * 2 * 4 }, () => rng() * 2 - 1);
    const kernel = tf.variable(tf.tensor4d(values, [3, 3, 2, 4]));
    const lambda = 0.01;
    const regularizer = forceRegularizer([{ weight: 'c/kernel', lambda }], 'constant');
    const weights = new Map([['c/kernel', kernel]]);
    const { grads } = tf.variableGrads(() => regularizer.penalty(weights), [kernel]);
    const gradient = grads[kernel.name].arraySync() as number[][][][];
    // Filter n of an HWIO kernel is kernel[:, :, :, n] flattened in (h, w, c) order.
    const rows = Array.from({ length: 4 }, (_, n) =>
      Array.from({ length: 18 }, (_, p) => values[p * 4 + n]),
    );
    const expected = pairLoop(rows, 'constant');
    for (let n = 0; n < 4; n++) {
      for (let p = 0; p < 18; p++) {
        const [h, w, c] = [Math.floor(p / 6), Math.floor(p / 2) % 3, p % 2];
        expect(gradient[h][w][c][n]).toBeCloseTo(lambda * expected[n][p], 5);
      }
    }
    const rowsTensor = filterRows(kernel);
    expect(rowsTensor.shape).toEqual([4, 18]);
    tf.dispose([kernel, rowsTensor, ...Object.values(grads)]);
  });

  it('pulls filters together: a few steps along the force shrink the spread of their directions', () => {
    const rows = randomRows(6, 8, 9);
    let current = tf.tensor2d(rows);
    const spread = (t: tf.Tensor2D) =>
      tf.tidy(() => {
        const unit = tf.div(t, tf.norm(t, 2, 1, true));
        const mean = tf.mean(unit, 0);
        return tf.norm(tf.sub(unit, mean)).arraySync() as number;
      });
    const before = spread(current);
    for (let step = 0; step < 20; step++) {
      const { reg, potential } = forceOnRows(current, 'degradation');
      const next = tf.sub(current, tf.mul(reg, 0.01)) as tf.Tensor2D;
      tf.dispose([reg, potential, current]);
      current = next;
    }
    expect(spread(current)).toBeLessThan(0.9 * before);
    current.dispose();
  });
});
