/**
 * Finding a WebGPU adapter and device (browser `navigator.gpu`, or Dawn through the `webgpu` package in
 * Node), plus the few buffer helpers every kernel launcher uses.
 */
import type {} from 'webgpu';
import { BackendUnavailableError } from '@antler/core';

/** Buffer usage flags (the numeric values of `GPUBufferUsage`, so that Node needs no globals). */
export const USAGE = {
  MAP_READ: 0x0001,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
} as const;

/** Options of {@link acquireGpu} (and of `createWebGpuBackend`). */
export interface GpuOptions {
  /** A `GPU` object to use (for example `navigator.gpu`); found automatically when omitted. */
  readonly gpu?: GPU;
  /** A ready device to use (the adapter info then reads "unknown" where the device does not say). */
  readonly device?: GPUDevice;
  /**
   * Dawn toggles for Node when the `webgpu` package is loaded, e.g. `['backend=opengl']` for Mesa llvmpipe
   * or `['backend=vulkan']`. Default `[]` (Dawn's choice: Vulkan on Linux).
   */
  readonly dawnOptions?: readonly string[];
  /** `'core'` (default) or `'compatibility'` (needed by OpenGL-based adapters such as llvmpipe). */
  readonly featureLevel?: 'core' | 'compatibility';
  /** Adapter preference; default `'high-performance'`. */
  readonly powerPreference?: GPUPowerPreference;
}

/** What the adapter says about itself (printed with every benchmark result). */
export interface AdapterDescription {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  /** Features the device was created with (e.g. `subgroups`, `timestamp-query`). */
  readonly features: readonly string[];
  /** Largest storage buffer binding and buffer, in bytes. */
  readonly maxStorageBufferBindingSize: number;
  readonly maxBufferSize: number;
}

/** An adapter's device and a description of it. */
export interface GpuContext {
  readonly device: GPUDevice;
  readonly info: AdapterDescription;
  /** Set when the device was lost (every later call throws {@link BackendUnavailableError} with it). */
  lost: string | null;
}

const liveInstances = new Set<GPU>();

async function findGpu(options: GpuOptions): Promise<GPU> {
  if (options.gpu) return options.gpu;
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  try {
    // A variable specifier keeps bundlers for the browser from pulling in the native module.
    const name = 'webgpu';
    const mod = (await import(/* @vite-ignore */ name)) as { create(o: string[]): GPU; globals: object };
    // Dawn's objects expect the WebGPU globals (GPUBufferUsage, …) to exist, as in a browser.
    for (const [k, v] of Object.entries(mod.globals))
      if (!(k in globalThis)) Object.assign(globalThis, { [k]: v });
    if (process.platform === 'linux') process.env.EGL_PLATFORM ??= 'surfaceless';
    const gpu = mod.create([...(options.dawnOptions ?? [])]);
    // The GPU instance must outlive every device made from it (a collected instance crashes Dawn).
    liveInstances.add(gpu);
    return gpu;
  } catch (err) {
    throw new BackendUnavailableError(
      'webgpu',
      `no navigator.gpu and the 'webgpu' package could not be loaded (${(err as Error).message})`,
    );
  }
}

/** Requests an adapter and a device with the adapter's largest buffer and binding limits. */
export async function acquireGpu(options: GpuOptions = {}): Promise<GpuContext> {
  if (options.device) {
    const d = options.device;
    const ctx: GpuContext = { device: d, info: describe(undefined, d), lost: null };
    void d.lost.then((l) => {
      ctx.lost = `${l.reason}: ${l.message}`;
    });
    return ctx;
  }
  const gpu = await findGpu(options);
  const adapter = await gpu.requestAdapter({
    powerPreference: options.powerPreference ?? 'high-performance',
    ...(options.featureLevel ? { featureLevel: options.featureLevel } : {}),
  } as GPURequestAdapterOptions);
  if (!adapter) {
    throw new BackendUnavailableError(
      'webgpu',
      `requestAdapter returned null (featureLevel ${options.featureLevel ?? 'core'}, Dawn options [${(options.dawnOptions ?? []).join(', ')}])`,
    );
  }
  const L = adapter.limits;
  if (L.maxStorageBuffersPerShaderStage < 8) {
    throw new BackendUnavailableError(
      'webgpu',
      `the adapter allows ${L.maxStorageBuffersPerShaderStage} storage buffers per shader stage; the kernels need 8`,
    );
  }
  const wanted: GPUFeatureName[] = ['timestamp-query', 'subgroups'].filter((f) =>
    adapter.features.has(f),
  ) as GPUFeatureName[];
  const device = await adapter.requestDevice({
    requiredFeatures: wanted,
    requiredLimits: {
      maxStorageBufferBindingSize: L.maxStorageBufferBindingSize,
      maxBufferSize: L.maxBufferSize,
      maxStorageBuffersPerShaderStage: L.maxStorageBuffersPerShaderStage,
      maxComputeWorkgroupStorageSize: L.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: L.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: L.maxComputeWorkgroupSizeX,
    },
  });
  const ctx: GpuContext = { device, info: describe(adapter, device), lost: null };
  void device.lost.then((l) => {
    ctx.lost = `${l.reason}: ${l.message}`;
  });
  return ctx;
}

function describe(adapter: GPUAdapter | undefined, device: GPUDevice): AdapterDescription {
  const i = (adapter?.info ?? (device as { adapterInfo?: GPUAdapterInfo }).adapterInfo) as
    | GPUAdapterInfo
    | undefined;
  return {
    vendor: i?.vendor || 'unknown',
    architecture: i?.architecture || 'unknown',
    device: i?.device || 'unknown',
    description: i?.description || 'unknown',
    features: [...device.features].sort(),
    maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
    maxBufferSize: device.limits.maxBufferSize,
  };
}

/** Throws {@link BackendUnavailableError} when the device was lost. */
export function checkAlive(ctx: GpuContext): void {
  if (ctx.lost !== null) throw new BackendUnavailableError('webgpu', `the GPU device was lost (${ctx.lost})`);
}

/** Creates a storage buffer, optionally filled with `data`, size rounded up to 4 bytes (at least 4). */
export function storageBuffer(
  device: GPUDevice,
  byteLength: number,
  data?: Float32Array | Uint32Array,
  extraUsage = 0,
): GPUBuffer {
  const size = Math.max(4, Math.ceil(byteLength / 4) * 4);
  const buf = device.createBuffer({
    size,
    usage: USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST | extraUsage,
    mappedAtCreation: data !== undefined,
  });
  if (data !== undefined) {
    const Ctor = data instanceof Uint32Array ? Uint32Array : Float32Array;
    new Ctor(buf.getMappedRange()).set(data);
    buf.unmap();
  }
  return buf;
}

/** Creates a uniform buffer holding `words` (u32/f32 bit patterns). */
export function uniformBuffer(device: GPUDevice, words: Uint32Array): GPUBuffer {
  const buf = device.createBuffer({
    size: Math.max(16, Math.ceil(words.byteLength / 16) * 16),
    usage: USAGE.UNIFORM | USAGE.COPY_DST,
    mappedAtCreation: true,
  });
  new Uint32Array(buf.getMappedRange()).set(words);
  buf.unmap();
  return buf;
}

/** Copies `byteLength` bytes of `src` to the host (one submit + map). */
export async function readBack(
  device: GPUDevice,
  src: GPUBuffer,
  byteLength: number,
  encoder?: GPUCommandEncoder,
): Promise<ArrayBuffer> {
  const size = Math.max(4, Math.ceil(byteLength / 4) * 4);
  const staging = device.createBuffer({ size, usage: USAGE.MAP_READ | USAGE.COPY_DST });
  const enc = encoder ?? device.createCommandEncoder();
  enc.copyBufferToBuffer(src, 0, staging, 0, size);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(1 /* GPUMapMode.READ */);
  const copy = staging.getMappedRange().slice(0, byteLength);
  staging.unmap();
  staging.destroy();
  return copy;
}

/** Runs `body` inside out-of-memory and validation error scopes and turns a captured error into a throw. */
export async function withErrorScopes<R>(ctx: GpuContext, what: string, body: () => Promise<R>): Promise<R> {
  checkAlive(ctx);
  const d = ctx.device;
  d.pushErrorScope('out-of-memory');
  d.pushErrorScope('validation');
  let result: R | undefined;
  let failure: unknown = null;
  try {
    result = await body();
  } catch (err) {
    failure = err;
  }
  const validation = await d.popErrorScope();
  const oom = await d.popErrorScope();
  // A GPU-side error explains a host-side failure better than the failure itself.
  if (oom) throw new BackendUnavailableError('webgpu', `out of GPU memory during ${what}: ${oom.message}`);
  if (validation)
    throw new BackendUnavailableError(
      'webgpu',
      `WebGPU validation error during ${what}: ${validation.message}`,
    );
  if (failure !== null) throw failure;
  checkAlive(ctx);
  return result as R;
}

/** Bit pattern of a float32, for uniform buffers. */
export function f32Bits(x: number): number {
  const f = new Float32Array([x]);
  return new Uint32Array(f.buffer)[0];
}
