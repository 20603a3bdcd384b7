/**
 * Picks the tfjs backend the lab runs on. "auto" prefers WebGPU, then WebGL, then WASM, then
 * CPU, but skips a GPU backend that only has a software rasterizer behind it (SwiftShader,
 * llvmpipe): those are slower than WASM. Every skipped backend carries a reason phrased for the
 * person reading the status line. Works in a page and in a worker (OffscreenCanvas).
 */
import { BACKENDS, type BackendChoice, type BackendName } from '../backend-names.ts';

export interface SkippedBackend {
  readonly backend: BackendName;
  readonly reason: string;
}

export interface BackendStatus {
  /** The backend that actually runs the lab. */
  readonly active: BackendName;
  /** What the person (or link) asked for. */
  readonly requested: BackendChoice;
  /** Backends tried before `active`, in order, each with why it was not used. */
  readonly skipped: readonly SkippedBackend[];
  /** Set when `active` took over from a backend that stopped working during this session. */
  readonly lost?: SkippedBackend;
  /** Threads of the wasm backend when it is active (more than 1 only when cross-origin isolated). */
  readonly wasmThreads?: number;
}

export const BACKEND_LABELS: Record<BackendName, string> = {
  webgpu: 'WebGPU',
  webgl: 'WebGL',
  wasm: 'WASM',
  cpu: 'CPU',
};

/** Why a backend is not worth using here, or null when it looks usable. */
export type BackendProbe = (name: BackendName) => Promise<string | null>;

export interface BackendSelectionDeps {
  /** Cheap capability checks run before "auto" tries a backend. */
  readonly probe: BackendProbe;
  /** Makes `name` the active tfjs backend; false (or a throw) when it does not start. */
  readonly activate: (name: BackendName) => Promise<boolean>;
}

export class NoBackendError extends Error {
  constructor(readonly skipped: readonly SkippedBackend[]) {
    super(
      `No compute backend could start: ${skipped.map((s) => `${BACKEND_LABELS[s.backend]}: ${s.reason}`).join('; ')}`,
    );
    this.name = 'NoBackendError';
  }
}

async function tryActivate(
  name: BackendName,
  activate: BackendSelectionDeps['activate'],
): Promise<string | null> {
  try {
    return (await activate(name)) ? null : 'it failed to start in this browser';
  } catch (err) {
    return `it failed to start (${err instanceof Error ? err.message : String(err)})`;
  }
}

/**
 * Activates the backend for `choice`. An explicit choice is used if it starts at all (even on
 * a software adapter: the person asked for it); otherwise the auto order continues after it.
 * Backends in `unavailable` (lost earlier: a WebGPU device or WebGL context that cannot come
 * back in this worker) are never activated; they are skipped with the reason given there.
 */
export async function selectBackend(
  choice: BackendChoice,
  deps: BackendSelectionDeps,
  unavailable: ReadonlyMap<BackendName, string> = new Map(),
): Promise<BackendStatus> {
  const skipped: SkippedBackend[] = [];
  const gone = (name: BackendName) => {
    const reason = unavailable.get(name);
    if (reason !== undefined) skipped.push({ backend: name, reason });
    return reason !== undefined;
  };
  if (choice !== 'auto' && !gone(choice)) {
    const failure = await tryActivate(choice, deps.activate);
    if (failure === null) return { active: choice, requested: choice, skipped };
    // The probe usually knows the more useful reason ("no WebGPU adapter is available").
    const reason = choice === 'cpu' ? null : await deps.probe(choice).catch(() => null);
    skipped.push({ backend: choice, reason: reason ?? failure });
  }
  for (const name of BACKENDS) {
    if (name === choice || gone(name)) continue;
    // CPU is the last resort: no probe can make it worse than nothing.
    const unsuitable = name === 'cpu' ? null : await deps.probe(name);
    if (unsuitable !== null) {
      skipped.push({ backend: name, reason: unsuitable });
      continue;
    }
    const failure = await tryActivate(name, deps.activate);
    if (failure === null) return { active: name, requested: choice, skipped };
    skipped.push({ backend: name, reason: failure });
  }
  throw new NoBackendError(skipped);
}

/** One line for the page: "Running on WASM — skipped WebGPU: …; skipped WebGL: …". */
export function describeBackendStatus(status: BackendStatus): string {
  const head = `Running on ${BACKEND_LABELS[status.active]}${threadsNote(status)}`;
  const asked =
    status.requested !== 'auto' && status.requested !== status.active
      ? ` instead of the requested ${BACKEND_LABELS[status.requested]}`
      : status.requested === 'auto'
        ? ' (chosen automatically)'
        : '';
  const reasons = status.skipped
    .filter((s) => s.backend !== status.lost?.backend) // said once, by the loss
    .map((s) => `skipped ${BACKEND_LABELS[s.backend]}: ${s.reason}`);
  const line = reasons.length === 0 ? `${head}${asked}` : `${head}${asked} — ${reasons.join('; ')}`;
  return status.lost ? `${describeLoss(status.lost, status.active)}. ${line}` : line;
}

/** " (2 threads)" for a threaded wasm backend, else nothing. */
export function threadsNote(status: BackendStatus): string {
  const threads = status.active === 'wasm' ? (status.wasmThreads ?? 1) : 1;
  return threads > 1 ? ` (${threads} threads)` : '';
}

/** "WebGL was lost: its context was lost …; now on WASM". */
export function describeLoss(lost: SkippedBackend, active: BackendName): string {
  return `${BACKEND_LABELS[lost.backend]} was lost: ${lost.reason}; now on ${BACKEND_LABELS[active]}`;
}

const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|software|basic render/i;

function softwareName(text: string): string {
  if (/swiftshader/i.test(text)) return 'SwiftShader';
  if (/llvmpipe|softpipe/i.test(text)) return 'llvmpipe';
  return 'software';
}

/** Minimal shapes of the WebGPU objects we read, so this file needs no @webgpu/types. */
interface GpuAdapterInfoLike {
  readonly vendor?: string;
  readonly architecture?: string;
  readonly device?: string;
  readonly description?: string;
  readonly isFallbackAdapter?: boolean;
}
interface GpuAdapterLike {
  readonly info?: GpuAdapterInfoLike;
  readonly isFallbackAdapter?: boolean;
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<GpuAdapterLike | null>;
}

export async function probeWebGpu(gpu: GpuLike | undefined): Promise<string | null> {
  if (!gpu) return 'this browser does not expose WebGPU (navigator.gpu is missing)';
  let adapter: GpuAdapterLike | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (err) {
    return `asking for a GPU adapter failed (${err instanceof Error ? err.message : String(err)})`;
  }
  if (!adapter) return 'no WebGPU adapter is available (no GPU, or WebGPU is disabled)';
  const info = adapter.info ?? {};
  const text = [info.vendor, info.architecture, info.device, info.description].join(' ');
  if (info.isFallbackAdapter || adapter.isFallbackAdapter || SOFTWARE_RENDERER.test(text)) {
    return `only a software (${softwareName(text || 'SwiftShader')}) adapter, slower than WASM`;
  }
  return null;
}

type CanvasFactory = () => { getContext(kind: 'webgl2' | 'webgl'): unknown } | null;

type GlContext = WebGLRenderingContext | WebGL2RenderingContext;

export function probeWebGl(createCanvas: CanvasFactory): string | null {
  let gl: GlContext | null = null;
  try {
    const canvas = createCanvas();
    if (!canvas) return 'this browser cannot create a canvas here';
    gl = (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as GlContext | null;
  } catch {
    gl = null;
  }
  if (!gl) return 'WebGL is not available (no context could be created)';
  const debugInfo = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(
    debugInfo ? gl.getParameter(debugInfo.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER),
  );
  // Free the probe context now; browsers cap how many can live at once.
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  if (SOFTWARE_RENDERER.test(renderer)) {
    return `only a software renderer (${softwareName(renderer)}), slower than WASM`;
  }
  return null;
}

/** Probes for the current global scope: a window or a (module) worker. */
export function browserBackendProbe(): BackendProbe {
  return async (name) => {
    switch (name) {
      case 'webgpu':
        return probeWebGpu((navigator as Navigator & { gpu?: GpuLike }).gpu);
      case 'webgl':
        return probeWebGl(() =>
          typeof OffscreenCanvas !== 'undefined'
            ? new OffscreenCanvas(1, 1)
            : typeof document !== 'undefined'
              ? document.createElement('canvas')
              : null,
        );
      case 'wasm':
        return typeof WebAssembly === 'object' ? null : 'this browser has no WebAssembly';
      case 'cpu':
        return null;
    }
  };
}
