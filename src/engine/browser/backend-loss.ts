/**
 * Notices when the GPU behind the active backend goes away: a WebGPU device that is lost (driver
 * reset, GPU removed, device destroyed) or a WebGL context the browser takes back. Neither comes
 * back for tfjs in this worker: its backend keeps the dead device or context, so the lab has to
 * move to the next backend and compute again; a result computed across the loss may be garbage
 * (a lost WebGL context reads back zeros without an error).
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../backend-names.ts';

export interface BackendWatch {
  readonly backend: BackendName;
  /** Why the backend was lost, or null while it works. Also asks the context itself. */
  lost(): string | null;
  /**
   * Resolves with the reason once the backend is lost (never for wasm and cpu). A WebGPU device
   * reports its loss a moment after the failure it causes, so a caller waits on this briefly
   * before deciding that a failed run was not a loss.
   */
  readonly whenLost: Promise<string>;
  /** Loses the device or context on purpose (tests only); false when there is none. */
  loseForTest(): boolean;
  /** Stops watching (the backend was replaced). */
  stop(): void;
}

interface WebGlBackendLike {
  gpgpu?: { gl?: WebGLRenderingContext | WebGL2RenderingContext };
}
interface WebGpuBackendLike {
  device?: GPUDevice;
}

const WEBGL_LOST = 'its context was lost (a GPU reset, or the browser took the context back)';

/** Watches the active tfjs backend, which must be `backend`. */
export function watchBackend(backend: BackendName): BackendWatch {
  let reason: string | null = null;
  let resolveLost: (why: string) => void = () => undefined;
  const whenLost = new Promise<string>((resolve) => {
    resolveLost = resolve;
  });
  let stopped = false;
  const markLost = (why: string) => {
    if (stopped || reason !== null) return;
    reason = why;
    resolveLost(why);
  };

  if (backend === 'webgl') {
    const gl = (tf.backend() as unknown as WebGlBackendLike).gpgpu?.gl;
    const canvas = gl?.canvas as EventTarget | undefined;
    const onLost = () => markLost(WEBGL_LOST);
    canvas?.addEventListener('webglcontextlost', onLost);
    return {
      backend,
      whenLost,
      lost: () => {
        if (reason === null && gl?.isContextLost()) markLost(WEBGL_LOST);
        return reason;
      },
      loseForTest: () => {
        const extension = gl?.getExtension('WEBGL_lose_context');
        extension?.loseContext();
        return extension != null;
      },
      stop: () => {
        stopped = true;
        canvas?.removeEventListener('webglcontextlost', onLost);
      },
    };
  }

  if (backend === 'webgpu') {
    // The same promise the kernel selection's onGpuDeviceLost listens to, read here for its
    // reason and message.
    const device = (tf.backend() as unknown as WebGpuBackendLike).device;
    void device?.lost.then((info) => {
      const message = info.message.trim().replace(/\.$/, '');
      markLost(`the GPU device was lost (${info.reason}${message ? `: ${message}` : ''})`);
    });
    return {
      backend,
      whenLost,
      lost: () => reason,
      loseForTest: () => {
        device?.destroy();
        return device != null;
      },
      stop: () => {
        stopped = true;
      },
    };
  }

  return {
    backend,
    whenLost,
    lost: () => null,
    loseForTest: () => false,
    stop: () => {
      stopped = true;
    },
  };
}
