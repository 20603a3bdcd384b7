import { describe, expect, it } from 'vitest';
import type { BackendName } from '../backend-names.ts';
import {
  NoBackendError,
  describeBackendStatus,
  probeWebGl,
  probeWebGpu,
  selectBackend,
  type BackendProbe,
} from './select-backend.ts';

function fakeDeps(unsuitable: Partial<Record<BackendName, string>>, failing: BackendName[] = []) {
  const activated: BackendName[] = [];
  const probe: BackendProbe = async (name) => unsuitable[name] ?? null;
  const activate = async (name: BackendName) => {
    activated.push(name);
    return !failing.includes(name);
  };
  return { deps: { probe, activate }, activated };
}

describe('selectBackend', () => {
  it('auto takes the first suitable backend in WebGPU, WebGL, WASM, CPU order', async () => {
    const { deps, activated } = fakeDeps({});
    expect(await selectBackend('auto', deps)).toEqual({
      active: 'webgpu',
      requested: 'auto',
      skipped: [],
    });
    expect(activated).toEqual(['webgpu']);
  });

  it('auto skips software GPUs with their reasons and lands on WASM', async () => {
    const { deps, activated } = fakeDeps({
      webgpu: 'only a software (SwiftShader) adapter, slower than WASM',
      webgl: 'only a software renderer (SwiftShader), slower than WASM',
    });
    const status = await selectBackend('auto', deps);
    expect(status.active).toBe('wasm');
    expect(status.skipped.map((s) => s.backend)).toEqual(['webgpu', 'webgl']);
    expect(activated).toEqual(['wasm']);
    expect(describeBackendStatus(status)).toBe(
      'Running on WASM (chosen automatically) — skipped WebGPU: only a software (SwiftShader) adapter, slower than WASM; skipped WebGL: only a software renderer (SwiftShader), slower than WASM',
    );
  });

  it('says how many threads WASM runs on, and nothing for one thread or another backend', () => {
    const wasm = { active: 'wasm', requested: 'wasm', skipped: [] } as const;
    expect(describeBackendStatus({ ...wasm, wasmThreads: 2 })).toBe('Running on WASM (2 threads)');
    expect(describeBackendStatus({ ...wasm, wasmThreads: 1 })).toBe('Running on WASM');
    expect(
      describeBackendStatus({ active: 'webgl', requested: 'webgl', skipped: [], wasmThreads: 2 }),
    ).toBe('Running on WebGL');
  });

  it('an explicit choice is used even where auto would skip it', async () => {
    const { deps } = fakeDeps({ webgl: 'only a software renderer (SwiftShader)' });
    expect(await selectBackend('webgl', deps)).toEqual({
      active: 'webgl',
      requested: 'webgl',
      skipped: [],
    });
  });

  it('an explicit choice that fails to start falls back with the reason', async () => {
    const { deps } = fakeDeps({ webgpu: 'navigator.gpu is missing' }, ['webgl']);
    const status = await selectBackend('webgl', deps);
    expect(status.active).toBe('wasm');
    expect(status.skipped).toEqual([
      { backend: 'webgl', reason: 'it failed to start in this browser' },
      { backend: 'webgpu', reason: 'navigator.gpu is missing' },
    ]);
    const viaProbe = await selectBackend(
      'webgpu',
      fakeDeps({ webgpu: 'no adapter' }, ['webgpu']).deps,
    );
    expect(viaProbe.skipped[0]).toEqual({ backend: 'webgpu', reason: 'no adapter' });
    expect(describeBackendStatus(status)).toMatch(
      /^Running on WASM instead of the requested WebGL/,
    );
  });

  it('a backend that throws while starting is skipped with its message', async () => {
    const status = await selectBackend('auto', {
      probe: async () => null,
      activate: async (name) => {
        if (name !== 'cpu') throw new Error(`${name} exploded`);
        return true;
      },
    });
    expect(status.active).toBe('cpu');
    expect(status.skipped[0]).toEqual({
      backend: 'webgpu',
      reason: 'it failed to start (webgpu exploded)',
    });
  });

  it('reports every reason when nothing starts', async () => {
    const { deps } = fakeDeps({}, ['webgpu', 'webgl', 'wasm', 'cpu']);
    await expect(selectBackend('auto', deps)).rejects.toBeInstanceOf(NoBackendError);
  });

  it('never activates a backend lost earlier, and says why it was skipped', async () => {
    const lost = new Map<BackendName, string>([['webgl', 'its context was lost']]);
    const { deps, activated } = fakeDeps({ webgpu: 'no adapter' });
    const explicit = await selectBackend('webgl', deps, lost);
    expect(explicit).toEqual({
      active: 'wasm',
      requested: 'webgl',
      skipped: [
        { backend: 'webgl', reason: 'its context was lost' },
        { backend: 'webgpu', reason: 'no adapter' },
      ],
    });
    const auto = await selectBackend('auto', fakeDeps({}).deps, lost);
    expect(auto.active).toBe('webgpu');
    const both = new Map([...lost, ['webgpu', 'device destroyed'] as const]);
    expect((await selectBackend('auto', deps, both)).skipped).toEqual([
      { backend: 'webgpu', reason: 'device destroyed' },
      { backend: 'webgl', reason: 'its context was lost' },
    ]);
    expect(activated).toEqual(['wasm', 'wasm']);
  });

  it('a status after a loss says what was lost and what runs now', () => {
    expect(
      describeBackendStatus({
        active: 'wasm',
        requested: 'webgl',
        skipped: [{ backend: 'webgl', reason: 'its context was lost' }],
        lost: { backend: 'webgl', reason: 'its context was lost' },
      }),
    ).toBe(
      'WebGL was lost: its context was lost; now on WASM. Running on WASM instead of the requested WebGL',
    );
  });
});

describe('probeWebGpu', () => {
  const gpuWith = (adapter: unknown) => ({ requestAdapter: async () => adapter as never });

  it('explains a missing navigator.gpu and a missing adapter', async () => {
    expect(await probeWebGpu(undefined)).toMatch(/navigator\.gpu is missing/);
    expect(await probeWebGpu(gpuWith(null))).toMatch(/no WebGPU adapter/);
  });

  it('flags SwiftShader as a software adapter, however it is reported', async () => {
    const swiftshader = { info: { vendor: 'google', architecture: 'swiftshader' } };
    expect(await probeWebGpu(gpuWith(swiftshader))).toBe(
      'only a software (SwiftShader) adapter, slower than WASM',
    );
    expect(await probeWebGpu(gpuWith({ info: { isFallbackAdapter: true } }))).toMatch(/software/);
    expect(await probeWebGpu(gpuWith({ isFallbackAdapter: true, info: {} }))).toMatch(/software/);
  });

  it('accepts a hardware adapter', async () => {
    const nvidia = { info: { vendor: 'nvidia', architecture: 'hopper', description: 'H100' } };
    expect(await probeWebGpu(gpuWith(nvidia))).toBeNull();
  });
});

describe('probeWebGl', () => {
  const canvasWithRenderer = (renderer: string | null) => () => ({
    getContext: () =>
      renderer === null
        ? null
        : {
            RENDERER: 0x1f01,
            getExtension: (name: string) =>
              name === 'WEBGL_debug_renderer_info' ? { UNMASKED_RENDERER_WEBGL: 0x9246 } : null,
            getParameter: () => renderer,
          },
  });

  it('flags SwiftShader and llvmpipe renderers', () => {
    expect(
      probeWebGl(canvasWithRenderer('ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)))')),
    ).toBe('only a software renderer (SwiftShader), slower than WASM');
    expect(probeWebGl(canvasWithRenderer('llvmpipe (LLVM 15.0.6, 256 bits)'))).toMatch(/llvmpipe/);
  });

  it('accepts a hardware renderer and explains a missing context', () => {
    expect(probeWebGl(canvasWithRenderer('ANGLE (NVIDIA, NVIDIA H100 Direct3D11)'))).toBeNull();
    expect(probeWebGl(canvasWithRenderer(null))).toMatch(/not available/);
    expect(probeWebGl(() => null)).toMatch(/cannot create a canvas/);
  });
});
