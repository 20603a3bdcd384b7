/**
 * XNOR-Net conv and dense layers on bit-packed operands in WebAssembly SIMD (xnor.wat): the
 * inputs' signs are packed 32 channels to a word, a binary im2col lays each output pixel's
 * window out as one row of words, and a 2x4-blocked xor + popcount GEMM against the packed
 * filters gives the +-1 dot products; XNOR-Net's alpha and K scaling, the zero-padding
 * correction and the bias follow in one pass. Results equal xnorConv2dReference /
 * xnorDenseReference bit for bit.
 */
import type { ConvGeometry } from '../geometry.ts';
import { WasmArena } from '../wasm/arena.ts';
import {
  filterAlpha,
  packConvFilters,
  packDenseColumns,
  paddedWords,
  paddingCorrection,
} from './binarize.ts';
import { WASM_BASE64 } from './xnor.wasm.ts';

interface XnorExports {
  pack_signs(
    src: number,
    pixels: number,
    channels: number,
    dst: number,
    stride: number,
    absmean: number,
  ): void;
  gather_rows(src: number, geom: number, dst: number, stride: number): void;
  xnor_gemm(a: number, m: number, b: number, n: number, kv: number, out: number): void;
  box_mean(a: number, geom: number, out: number): void;
  xnor_epilogue(
    pop: number,
    m: number,
    n: number,
    nbits: number,
    corr: number,
    period: number,
    alpha: number,
    k: number,
    bias: number,
    out: number,
  ): void;
}

function copyIn(arena: WasmArena<XnorExports>, values: Float32Array | Int32Array | Uint32Array) {
  const ptr = arena.persistent(values.byteLength);
  if (values instanceof Float32Array) arena.f32(ptr, values.length).set(values);
  else if (values instanceof Int32Array) arena.i32(ptr, values.length).set(values);
  else arena.u32(ptr, values.length).set(values);
  return ptr;
}

export class XnorWasmConv2d {
  private constructor(
    private readonly arena: WasmArena<XnorExports>,
    private readonly g: ConvGeometry,
    private readonly stride: number,
    private readonly filters: number,
    private readonly alpha: number,
    private readonly bias: number,
    private readonly corr: number,
    private readonly geom: number,
  ) {}

  /** `g` fixes everything but the batch; weights HWIO. */
  static async create(g: ConvGeometry, weights: Float32Array, bias?: Float32Array) {
    const arena = await WasmArena.create<XnorExports>(WASM_BASE64);
    const stride = paddedWords(g.kh * g.kw * Math.ceil(g.c / 32) * 32);
    const filters = copyIn(arena, packConvFilters(weights, g, stride));
    const alpha = copyIn(arena, filterAlpha(weights, g.k));
    const biasPtr = bias ? copyIn(arena, bias) : 0;
    const correction = paddingCorrection(weights, g);
    const corr = correction ? copyIn(arena, correction) : 0;
    const geom = arena.persistent(14 * 4);
    return new XnorWasmConv2d(arena, g, stride, filters, alpha, biasPtr, corr, geom);
  }

  outputShape(batch: number): number[] {
    return [batch, this.g.oh, this.g.ow, this.g.k];
  }

  /** x: [batch, h, w, c] values; out: [batch, oh, ow, k]. */
  run(x: Float32Array, batch: number, out: Float32Array): void {
    const { arena, g, stride } = this;
    const cw = Math.ceil(g.c / 32);
    const pixels = batch * g.h * g.w;
    const outPixels = batch * g.oh * g.ow;
    arena.resetScratch();
    const xPtr = arena.scratch(x.byteLength);
    const packed = arena.scratch(pixels * cw * 4);
    const absMean = arena.scratch(pixels * 4);
    const rows = arena.scratch(outPixels * stride * 4);
    const kScale = arena.scratch(outPixels * 4);
    const result = arena.scratch(outPixels * g.k * 4); // popcounts, then the output in place
    arena.f32(xPtr, x.length).set(x);
    arena
      .i32(this.geom, 14)
      .set([
        batch,
        g.h,
        g.w,
        cw,
        g.kh,
        g.kw,
        g.sh,
        g.sw,
        g.dh,
        g.dw,
        g.padTop,
        g.padLeft,
        g.oh,
        g.ow,
      ]);
    const e = arena.exports;
    e.pack_signs(xPtr, pixels, g.c, packed, cw, absMean);
    e.gather_rows(packed, this.geom, rows, stride);
    e.box_mean(absMean, this.geom, kScale);
    e.xnor_gemm(rows, outPixels, this.filters, g.k, stride / 4, result);
    const nbits = g.kh * g.kw * g.c;
    e.xnor_epilogue(
      result,
      outPixels,
      g.k,
      nbits,
      this.corr,
      g.oh * g.ow,
      this.alpha,
      kScale,
      this.bias,
      result,
    );
    out.set(arena.f32(result, outPixels * g.k));
  }
}

export class XnorWasmDense {
  private constructor(
    private readonly arena: WasmArena<XnorExports>,
    private readonly n: number,
    private readonly outputs: number,
    private readonly stride: number,
    private readonly columns: number,
    private readonly alpha: number,
    private readonly bias: number,
  ) {}

  /** weights [n, outputs]. */
  static async create(weights: Float32Array, n: number, outputs: number, bias?: Float32Array) {
    const arena = await WasmArena.create<XnorExports>(WASM_BASE64);
    const stride = paddedWords(n);
    const columns = copyIn(arena, packDenseColumns(weights, n, outputs, stride));
    const alpha = copyIn(arena, filterAlpha(weights, outputs));
    const biasPtr = bias ? copyIn(arena, bias) : 0;
    return new XnorWasmDense(arena, n, outputs, stride, columns, alpha, biasPtr);
  }

  outputShape(batch: number): number[] {
    return [batch, this.outputs];
  }

  run(x: Float32Array, batch: number, out: Float32Array): void {
    const { arena, n, outputs, stride } = this;
    arena.resetScratch();
    const xPtr = arena.scratch(x.byteLength);
    const packed = arena.scratch(batch * stride * 4);
    const beta = arena.scratch(batch * 4);
    const result = arena.scratch(batch * outputs * 4);
    arena.f32(xPtr, x.length).set(x);
    const e = arena.exports;
    e.pack_signs(xPtr, batch, n, packed, stride, beta);
    e.xnor_gemm(packed, batch, this.columns, outputs, stride / 4, result);
    e.xnor_epilogue(result, batch, outputs, n, 0, 1, this.alpha, beta, this.bias, result);
    out.set(arena.f32(result, batch * outputs));
  }
}
