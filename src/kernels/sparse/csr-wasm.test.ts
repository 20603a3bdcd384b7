/** The CSR kernel in WebAssembly SIMD against its twin (exact) and tf.matMul on cpu. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { mismatches, onCpu, randomValues, relativeError } from '../test-util.ts';
import { csrMatMulReference, csrOfTransposed, density } from './csr.ts';
import { CsrWasmDense } from './csr-wasm.ts';

describe('csr x dense (wasm simd)', () => {
  it('builds the CSR of W^T by hand', () => {
    // W [3, 2] = [[1, 0], [0, 2], [3, 0]]: W^T rows: (1, 0, 3), (0, 2, 0).
    const csr = csrOfTransposed(Float32Array.from([1, 0, 0, 2, 3, 0]), 3, 2);
    expect(Array.from(csr.rowPtr)).toEqual([0, 2, 3]);
    expect(Array.from(csr.cols)).toEqual([0, 2, 1]);
    expect(Array.from(csr.vals)).toEqual([1, 3, 2]);
    expect(density(Float32Array.from([1, 0, 0, 2, 3, 0]))).toBe(0.5);
  });

  for (const [batch, n, outputs, d] of [
    [1, 37, 11, 0.3],
    [3, 64, 20, 0.1],
    [4, 100, 50, 0.05],
    [16, 33, 9, 0.5],
    [21, 300, 100, 0.1],
    [8, 20, 5, 0],
  ]) {
    it(`${batch} x ${n} -> ${outputs} at ${d * 100}% density`, async () => {
      const x = randomValues(batch * n, batch + n);
      const w = randomValues(n * outputs, n + outputs, d);
      const bias = randomValues(outputs, outputs);
      const kernel = await CsrWasmDense.create(w, n, outputs, bias);
      const out = new Float32Array(batch * outputs);
      kernel.run(x, batch, out);
      expect(mismatches(out, csrMatMulReference(x, batch, kernel.csr, bias))).toBe(0);
      const viaTf = await onCpu(() =>
        tf.tidy(() =>
          tf
            .add(tf.matMul(tf.tensor2d(x, [batch, n]), tf.tensor2d(w, [n, outputs])), bias)
            .dataSync(),
        ),
      );
      expect(relativeError(out, viaTf)).toBeLessThan(1e-5);
    });
  }
});
