/**
 * The dense linear algebra the decomposition family needs, in plain TypeScript on Float64Array
 * (tfjs has no SVD or eigensolver): a symmetric eigendecomposition by Householder reduction to
 * tridiagonal form and the implicit QL algorithm (the EISPACK tred2/tql2 procedure, written
 * here from the algorithm's description), and a thin SVD built on it through the Gram matrix of
 * the smaller side. LeNet's matrices are at most 800 x 500, where this takes well under a second.
 *
 * Matrices are row-major: element (i, j) of an r x c matrix is at i * c + j.
 *
 * The O(n^3) routines are async and await a checkpoint once per row or sweep (well under a
 * millisecond of work each on LeNet's sizes), so a run that is cancelled stops within one slice
 * of makeCheckpoint instead of finishing the factorization first.
 */
import { makeCheckpoint, type Checkpoint } from '../../cancel.ts';

export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

export function matrix(rows: number, cols: number, data?: ArrayLike<number>): Matrix {
  const values = new Float64Array(rows * cols);
  if (data) {
    if (data.length !== rows * cols) {
      throw new Error(`a ${rows} x ${cols} matrix needs ${rows * cols} values, got ${data.length}`);
    }
    for (let i = 0; i < values.length; i++) values[i] = data[i];
  }
  return { rows, cols, data: values };
}

export function transpose(a: Matrix): Matrix {
  const out = new Float64Array(a.rows * a.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < a.cols; j++) out[j * a.rows + i] = a.data[i * a.cols + j];
  }
  return { rows: a.cols, cols: a.rows, data: out };
}

export function multiply(a: Matrix, b: Matrix): Matrix {
  if (a.cols !== b.rows)
    throw new Error(`cannot multiply ${a.rows}x${a.cols} by ${b.rows}x${b.cols}`);
  const out = new Float64Array(a.rows * b.cols);
  for (let i = 0; i < a.rows; i++) {
    const row = i * b.cols;
    for (let k = 0; k < a.cols; k++) {
      const aik = a.data[i * a.cols + k];
      if (aik === 0) continue;
      const bRow = k * b.cols;
      for (let j = 0; j < b.cols; j++) out[row + j] += aik * b.data[bRow + j];
    }
  }
  return { rows: a.rows, cols: b.cols, data: out };
}

/** A A^T (rows x rows), symmetric. */
async function gramOfRows(a: Matrix, checkpoint: Checkpoint): Promise<Matrix> {
  const n = a.rows;
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    await checkpoint();
    const ri = i * a.cols;
    for (let j = i; j < n; j++) {
      const rj = j * a.cols;
      let sum = 0;
      for (let k = 0; k < a.cols; k++) sum += a.data[ri + k] * a.data[rj + k];
      out[i * n + j] = sum;
      out[j * n + i] = sum;
    }
  }
  return { rows: n, cols: n, data: out };
}

export interface SymmetricEigen {
  /** Eigenvalues, largest first. */
  readonly values: Float64Array;
  /** Eigenvectors as columns, in the order of `values` (n x n, orthonormal). */
  readonly vectors: Matrix;
}

/** Eigendecomposition of a symmetric matrix (only its values are read, assumed symmetric). */
export async function symmetricEigen(
  a: Matrix,
  checkpoint: Checkpoint = makeCheckpoint(),
): Promise<SymmetricEigen> {
  const n = a.rows;
  if (a.cols !== n) throw new Error('symmetricEigen needs a square matrix');
  const v = Float64Array.from(a.data);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  if (n === 0) return { values: d, vectors: { rows: 0, cols: 0, data: v } };
  await tridiagonalize(v, d, e, n, checkpoint);
  await implicitQl(v, d, e, n, checkpoint);
  // Largest first, vectors following their values.
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => d[y] - d[x]);
  const values = Float64Array.from(order, (i) => d[i]);
  const vectors = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    const from = order[c];
    for (let r = 0; r < n; r++) vectors[r * n + c] = v[r * n + from];
  }
  return { values, vectors: { rows: n, cols: n, data: vectors } };
}

/**
 * Householder reduction of the symmetric matrix in `v` to tridiagonal form: on return d holds
 * the diagonal, e the sub-diagonal (e[0] = 0) and v the orthogonal transformation.
 */
async function tridiagonalize(
  v: Float64Array,
  d: Float64Array,
  e: Float64Array,
  n: number,
  checkpoint: Checkpoint,
): Promise<void> {
  const at = (i: number, j: number) => i * n + j;
  for (let j = 0; j < n; j++) d[j] = v[at(n - 1, j)];
  for (let i = n - 1; i > 0; i--) {
    await checkpoint();
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = v[at(i - 1, j)];
        v[at(i, j)] = 0;
        v[at(j, i)] = 0;
      }
    } else {
      // The Householder vector, scaled to avoid under- and overflow.
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      // Apply the transformation to the remaining columns.
      for (let j = 0; j < i; j++) {
        f = d[j];
        v[at(j, i)] = f;
        g = e[j] + v[at(j, j)] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += v[at(k, j)] * d[k];
          e[k] += v[at(k, j)] * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        for (let k = j; k <= i - 1; k++) v[at(k, j)] -= f * e[k] + g * d[k];
        d[j] = v[at(i - 1, j)];
        v[at(i, j)] = 0;
      }
    }
    d[i] = h;
  }
  // Accumulate the transformations.
  for (let i = 0; i < n - 1; i++) {
    await checkpoint();
    v[at(n - 1, i)] = v[at(i, i)];
    v[at(i, i)] = 1;
    const h = d[i + 1];
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = v[at(k, i + 1)] / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += v[at(k, i + 1)] * v[at(k, j)];
        for (let k = 0; k <= i; k++) v[at(k, j)] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) v[at(k, i + 1)] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = v[at(n - 1, j)];
    v[at(n - 1, j)] = 0;
  }
  v[at(n - 1, n - 1)] = 1;
  e[0] = 0;
}

/** Implicit QL iterations on the tridiagonal (d, e), accumulating rotations into v. */
async function implicitQl(
  v: Float64Array,
  d: Float64Array,
  e: Float64Array,
  n: number,
  checkpoint: Checkpoint,
): Promise<void> {
  const at = (i: number, j: number) => i * n + j;
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0;
  let largest = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    largest = Math.max(largest, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]) <= eps * largest) break;
      m++;
    }
    if (m > l) {
      let iterations = 0;
      do {
        await checkpoint();
        if (++iterations > 60) throw new Error('the eigensolver did not converge');
        // Implicit shift from the leading 2 x 2 block.
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        // The QL sweep.
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          for (let k = 0; k < n; k++) {
            h = v[at(k, i + 1)];
            v[at(k, i + 1)] = s * v[at(k, i)] + c * h;
            v[at(k, i)] = c * v[at(k, i)] - s * h;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * largest);
    }
    d[l] += f;
    e[l] = 0;
  }
}

export interface Svd {
  /** Left singular vectors as columns (rows x k). */
  readonly u: Matrix;
  /** Singular values, largest first (k = min(rows, cols)). */
  readonly s: Float64Array;
  /** Right singular vectors as columns (cols x k). */
  readonly v: Matrix;
}

/**
 * Thin SVD A = U diag(s) V^T through the eigendecomposition of the smaller Gram matrix. The
 * vectors on the Gram side are orthonormal to machine precision; the other side is A times them
 * divided by s (a zero singular value gets a zero vector). Small singular values carry an
 * absolute error of about eps * s_max, which is far below what rank choices look at.
 */
export async function svd(a: Matrix, checkpoint: Checkpoint = makeCheckpoint()): Promise<Svd> {
  const wide = a.cols > a.rows;
  // Work on the orientation whose Gram matrix is the smaller one.
  const t = wide ? a : transpose(a); // rows of t = the smaller side
  const eig = await symmetricEigen(await gramOfRows(t, checkpoint), checkpoint);
  const k = t.rows;
  const s = Float64Array.from(eig.values, (x) => Math.sqrt(Math.max(x, 0)));
  // Vectors of the smaller side: eig.vectors (k x k). Other side: t^T * vec / s.
  const other = new Float64Array(t.cols * k);
  for (let c = 0; c < k; c++) {
    await checkpoint();
    if (s[c] <= 0) continue;
    for (let j = 0; j < t.cols; j++) {
      let sum = 0;
      for (let i = 0; i < k; i++) sum += t.data[i * t.cols + j] * eig.vectors.data[i * k + c];
      other[j * k + c] = sum / s[c];
    }
  }
  const small = eig.vectors;
  const large: Matrix = { rows: t.cols, cols: k, data: other };
  return wide ? { u: small, s, v: large } : { u: large, s, v: small };
}

/** Leading left singular vectors of A (rows x r), from the eigenvectors of A A^T. */
export async function leadingLeftVectors(
  a: Matrix,
  r: number,
  checkpoint: Checkpoint = makeCheckpoint(),
): Promise<{ vectors: Matrix; s: Float64Array }> {
  const eig = await symmetricEigen(await gramOfRows(a, checkpoint), checkpoint);
  const n = a.rows;
  const out = new Float64Array(n * r);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < r; c++) out[i * r + c] = eig.vectors.data[i * n + c];
  return {
    vectors: { rows: n, cols: r, data: out },
    s: Float64Array.from(eig.values, (x) => Math.sqrt(Math.max(x, 0))),
  };
}

/** Singular values of A, largest first (min(rows, cols) of them). */
export async function singularValues(
  a: Matrix,
  checkpoint: Checkpoint = makeCheckpoint(),
): Promise<Float64Array> {
  const t = a.cols > a.rows ? a : transpose(a);
  const { values } = await symmetricEigen(await gramOfRows(t, checkpoint), checkpoint);
  return Float64Array.from(values, (x) => Math.sqrt(Math.max(x, 0)));
}

/** The smallest rank whose singular values hold at least `energy` of the sum of their squares. */
export function rankForEnergy(s: ArrayLike<number>, energy: number): number {
  let total = 0;
  for (let i = 0; i < s.length; i++) total += s[i] * s[i];
  if (total === 0) return 1;
  let kept = 0;
  for (let i = 0; i < s.length; i++) {
    kept += s[i] * s[i];
    // A tiny tolerance so that energy 1 is reached despite rounding.
    if (kept >= energy * total * (1 - 1e-12)) return i + 1;
  }
  return s.length;
}
