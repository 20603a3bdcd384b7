/**
 * MEC convolution on WebGPU: one pass lowers the input into L (mec-lower.wgsl), then one
 * dispatch runs all n * oh GEMMs O[b, oy] = L[rows of image b, columns from oy * sh * kw * c]
 * x W, each slice addressed by an offset and L's row length as leading dimension (no copies),
 * writing straight into the NHWC output (Solution B of the paper: no transpose afterwards).
 * Any filter size and stride; dilation 1.
 */
import type { ConvGeometry } from '../geometry.ts';
import { encodeGemm, gemmUniform, type GemmShape } from '../webgpu/gemm.ts';
import { GpuContext, linearGroups, type GpuKernel } from '../webgpu/gpu.ts';
import lowerWgsl from './mec-lower.wgsl?raw';
import { loweredSizes, mecUnsupported, paddedHeight } from './mec.ts';

interface Batched {
  batch: number;
  L: GPUBuffer;
  lowerUniform: GPUBuffer;
  gemmUniform: GPUBuffer;
  gemm: GemmShape;
  lowered: number;
}

export class MecGpuConv2d implements GpuKernel {
  private readonly context: GpuContext;
  private readonly W: GPUBuffer;
  private readonly bias: GPUBuffer;
  private batched: Batched | null = null;

  constructor(
    device: GPUDevice,
    private readonly g: ConvGeometry,
    weights: Float32Array,
    private readonly hasBias: boolean,
    bias?: Float32Array,
  ) {
    const reason = mecUnsupported(g);
    if (reason) throw new Error(`mec: ${reason}`);
    this.context = GpuContext.of(device);
    this.W = this.context.storage(weights);
    this.bias = this.context.storage(bias ?? new Float32Array(1));
  }

  outputShape(batch: number): number[] {
    return [batch, this.g.oh, this.g.ow, this.g.k];
  }

  private buffersFor(batch: number): Batched {
    if (this.batched?.batch === batch) return this.batched;
    this.releaseBatched();
    const g = { ...this.g, n: batch };
    const hp = paddedHeight(g);
    const rowLength = hp * g.kw * g.c;
    const lowered = loweredSizes(g).mec;
    const gemm: GemmShape = {
      M: g.ow,
      N: g.k,
      K: g.kh * g.kw * g.c,
      batches: batch * g.oh,
      nb2: g.oh,
      lda: rowLength,
      ldb: g.k,
      ldc: g.k,
      aStride1: g.ow * rowLength,
      aStride2: g.sh * g.kw * g.c,
      cStride1: g.oh * g.ow * g.k,
      cStride2: g.ow * g.k,
      hasBias: this.hasBias,
    };
    const { context } = this;
    this.batched = {
      batch,
      L: context.scratch(lowered * 4),
      lowerUniform: context.uniform([
        batch,
        g.h,
        g.w,
        g.c,
        g.kw,
        g.sw,
        g.padTop,
        g.padLeft,
        g.ow,
        hp,
        lowered,
        0,
      ]),
      gemmUniform: gemmUniform(context, gemm),
      gemm,
      lowered,
    };
    return this.batched;
  }

  encode(encoder: GPUCommandEncoder, input: GPUBuffer, output: GPUBuffer, batch: number): number {
    const b = this.buffersFor(batch);
    const { context } = this;
    context.dispatch(
      encoder,
      context.pipeline(lowerWgsl),
      [input, b.L, b.lowerUniform],
      linearGroups(b.lowered, 256),
    );
    encodeGemm(
      context,
      encoder,
      { a: b.L, b: this.W, c: output, uniform: b.gemmUniform, bias: this.bias },
      b.gemm,
    );
    return 2;
  }

  private releaseBatched(): void {
    if (this.batched == null) return;
    for (const buffer of [this.batched.L, this.batched.lowerUniform, this.batched.gemmUniform]) {
      buffer.destroy();
    }
    this.batched = null;
  }

  dispose(): void {
    this.releaseBatched();
    this.W.destroy();
    this.bias.destroy();
  }
}
