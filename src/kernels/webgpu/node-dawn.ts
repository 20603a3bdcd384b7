/**
 * WebGPU in Node (tests, benchmarks) through Dawn, the `webgpu` npm package. Without a GPU it
 * runs on SwiftShader, the software Vulkan driver that Debian's Chromium ships: its Vulkan
 * loader (/usr/lib/chromium/libvulkan.so.1) is loaded into the process first, because Dawn only
 * looks for libvulkan.so.1 on the library path. On a GPU machine the system's loader and ICD
 * are used as they are (see ../shared/gpu/README.md).
 *
 * Must run before @tensorflow/tfjs-backend-webgpu is imported: it looks for navigator.gpu then.
 */
import { existsSync } from 'node:fs';
import { constants } from 'node:os';

const CHROMIUM_DIR = '/usr/lib/chromium';
const RTLD_NODELETE = 0x1000; // glibc; Node's os.constants.dlopen does not list it

export interface NodeWebGpu {
  adapter: string;
  /** Why WebGPU is not available, when it is not. */
  reason?: string;
}

let setup: Promise<NodeWebGpu> | null = null;

async function install(): Promise<NodeWebGpu> {
  const icd = `${CHROMIUM_DIR}/vk_swiftshader_icd.json`;
  const useSwiftShader =
    process.env.VK_ICD_FILENAMES == null &&
    process.env.VK_DRIVER_FILES == null &&
    existsSync(icd) &&
    !existsSync('/usr/lib/x86_64-linux-gnu/libvulkan.so.1');
  if (useSwiftShader) {
    try {
      // Loads the library and keeps it (NODELETE) although it is no Node addon, which throws.
      const flags = constants.dlopen.RTLD_NOW | constants.dlopen.RTLD_GLOBAL | RTLD_NODELETE;
      process.dlopen({ exports: {} }, `${CHROMIUM_DIR}/libvulkan.so.1`, flags);
    } catch {
      // "Module did not self-register": expected, the library stays loaded.
    }
    process.env.VK_ICD_FILENAMES = icd;
  }
  let webgpu: typeof import('webgpu');
  try {
    webgpu = await import('webgpu');
  } catch (err) {
    return {
      adapter: 'none',
      reason: `the webgpu package did not load: ${(err as Error).message}`,
    };
  }
  Object.assign(globalThis, webgpu.globals);
  // Dawn options for a benchmark, e.g. 'disable-dawn-features=timestamp_quantization' so GPU
  // timestamps keep their full precision; ';' separates several.
  const flags = (process.env.COMPLAB_DAWN_FLAGS ?? '').split(';').filter(Boolean);
  const gpu = webgpu.create(flags);
  Object.defineProperty(globalThis, 'navigator', {
    value: { gpu, userAgent: 'node' },
    configurable: true,
    writable: true,
  });
  const adapter = await gpu.requestAdapter();
  if (adapter == null) return { adapter: 'none', reason: 'no WebGPU adapter (no Vulkan driver)' };
  const info = adapter.info;
  const name = [info.vendor, info.architecture, info.device, info.description]
    .filter(Boolean)
    .join(' ');
  return { adapter: name || 'unknown adapter' };
}

/** Makes navigator.gpu exist in this Node process (once); says which adapter it found. */
export function installNodeWebGpu(): Promise<NodeWebGpu> {
  setup ??= install();
  return setup;
}
