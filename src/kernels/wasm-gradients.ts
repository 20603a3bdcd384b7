/** Placeholder replaced by the training work: registers gradient kernels missing from tfjs-wasm. */
export function registerWasmGradientKernels(): void {}
