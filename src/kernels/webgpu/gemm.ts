/** Parameters and dispatch of the batched strided GEMM (gemm.wgsl). */
import gemmWgsl from './gemm.wgsl?raw';
import type { GpuContext } from './gpu.ts';

export interface GemmShape {
  M: number;
  N: number;
  K: number;
  /** Batch = batches GEMMs, index b = b1 * nb2 + b2. */
  batches: number;
  nb2: number;
  lda: number;
  ldb: number;
  ldc: number;
  aOff?: number;
  aStride1?: number;
  aStride2?: number;
  bOff?: number;
  bStride1?: number;
  bStride2?: number;
  cStride1?: number;
  cStride2?: number;
  hasBias: boolean;
}

export function gemmUniform(context: GpuContext, s: GemmShape): GPUBuffer {
  return context.uniform([
    s.M,
    s.N,
    s.K,
    s.nb2,
    s.lda,
    s.ldb,
    s.ldc,
    s.batches,
    s.aOff ?? 0,
    s.aStride1 ?? 0,
    s.aStride2 ?? 0,
    s.bOff ?? 0,
    s.bStride1 ?? 0,
    s.bStride2 ?? 0,
    s.cStride1 ?? 0,
    s.cStride2 ?? 0,
    s.hasBias ? 1 : 0,
    0,
    0,
    0,
  ]);
}

/** C = A x B per batch; `bias` must be bound even when unused. */
export function encodeGemm(
  context: GpuContext,
  encoder: GPUCommandEncoder,
  buffers: { a: GPUBuffer; b: GPUBuffer; c: GPUBuffer; uniform: GPUBuffer; bias: GPUBuffer },
  s: GemmShape,
): void {
  context.dispatch(
    encoder,
    context.pipeline(gemmWgsl),
    [buffers.a, buffers.b, buffers.c, buffers.uniform, buffers.bias],
    [Math.ceil(s.N / 64), Math.ceil(s.M / 64), s.batches],
  );
}
