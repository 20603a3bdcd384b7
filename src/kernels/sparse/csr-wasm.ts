/**
 * Pruned dense layer as a CSR x dense product in WebAssembly SIMD (csr.wat). The batch is
 * transposed in first so every nonzero meets four batch rows in one v128 load (16 at a time
 * with four accumulators); at batch 1 that transpose is skipped. Every output is summed in the
 * same order as csrMatMulReference, so the results match it bit for bit.
 */
import { WasmArena } from '../wasm/arena.ts';
import { csrOfTransposed, type Csr } from './csr.ts';
import { WASM_BASE64 } from './csr.wasm.ts';

interface CsrExports {
  transpose(src: number, rows: number, cols: number, dst: number): void;
  csr_spmm(
    rowPtr: number,
    cols: number,
    vals: number,
    rows: number,
    xT: number,
    batch: number,
    yT: number,
  ): void;
  csr_finish(yT: number, rows: number, batch: number, bias: number, y: number): void;
}

export class CsrWasmDense {
  private constructor(
    private readonly arena: WasmArena<CsrExports>,
    readonly csr: Csr,
    private readonly rowPtr: number,
    private readonly cols: number,
    private readonly vals: number,
    private readonly bias: number,
  ) {}

  static async create(weights: Float32Array, n: number, outputs: number, bias?: Float32Array) {
    const csr = csrOfTransposed(weights, n, outputs);
    const arena = await WasmArena.create<CsrExports>(WASM_BASE64);
    const rowPtr = arena.persistent(csr.rowPtr.byteLength);
    const cols = arena.persistent(Math.max(4, csr.cols.byteLength));
    const vals = arena.persistent(Math.max(4, csr.vals.byteLength));
    const biasPtr = bias ? arena.persistent(bias.byteLength) : 0;
    arena.i32(rowPtr, csr.rowPtr.length).set(csr.rowPtr);
    arena.i32(cols, csr.cols.length).set(csr.cols);
    arena.f32(vals, csr.vals.length).set(csr.vals);
    if (bias) arena.f32(biasPtr, bias.length).set(bias);
    return new CsrWasmDense(arena, csr, rowPtr, cols, vals, biasPtr);
  }

  outputShape(batch: number): number[] {
    return [batch, this.csr.rows];
  }

  run(x: Float32Array, batch: number, out: Float32Array): void {
    const { arena, csr } = this;
    arena.resetScratch();
    const xPtr = arena.scratch(x.byteLength);
    const xT = batch > 1 ? arena.scratch(x.byteLength) : xPtr;
    const yT = arena.scratch(batch * csr.rows * 4);
    const y = arena.scratch(batch * csr.rows * 4);
    arena.f32(xPtr, x.length).set(x);
    const e = arena.exports;
    if (batch > 1) e.transpose(xPtr, batch, csr.columns, xT);
    e.csr_spmm(this.rowPtr, this.cols, this.vals, csr.rows, xT, batch, yT);
    e.csr_finish(yT, csr.rows, batch, this.bias, y);
    out.set(arena.f32(y, batch * csr.rows));
  }
}
