/** Pruned dense layer as a CSR x dense product on WebGPU (csr.wgsl); the CSR is built once. */
import { GpuContext, type GpuKernel } from '../webgpu/gpu.ts';
import { csrOfTransposed, type Csr } from './csr.ts';
import csrWgsl from './csr.wgsl?raw';

export class CsrGpuDense implements GpuKernel {
  private readonly context: GpuContext;
  readonly csr: Csr;
  private readonly rowPtr: GPUBuffer;
  private readonly cols: GPUBuffer;
  private readonly vals: GPUBuffer;
  private readonly bias: GPUBuffer;
  private uniforms = new Map<number, GPUBuffer>();

  constructor(
    device: GPUDevice,
    weights: Float32Array,
    private readonly n: number,
    private readonly outputs: number,
    private readonly bias_?: Float32Array,
  ) {
    this.context = GpuContext.of(device);
    this.csr = csrOfTransposed(weights, n, outputs);
    this.rowPtr = this.context.storage(new Uint32Array(this.csr.rowPtr));
    this.cols = this.context.storage(new Uint32Array(this.csr.cols));
    this.vals = this.context.storage(this.csr.vals);
    this.bias = this.context.storage(bias_ ?? new Float32Array(1));
  }

  outputShape(batch: number): number[] {
    return [batch, this.outputs];
  }

  encode(encoder: GPUCommandEncoder, input: GPUBuffer, output: GPUBuffer, batch: number): number {
    let uniform = this.uniforms.get(batch);
    if (uniform == null) {
      uniform = this.context.uniform([batch, this.n, this.outputs, this.bias_ ? 1 : 0]);
      this.uniforms.set(batch, uniform);
    }
    this.context.dispatch(
      encoder,
      this.context.pipeline(csrWgsl),
      [input, this.rowPtr, this.cols, this.vals, this.bias, output, uniform],
      [Math.ceil(this.outputs / 64), batch, 1],
    );
    return 1;
  }

  dispose(): void {
    for (const buffer of [
      this.rowPtr,
      this.cols,
      this.vals,
      this.bias,
      ...this.uniforms.values(),
    ]) {
      buffer.destroy();
    }
    this.uniforms.clear();
  }
}
