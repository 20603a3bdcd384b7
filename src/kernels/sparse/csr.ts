/**
 * Compressed sparse rows of a pruned dense kernel, and the reference twin of the sparse product.
 * A dense layer's kernel W is [in, out] (tfjs); the CSR holds W^T, one row per output unit, so
 * y[b, o] = bias[o] + sum_j vals[j] * x[b, cols[j]] over the row's nonzeros. Zeros are pruned.
 */
export interface Csr {
  rows: number;
  columns: number;
  rowPtr: Int32Array;
  cols: Int32Array;
  vals: Float32Array;
}

/** W [n, outputs] to the CSR of W^T ([outputs] rows over n columns), zeros left out. */
export function csrOfTransposed(weights: Float32Array, n: number, outputs: number): Csr {
  const rowPtr = new Int32Array(outputs + 1);
  for (let i = 0; i < n; i++) {
    for (let o = 0; o < outputs; o++) if (weights[i * outputs + o] !== 0) rowPtr[o + 1]++;
  }
  for (let o = 0; o < outputs; o++) rowPtr[o + 1] += rowPtr[o];
  const nnz = rowPtr[outputs];
  const cols = new Int32Array(nnz);
  const vals = new Float32Array(nnz);
  const fill = rowPtr.slice(0, outputs);
  // Column order within a row: increasing input index (the loop order), as the twin sums.
  for (let i = 0; i < n; i++) {
    for (let o = 0; o < outputs; o++) {
      const v = weights[i * outputs + o];
      if (v !== 0) {
        cols[fill[o]] = i;
        vals[fill[o]++] = v;
      }
    }
  }
  return { rows: outputs, columns: n, rowPtr, cols, vals };
}

/** Fraction of nonzero weights. */
export function density(weights: Float32Array): number {
  let nonzero = 0;
  for (const v of weights) if (v !== 0) nonzero++;
  return weights.length === 0 ? 0 : nonzero / weights.length;
}

/** The twin: dense-by-CSR in float32, nonzeros of a row summed in order, then the bias. */
export function csrMatMulReference(
  x: Float32Array,
  batch: number,
  csr: Csr,
  bias?: Float32Array,
): Float32Array {
  const f = Math.fround;
  const out = new Float32Array(batch * csr.rows);
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < csr.rows; o++) {
      let sum = 0;
      for (let j = csr.rowPtr[o]; j < csr.rowPtr[o + 1]; j++) {
        sum = f(sum + f(csr.vals[j] * x[b * csr.columns + csr.cols[j]]));
      }
      out[b * csr.rows + o] = bias ? f(sum + bias[o]) : sum;
    }
  }
  return out;
}
