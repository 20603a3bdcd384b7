/**
 * XNOR-Net conv and dense layers on WebGPU: a pass packs the input's signs into u32 words and
 * writes mean |x| per pixel (xnor-pack.wgsl), then a tiled implicit GEMM sums
 * countOneBits(x ^ w) over each window, 64 pixels x 64 filters a workgroup (xnor-conv.wgsl).
 * Dense layers run as a 1x1 conv on a 1x1 image whose channels are the inputs. The packed
 * filters, alpha and the zero-padding correction are made once per weight tensor. Integer dot products equal the reference twin's exactly; the scaled outputs agree
 * with it to float32 rounding (WGSL does not promise IEEE-exact division).
 */
import { convGeometry, type ConvGeometry } from '../geometry.ts';
import { GpuContext, linearGroups, rowGroups, type GpuKernel } from '../webgpu/gpu.ts';
import { filterAlpha, packConvFilters, paddingCorrection } from './binarize.ts';
import convWgsl from './xnor-conv.wgsl?raw';
import packWgsl from './xnor-pack.wgsl?raw';

interface Batched {
  batch: number;
  bits: GPUBuffer;
  absMean: GPUBuffer;
  packUniform: GPUBuffer;
  convUniform: GPUBuffer;
  pixels: number;
  outPixels: number;
}

export class XnorGpuKernel implements GpuKernel {
  private readonly context: GpuContext;
  private readonly wbits: GPUBuffer;
  private readonly alpha: GPUBuffer;
  private readonly bias: GPUBuffer;
  /** Per output pixel of one image and filter: sign(w) summed over the taps in the padding. */
  private readonly corr: GPUBuffer;
  private readonly hasCorr: boolean;
  private batched: Batched | null = null;

  /** A conv layer (HWIO weights); `rawDots` makes it write the integer dot products alone. */
  constructor(
    device: GPUDevice,
    private readonly g: ConvGeometry,
    weights: Float32Array,
    private readonly bias_?: Float32Array,
    private readonly rawDots = false,
    private readonly dense = false,
  ) {
    this.context = GpuContext.of(device);
    // [k][kh * kw][cw] words: the WASM kernel's rows without their padding to whole v128.
    const words = g.kh * g.kw * Math.ceil(g.c / 32);
    this.wbits = this.context.storage(packConvFilters(weights, g, words));
    this.alpha = this.context.storage(filterAlpha(weights, g.k));
    this.bias = this.context.storage(bias_ ?? new Float32Array(1));
    const corr = paddingCorrection(weights, g);
    this.hasCorr = corr != null;
    this.corr = this.context.storage(corr ?? new Int32Array(1));
  }

  /** A dense layer, weights [n, outputs]. */
  static dense(
    device: GPUDevice,
    weights: Float32Array,
    n: number,
    outputs: number,
    bias?: Float32Array,
    rawDots = false,
  ): XnorGpuKernel {
    const g = convGeometry([1, 1, n], 1, [1, 1, n, outputs]);
    return new XnorGpuKernel(device, g, weights, bias, rawDots, true);
  }

  outputShape(batch: number): number[] {
    return this.dense ? [batch, this.g.k] : [batch, this.g.oh, this.g.ow, this.g.k];
  }

  private buffersFor(batch: number): Batched {
    if (this.batched?.batch === batch) return this.batched;
    this.releaseBatched();
    const { g, context } = this;
    const cw = Math.ceil(g.c / 32);
    const pixels = batch * g.h * g.w;
    this.batched = {
      batch,
      bits: context.scratch(pixels * cw * 4),
      absMean: context.scratch(pixels * 4),
      packUniform: context.uniform([pixels, g.c, cw, Math.min(cw, 64)]),
      convUniform: context.uniform([
        batch,
        g.h,
        g.w,
        g.c,
        cw,
        g.kh,
        g.kw,
        g.k,
        g.sh,
        g.sw,
        g.dh,
        g.dw,
        g.padTop,
        g.padLeft,
        g.oh,
        g.ow,
        this.bias_ ? 1 : 0,
        this.rawDots ? 1 : 0,
        this.hasCorr ? 1 : 0,
        0,
      ]),
      pixels,
      outPixels: batch * g.oh * g.ow,
    };
    return this.batched;
  }

  encode(encoder: GPUCommandEncoder, input: GPUBuffer, output: GPUBuffer, batch: number): number {
    const b = this.buffersFor(batch);
    const { context } = this;
    context.dispatch(
      encoder,
      context.pipeline(packWgsl),
      [input, b.bits, b.absMean, b.packUniform],
      linearGroups(b.pixels, Math.floor(64 / Math.min(Math.ceil(this.g.c / 32), 64))),
    );
    const [y, z] = rowGroups(Math.ceil(b.outPixels / 64));
    context.dispatch(
      encoder,
      context.pipeline(convWgsl),
      [b.bits, b.absMean, this.wbits, this.alpha, this.bias, output, b.convUniform, this.corr],
      [Math.ceil(this.g.k / 64), y, z],
    );
    return 2;
  }

  private releaseBatched(): void {
    if (this.batched == null) return;
    const { bits, absMean, packUniform, convUniform } = this.batched;
    for (const buffer of [bits, absMean, packUniform, convUniform]) buffer.destroy();
    this.batched = null;
  }

  dispose(): void {
    this.releaseBatched();
    for (const buffer of [this.wbits, this.alpha, this.bias, this.corr]) buffer.destroy();
  }
}
