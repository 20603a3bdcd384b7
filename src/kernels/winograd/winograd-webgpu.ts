/**
 * Winograd convolution on WebGPU, for 3x3 (F(2x2,3x3), F(4x4,3x3)) and 5x5 (F(2x2,5x5)) filters,
 * stride 1, no dilation, 'same' or 'valid'. Three passes: input transform (V = B^T d B per tile
 * and channel), T * T GEMMs that sum V .* U over the input channels, output transform
 * (Y = A^T M A, plus bias). U = G g G^T is computed once per weight tensor, when the kernel is
 * made, and kept on the GPU. Multiplies per output tile: T^2 instead of m^2 r^2.
 */
import type { ConvGeometry } from '../geometry.ts';
import { encodeGemm, gemmUniform, type GemmShape } from '../webgpu/gemm.ts';
import { GpuContext, linearGroups, type GpuKernel } from '../webgpu/gpu.ts';
import inputWgsl from './winograd-input.wgsl?raw';
import outputWgsl from './winograd-output.wgsl?raw';
import {
  transformFilters,
  winogradMatrices,
  winogradUnsupported,
  type WinogradVariant,
} from './transforms.ts';

/** Replaces each placeholder of a WGSL source (a comment holding a name, then a default). */
function specialize(code: string, values: Record<string, string>): string {
  return code.replace(/\/\*(\w+)\*\/[\w.]+/g, (match, name: string) => values[name] ?? match);
}

/** float32 values as WGSL literals, rounded as a Float32Array would store them. */
function wgslFloats(values: ArrayLike<number>): string {
  return Array.from(values, (v) => {
    const text = String(Math.fround(v));
    return /[.e]/.test(text) ? text : `${text}.0`;
  }).join(', ');
}

interface Batched {
  batch: number;
  V: GPUBuffer;
  M: GPUBuffer;
  inputUniform: GPUBuffer;
  outputUniform: GPUBuffer;
  gemmUniform: GPUBuffer;
  gemm: GemmShape;
  inputThreads: number;
  outputThreads: number;
}

export class WinogradGpuConv2d implements GpuKernel {
  private readonly context: GpuContext;
  private readonly U: GPUBuffer;
  /** The transforms' WGSL with this variant's T, m, B^T and A^T written in. */
  private readonly inputCode: string;
  private readonly outputCode: string;
  private readonly bias: GPUBuffer;
  private readonly T: number;
  private readonly tilesH: number;
  private readonly tilesW: number;
  private batched: Batched | null = null;

  constructor(
    device: GPUDevice,
    private readonly g: ConvGeometry,
    readonly variant: WinogradVariant,
    weights: Float32Array,
    private readonly hasBias: boolean,
    bias?: Float32Array,
  ) {
    const reason = winogradUnsupported(g, variant);
    if (reason) throw new Error(`${variant.name}: ${reason}`);
    this.context = GpuContext.of(device);
    const w = winogradMatrices(variant.m, variant.r, variant.points);
    this.T = w.T;
    this.U = this.context.storage(transformFilters(weights, g.c, g.k, w));
    this.inputCode = specialize(inputWgsl, {
      T: `${w.T}u`,
      TT: String(w.T * w.T),
      BT: wgslFloats(w.BT),
    });
    this.outputCode = specialize(outputWgsl, {
      T: `${w.T}u`,
      m: `${variant.m}u`,
      mT: String(variant.m * w.T),
      AT: wgslFloats(w.AT),
    });
    this.bias = this.context.storage(bias ?? new Float32Array(1));
    this.tilesH = Math.ceil(g.oh / variant.m);
    this.tilesW = Math.ceil(g.ow / variant.m);
  }

  outputShape(batch: number): number[] {
    return [batch, this.g.oh, this.g.ow, this.g.k];
  }

  /** Bytes of the transformed input and products at this batch (the kernel's workspace). */
  workspaceBytes(batch: number): number {
    const P = batch * this.tilesH * this.tilesW;
    return this.T * this.T * P * (this.g.c + this.g.k) * 4;
  }

  private buffersFor(batch: number): Batched {
    if (this.batched?.batch === batch) return this.batched;
    this.releaseBatched();
    const { g, T, tilesH, tilesW, context } = this;
    const P = batch * tilesH * tilesW;
    const m = this.variant.m;
    const gemm: GemmShape = {
      M: P,
      N: g.k,
      K: g.c,
      batches: T * T,
      nb2: T * T,
      lda: g.c,
      ldb: g.k,
      ldc: g.k,
      aStride2: P * g.c,
      bStride2: g.c * g.k,
      cStride2: P * g.k,
      hasBias: false,
    };
    this.batched = {
      batch,
      V: context.scratch(T * T * P * g.c * 4),
      M: context.scratch(T * T * P * g.k * 4),
      inputUniform: context.uniform([
        batch,
        g.h,
        g.w,
        g.c,
        tilesH,
        tilesW,
        g.padTop,
        g.padLeft,
        T,
        m,
        P * g.c,
        0,
      ]),
      outputUniform: context.uniform([
        batch,
        g.oh,
        g.ow,
        g.k,
        tilesH,
        tilesW,
        T,
        m,
        P * g.k,
        this.hasBias ? 1 : 0,
        0,
        0,
      ]),
      gemmUniform: gemmUniform(context, gemm),
      gemm,
      inputThreads: P * g.c,
      outputThreads: P * g.k,
    };
    return this.batched;
  }

  encode(encoder: GPUCommandEncoder, input: GPUBuffer, output: GPUBuffer, batch: number): number {
    const b = this.buffersFor(batch);
    const { context } = this;
    context.dispatch(
      encoder,
      context.pipeline(this.inputCode),
      [input, b.V, b.inputUniform],
      linearGroups(b.inputThreads, 256),
    );
    encodeGemm(
      context,
      encoder,
      { a: b.V, b: this.U, c: b.M, uniform: b.gemmUniform, bias: this.bias },
      b.gemm,
    );
    context.dispatch(
      encoder,
      context.pipeline(this.outputCode),
      [b.M, output, b.outputUniform, this.bias],
      linearGroups(b.outputThreads, 256),
    );
    return 3;
  }

  private releaseBatched(): void {
    if (this.batched == null) return;
    for (const buffer of [
      this.batched.V,
      this.batched.M,
      this.batched.inputUniform,
      this.batched.outputUniform,
      this.batched.gemmUniform,
    ]) {
      buffer.destroy();
    }
    this.batched = null;
  }

  dispose(): void {
    this.releaseBatched();
    for (const buffer of [this.U, this.bias]) buffer.destroy();
  }
}
