import { describe, expect, it } from 'vitest';
import { createRng } from '../../util/random.ts';
import { tucker2Factors, unfold, type TuckerFactors } from './factorize.ts';
import { matrix, multiply, rankForEnergy, svd, symmetricEigen, transpose } from './linalg.ts';
import { vbmf } from './vbmf.ts';

/** Seeded standard normal numbers (Box-Muller). */
function gaussian(seed: number): () => number {
  const rng = createRng(seed);
  return () => {
    const u = rng() || 1e-12;
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
  };
}

const randomMatrix = (rows: number, cols: number, seed: number, scale = 1) => {
  const g = gaussian(seed);
  return matrix(
    rows,
    cols,
    Array.from({ length: rows * cols }, () => g() * scale),
  );
};

describe('symmetric eigendecomposition and SVD', () => {
  it('gives the hand-computed eigenvalues of small matrices', async () => {
    // [[2, 1], [1, 2]]: eigenvalues 3 and 1, vectors (1, 1)/sqrt 2 and (1, -1)/sqrt 2.
    const { values, vectors } = await symmetricEigen(matrix(2, 2, [2, 1, 1, 2]));
    expect(values[0]).toBeCloseTo(3, 12);
    expect(values[1]).toBeCloseTo(1, 12);
    expect(Math.abs(vectors.data[0])).toBeCloseTo(Math.SQRT1_2, 12);
    expect(vectors.data[0] * vectors.data[2]).toBeCloseTo(0.5, 12); // same sign in column 0
    // A diagonal matrix keeps its entries, largest first.
    expect(
      Array.from((await symmetricEigen(matrix(3, 3, [1, 0, 0, 0, 5, 0, 0, 0, 3]))).values),
    ).toEqual([5, 3, 1]);
  });

  it('gives the hand-computed singular values of [[3, 0], [4, 5]]', async () => {
    // A^T A = [[25, 20], [20, 25]]: eigenvalues 45 and 5.
    const { s } = await svd(matrix(2, 2, [3, 0, 4, 5]));
    expect(s[0]).toBeCloseTo(Math.sqrt(45), 12);
    expect(s[1]).toBeCloseTo(Math.sqrt(5), 12);
  });

  it.each([
    [30, 12],
    [12, 30],
    [64, 64],
  ])(
    'reconstructs a random %i x %i matrix from U S V^T, with orthonormal factors',
    async (m, n) => {
      const a = randomMatrix(m, n, m * 100 + n);
      const { u, s, v } = await svd(a);
      const k = Math.min(m, n);
      let worst = 0;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let sum = 0;
          for (let c = 0; c < k; c++) sum += u.data[i * k + c] * s[c] * v.data[j * k + c];
          worst = Math.max(worst, Math.abs(sum - a.data[i * n + j]));
        }
      }
      expect(worst).toBeLessThan(1e-10);
      for (const f of [u, v]) {
        const gram = multiply(transpose(f), f);
        for (let i = 0; i < k; i++) {
          for (let j = 0; j < k; j++) {
            expect(Math.abs(gram.data[i * k + j] - (i === j ? 1 : 0))).toBeLessThan(1e-9);
          }
        }
      }
      for (let i = 1; i < k; i++) expect(s[i]).toBeLessThanOrEqual(s[i - 1]);
    },
  );

  it('finds the rank of an exactly rank-3 matrix and the rank that keeps an energy', async () => {
    const a = multiply(randomMatrix(20, 3, 1), randomMatrix(3, 15, 2));
    const { s } = await svd(a);
    expect(s[2]).toBeGreaterThan(1e-3);
    expect(s[3]).toBeLessThan(1e-6 * s[0]);
    // Energy by hand: singular values 3, 2, 1 hold 9, 4, 1 of 14.
    expect(rankForEnergy([3, 2, 1], 9 / 14)).toBe(1);
    expect(rankForEnergy([3, 2, 1], 0.65)).toBe(2);
    expect(rankForEnergy([3, 2, 1], 1)).toBe(3);
  });
});

describe('analytic VBMF', () => {
  it.each([
    [40, 300, 7],
    [300, 40, 7],
    [50, 500, 12],
  ])(
    'recovers the planted rank of a %i x %i low-rank matrix plus noise (rank %i)',
    async (m, n, r) => {
      const signal = multiply(randomMatrix(m, r, m + r), randomMatrix(r, n, n + r));
      const noise = randomMatrix(m, n, 99, 0.5);
      const y = matrix(
        m,
        n,
        signal.data.map((x, i) => x + noise.data[i]),
      );
      const found = await vbmf(y);
      expect(found.rank).toBe(r);
      // The noise variance estimate is near the planted 0.25.
      expect(found.sigma2).toBeGreaterThan(0.2);
      expect(found.sigma2).toBeLessThan(0.3);
    },
  );

  it('finds no signal in pure noise', async () => {
    expect((await vbmf(randomMatrix(30, 200, 5))).rank).toBe(0);
  });
});

describe('Tucker-2 of an HWIO kernel', () => {
  const shape = { kh: 3, kw: 3, inC: 6, outC: 8 };
  const kernel = Float32Array.from(randomMatrix(1, 3 * 3 * 6 * 8, 11).data);

  /** K'[i,j,s,t] = sum_{a,b} core[i,j,a,b] first[s,a] last[b,t], written out plainly. */
  function reconstruct(rIn: number, rOut: number, f: TuckerFactors) {
    const out = new Float64Array(kernel.length);
    for (let p = 0; p < 9; p++)
      for (let s = 0; s < shape.inC; s++)
        for (let t = 0; t < shape.outC; t++) {
          let sum = 0;
          for (let a = 0; a < rIn; a++)
            for (let b = 0; b < rOut; b++)
              sum +=
                f.core[(p * rIn + a) * rOut + b] *
                f.first[s * rIn + a] *
                f.last[b * shape.outC + t];
          out[(p * shape.inC + s) * shape.outC + t] = sum;
        }
    return out;
  }

  it('reconstructs the kernel exactly at full ranks', async () => {
    const f = await tucker2Factors(kernel, shape, 6, 8);
    const back = reconstruct(6, 8, f);
    for (let i = 0; i < kernel.length; i++)
      expect(Math.abs(back[i] - kernel[i])).toBeLessThan(1e-5);
    expect(f.relativeError).toBeLessThan(1e-6);
  });

  it('recovers a kernel of multilinear rank (2, 3) exactly at those ranks, and reports the error of lower ones', async () => {
    // K = core x_in A x_out B with a random 3x3x2x3 core.
    const core = randomMatrix(1, 9 * 2 * 3, 12).data;
    const a = randomMatrix(6, 2, 13).data;
    const b = randomMatrix(8, 3, 14).data;
    const planted = new Float32Array(kernel.length);
    for (let p = 0; p < 9; p++)
      for (let s = 0; s < 6; s++)
        for (let t = 0; t < 8; t++) {
          let sum = 0;
          for (let i = 0; i < 2; i++)
            for (let j = 0; j < 3; j++)
              sum += core[(p * 2 + i) * 3 + j] * a[s * 2 + i] * b[t * 3 + j];
          planted[(p * 6 + s) * 8 + t] = sum;
        }
    const f = await tucker2Factors(planted, shape, 2, 3);
    expect(f.relativeError).toBeLessThan(1e-5);
    const coarse = await tucker2Factors(planted, shape, 1, 3);
    expect(coarse.relativeError).toBeGreaterThan(0.01);
    // The reported error is the real one: ||K - K'|| / ||K||.
    const lower = await tucker2Factors(kernel, shape, 3, 4);
    const back = reconstruct(3, 4, lower);
    let diff = 0;
    let total = 0;
    for (let i = 0; i < kernel.length; i++) {
      diff += (back[i] - kernel[i]) ** 2;
      total += kernel[i] ** 2;
    }
    expect(lower.relativeError).toBeCloseTo(Math.sqrt(diff / total), 4);
  });

  it('unfolds along the channel modes in the stated order', () => {
    // Element (p=1, s=2, t=3) of a [1, 2, 4, 5] kernel lands at row s, column p*T + t (mode in)
    // and row t, column p*S + s (mode out).
    const small = { kh: 1, kw: 2, inC: 4, outC: 5 };
    const values = new Float32Array(40);
    values[(1 * 4 + 2) * 5 + 3] = 7;
    expect(unfold(values, small, 'in').data[2 * 10 + 1 * 5 + 3]).toBe(7);
    expect(unfold(values, small, 'out').data[3 * 8 + 1 * 4 + 2]).toBe(7);
  });
});
