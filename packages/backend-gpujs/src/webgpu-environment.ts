/**
 * Gives Node a `navigator.gpu` so that gpu.js's `webgpu` mode can find an adapter. Node 20 has no
 * `navigator`; the `webgpu` package (Dawn) provides the GPU object. Two details matter on headless
 * Linux: Dawn's OpenGL backend needs `EGL_PLATFORM=surfaceless`, and Mesa's software adapter
 * (llvmpipe) exists only at the `compatibility` feature level, which gpu.js does not ask for — so the
 * installed `navigator.gpu` forwards every `requestAdapter` call with `featureLevel` filled in.
 */

/** Options of {@link installWebGpuNavigator}. */
export interface WebGpuEnvironmentOptions {
  /** Dawn toggles passed to `create()` of the `webgpu` package; default `['backend=opengl']` on Linux. */
  readonly dawnOptions?: readonly string[];
  /** Feature level asked of `requestAdapter`; default `'compatibility'` (what llvmpipe offers). */
  readonly featureLevel?: 'core' | 'compatibility';
  /** Power preference asked of `requestAdapter`; default `'high-performance'` (the discrete GPU). */
  readonly powerPreference?: 'high-performance' | 'low-power';
}

/** The adapter's `info` fields (GPUAdapterInfo). */
export interface WebGpuAdapterInfo {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
}

/** What {@link installWebGpuNavigator} did. */
export interface WebGpuEnvironment {
  /** `'existing'` when a `navigator.gpu` was already there (a browser, Deno, Node ≥ 21 with a GPU). */
  readonly source: 'existing' | 'dawn';
  /** The adapter's description (vendor, architecture, device), or null when no adapter answered. */
  readonly adapter: string | null;
  /** The adapter's info fields, or null when no adapter answered. */
  readonly info: WebGpuAdapterInfo | null;
}

let installed: Promise<WebGpuEnvironment> | undefined;

/**
 * Installs `globalThis.navigator.gpu` from the `webgpu` package unless one exists, and asks once for an
 * adapter. Idempotent: later calls return the first call's result.
 *
 * @example
 * ```ts
 * import { installWebGpuNavigator } from '@antler/backend-gpujs';
 * const env = await installWebGpuNavigator();
 * console.log(env.adapter); // e.g. "mesa llvmpipe" on a headless Linux box, null without an adapter
 * ```
 */
export function installWebGpuNavigator(options: WebGpuEnvironmentOptions = {}): Promise<WebGpuEnvironment> {
  if (!installed) {
    const attempt = install(options);
    installed = attempt;
    // A failed attempt (no webgpu package, say) may be retried later.
    attempt.catch(() => {
      if (installed === attempt) installed = undefined;
    });
  }
  return installed;
}

interface AdapterLike {
  readonly info?: { vendor?: string; architecture?: string; device?: string; description?: string };
}
interface GpuLike {
  requestAdapter(options?: Record<string, unknown>): Promise<AdapterLike | null>;
}

async function install(options: WebGpuEnvironmentOptions): Promise<WebGpuEnvironment> {
  const g = globalThis as { navigator?: { gpu?: GpuLike } };
  const featureLevel = options.featureLevel ?? 'compatibility';
  const powerPreference = options.powerPreference ?? 'high-performance';
  let source: WebGpuEnvironment['source'] = 'existing';
  if (!g.navigator?.gpu) {
    // Must be set before Dawn opens EGL; harmless elsewhere.
    const linux = typeof process !== 'undefined' && process.platform === 'linux';
    if (linux) process.env.EGL_PLATFORM ??= 'surfaceless';
    const webgpu = (await import('webgpu')) as unknown as {
      create(options: string[]): GpuLike & Record<string, unknown>;
      globals: Record<string, unknown>;
    };
    Object.assign(globalThis, webgpu.globals);
    const defaults = linux ? ['backend=opengl'] : [];
    const dawn = webgpu.create([...(options.dawnOptions ?? defaults)]);
    const gpu = {
      requestAdapter: (o?: Record<string, unknown>) =>
        dawn.requestAdapter({ featureLevel, powerPreference, ...(o ?? {}) }),
      getPreferredCanvasFormat: () => 'rgba8unorm',
      wgslLanguageFeatures: dawn.wgslLanguageFeatures,
    };
    if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    else
      Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    source = 'dawn';
  }
  let adapter: AdapterLike | null = null;
  try {
    adapter = (await (globalThis as { navigator: { gpu: GpuLike } }).navigator.gpu.requestAdapter()) ?? null;
  } catch {
    adapter = null;
  }
  const info = adapter?.info;
  const description = adapter
    ? [info?.vendor, info?.architecture, info?.device, info?.description].filter((s) => s).join(' ') ||
      'unnamed adapter'
    : null;
  const text = (v: string | undefined) => v ?? '';
  return {
    source,
    adapter: description,
    info: adapter
      ? {
          vendor: text(info?.vendor),
          architecture: text(info?.architecture),
          device: text(info?.device),
          description: text(info?.description),
        }
      : null,
  };
}
