/**
 * One instance of a hand-written WebAssembly module (see *.wat) with a simple memory plan:
 * a persistent region at the bottom (a prepared layer's packed weights, scales, tables) and a
 * scratch region above it that every call lays out anew. Each prepared layer gets its own
 * instance, so its weights stay put and disposing it frees everything at once.
 *
 * Views over the memory go stale when it grows: take them after the last allocation of a call.
 */
const compiled = new Map<string, Promise<WebAssembly.Module>>();

function decodeBase64(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** Compiles a generated module's bytes once per process (async: fine on a page's main thread). */
function compile(base64: string): Promise<WebAssembly.Module> {
  let module = compiled.get(base64);
  if (module == null) {
    module = WebAssembly.compile(decodeBase64(base64));
    compiled.set(base64, module);
  }
  return module;
}

/** Whether this engine runs WebAssembly SIMD (v128); the kernels need it. */
export function wasmSimdSupported(): boolean {
  // The smallest module with a v128 value: (func (result v128) v128.const i32x4 0 0 0 0).
  const probe = new Uint8Array([
    0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11,
  ]);
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(probe);
  } catch {
    return false;
  }
}

const ALIGN = 16;
const PAGE = 65536;

export class WasmArena<Exports> {
  private persistentEnd = ALIGN; // address 0 stays unused, so 0 can mean "none" in calls
  private scratchEnd = ALIGN;

  private constructor(
    readonly exports: Exports,
    private readonly memory: WebAssembly.Memory,
  ) {}

  static async create<Exports>(base64: string): Promise<WasmArena<Exports>> {
    const instance = await WebAssembly.instantiate(await compile(base64));
    const memory = instance.exports.memory as WebAssembly.Memory;
    return new WasmArena(instance.exports as Exports, memory);
  }

  private reserve(at: number, bytes: number): number {
    const start = Math.ceil(at / ALIGN) * ALIGN;
    const end = start + bytes;
    if (end > this.memory.buffer.byteLength) {
      this.memory.grow(Math.ceil((end - this.memory.buffer.byteLength) / PAGE));
    }
    return start;
  }

  /** Memory kept for the instance's lifetime; only before the first scratch allocation. */
  persistent(bytes: number): number {
    const start = this.reserve(this.persistentEnd, bytes);
    this.persistentEnd = start + bytes;
    this.scratchEnd = this.persistentEnd;
    return start;
  }

  /** Starts a call's scratch layout (frees the previous call's). */
  resetScratch(): void {
    this.scratchEnd = this.persistentEnd;
  }

  scratch(bytes: number): number {
    const start = this.reserve(this.scratchEnd, bytes);
    this.scratchEnd = start + bytes;
    return start;
  }

  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, length);
  }

  i32(ptr: number, length: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, length);
  }

  u32(ptr: number, length: number): Uint32Array {
    return new Uint32Array(this.memory.buffer, ptr, length);
  }

  /** Bytes in use, for the layer table's memory column. */
  get bytesUsed(): number {
    return this.scratchEnd;
  }
}
