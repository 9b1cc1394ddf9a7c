/**
 * gpu.js modes and how to open one honestly: a mode that cannot run here is reported with the reason,
 * and a mode that gpu.js silently replaces (its `gpu` auto mode picks webasm or cpu when no GL context
 * exists) is detected by running a probe kernel and reading which kernel class actually executed.
 */
import { BackendUnavailableError } from '@antler/core';
import { GPU } from 'gpu.js';
import { installWebGpuNavigator, type WebGpuEnvironmentOptions } from './webgpu-environment.js';

/**
 * The gpu.js modes. `webgpu`: WGSL compute shaders over storage buffers (needs `navigator.gpu` and an
 * adapter). `headlessgl`: WebGL 1 in Node through the native `gl` module. `webgl`/`webgl2`: browsers.
 * `webasm`: WebAssembly SIMD on the CPU. `cpu`: plain JavaScript. `gpu`: gpu.js's automatic choice
 * among the synchronous modes (headlessgl → webgl2 → webgl → webasm → cpu). `async`: the same choice,
 * upgraded to webgpu on a kernel's first call when an adapter answers.
 */
export type GpuJsMode = 'webgpu' | 'headlessgl' | 'webgl' | 'webgl2' | 'webasm' | 'cpu' | 'gpu' | 'async';

/** Every mode, in the order {@link probeGpuJsModes} tries them. */
export const GPUJS_MODES: readonly GpuJsMode[] = [
  'webgpu',
  'headlessgl',
  'webgl2',
  'webgl',
  'webasm',
  'cpu',
  'gpu',
  'async',
];

/** Modes in which gpu.js picks the kernel class itself. */
export const AUTO_MODES: readonly GpuJsMode[] = ['gpu', 'async'];

/** Modes that execute on the CPU (no device memory). */
export const CPU_MODES: readonly string[] = ['webasm', 'cpu'];

/** A gpu.js instance that ran a probe kernel in its mode. */
export interface OpenedMode {
  /** The `GPU` instance. */
  readonly gpu: GPU;
  /** The mode asked for. */
  readonly requested: GpuJsMode;
  /** The mode whose kernel class actually ran the probe (differs from `requested` for `gpu`). */
  readonly ranOn: string;
  /** Why `ranOn` is not `requested` (or is a CPU mode under `gpu`), null when it is what was asked. */
  readonly fallbackReason: string | null;
  /** The WebGPU adapter that answered (`webgpu` mode only). */
  readonly adapter: string | null;
}

/**
 * Opens gpu.js in `mode` and proves it by running a 4-element kernel whose result is checked.
 * Throws a {@link BackendUnavailableError} with the reason when the mode cannot run here.
 */
export async function openGpuJsMode(
  mode: GpuJsMode,
  env: WebGpuEnvironmentOptions = {},
): Promise<OpenedMode> {
  if (!GPUJS_MODES.includes(mode)) {
    throw new BackendUnavailableError(
      `gpujs:${String(mode)}`,
      `unknown mode; use one of ${GPUJS_MODES.join(', ')}`,
    );
  }
  let adapter: string | null = null;
  if (mode === 'async') {
    // gpu.js upgrades to webgpu only if navigator.gpu answers; without one it stays on its GL/CPU choice.
    adapter = await installWebGpuNavigator(env).then(
      (e) => e.adapter,
      () => null,
    );
  }
  if (mode === 'webgpu') {
    try {
      adapter = (await installWebGpuNavigator(env)).adapter;
    } catch (e) {
      throw new BackendUnavailableError(
        'gpujs:webgpu',
        `the webgpu package could not load: ${(e as Error).message}`,
      );
    }
    if (adapter === null || !(await GPU.isWebGPUAvailable())) {
      throw new BackendUnavailableError('gpujs:webgpu', 'navigator.gpu returned no adapter');
    }
  }
  if (mode === 'headlessgl' && !GPU.isHeadlessGLSupported) {
    throw new BackendUnavailableError(
      'gpujs:headlessgl',
      "the native 'gl' module is not built (pnpm skipped its install script; building it compiles ANGLE from source or downloads a prebuilt binary)",
    );
  }
  if (
    (mode === 'webgl' || mode === 'webgl2') &&
    !(mode === 'webgl' ? GPU.isWebGLSupported : GPU.isWebGL2Supported)
  ) {
    throw new BackendUnavailableError(`gpujs:${mode}`, 'no WebGL context outside a browser');
  }
  let gpu: GPU;
  try {
    gpu = new GPU({ mode });
  } catch (e) {
    throw new BackendUnavailableError(`gpujs:${mode}`, (e as Error).message);
  }
  const probe = gpu.createKernel(
    function (this: { thread: { x: number } }, a: number[]) {
      return a[this.thread.x] * 2 + 1;
    },
    { output: [4] },
  );
  let ranOn: string;
  try {
    const out = (await (probe as unknown as (a: Float32Array) => unknown)(
      new Float32Array([1, 2, 3, 4]),
    )) as ArrayLike<number>;
    if (out[0] !== 3 || out[3] !== 9) throw new Error(`probe kernel returned ${Array.from(out).join(',')}`);
    const inner = (probe as unknown as { kernel?: { constructor: { mode?: string } } }).kernel;
    ranOn = inner?.constructor.mode ?? mode;
  } catch (e) {
    (probe as unknown as { destroy?: () => void }).destroy?.();
    await gpu.destroy().catch(() => undefined);
    throw new BackendUnavailableError(`gpujs:${mode}`, `probe kernel failed: ${(e as Error).message}`);
  }
  (probe as unknown as { destroy?: () => void }).destroy?.();
  let fallbackReason: string | null = null;
  // An automatic mode picking a GPU class is what was asked for; picking a CPU one is a fallback.
  if (ranOn !== mode && (!AUTO_MODES.includes(mode) || CPU_MODES.includes(ranOn))) {
    fallbackReason = `gpu.js mode '${mode}' ran its kernels on '${ranOn}'${
      CPU_MODES.includes(ranOn) ? ' (the CPU: no usable GPU context)' : ''
    }`;
  }
  return { gpu, requested: mode, ranOn, fallbackReason, adapter: ranOn === 'webgpu' ? adapter : null };
}

/** One line per mode: whether it ran here, where, and why not. */
export interface ModeProbe {
  readonly mode: GpuJsMode;
  readonly ran: boolean;
  readonly ranOn: string | null;
  readonly reason: string | null;
}

/**
 * Tries every gpu.js mode on this machine.
 *
 * @example
 * ```ts
 * import { probeGpuJsModes } from '@antler/backend-gpujs';
 * for (const p of await probeGpuJsModes()) console.log(p.mode, p.ran ? `ran on ${p.ranOn}` : p.reason);
 * ```
 */
export async function probeGpuJsModes(modes: readonly GpuJsMode[] = GPUJS_MODES): Promise<ModeProbe[]> {
  const out: ModeProbe[] = [];
  for (const mode of modes) {
    try {
      const opened = await openGpuJsMode(mode);
      out.push({ mode, ran: true, ranOn: opened.ranOn, reason: opened.fallbackReason });
      await opened.gpu.destroy();
    } catch (e) {
      out.push({ mode, ran: false, ranOn: null, reason: (e as Error).message });
    }
  }
  return out;
}
