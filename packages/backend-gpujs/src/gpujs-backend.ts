/**
 * The gpu.js scan backend: affine scans as chunked or Hillis–Steele scans whose passes stay on the
 * device (one gpu.js pipeline per scan), plus the on-device DEER / quasi-DEER solver for gpuCells.
 */
import {
  type AffineScanArgs,
  checkInteger,
  type DeviceSolver,
  type DTypeCapabilities,
  type ScanBackend,
  type ScanReport,
  ShapeError,
} from '@antler/core';
import type { GPU } from 'gpu.js';
import { checkAffineArgs, MAX_DENSE_SIZE } from './affine-args.js';
import { packAffine, packedStepSize, problemCount, unpackStateRows, unpackStates } from './affine-pack.js';
import { DEFAULT_CHUNK_LENGTH } from './chunked-kernel.js';
import { DeviceSolvePlanCache, solveOnGpuJs } from './device-solver.js';
import { CPU_MODES, type GpuJsMode, openGpuJsMode } from './gpujs-mode.js';
import { MAX_PACKED_ELEMENTS } from './scan-kernel.js';
import { type PlanExecution, ScanPlanCache } from './scan-plans.js';
import type { WebGpuEnvironmentOptions } from './webgpu-environment.js';

/** Options of {@link createGpuJsBackend}. */
export interface GpuJsBackendOptions {
  /** gpu.js mode; default `'webgpu'`. */
  readonly mode?: GpuJsMode;
  /** How `navigator.gpu` is provided in Node (`webgpu` mode). */
  readonly webgpu?: WebGpuEnvironmentOptions;
  /** Compiled shapes kept (LRU); default 16. */
  readonly cacheSize?: number;
  /**
   * Compiled on-device solve plans kept between `solveOnDevice` calls of the same cell, method, batch
   * and length (LRU); default 4, 0 compiles every solve afresh.
   */
  readonly devicePlanCacheSize?: number;
  /**
   * Most packed floats one pipeline handles (default and maximum 2²², see `MAX_PACKED_ELEMENTS`);
   * larger batches are split into several pipelines.
   */
  readonly maxPackedElements?: number;
  /**
   * Scan algorithm: `'auto'` (default) uses the chunked scan for 1×1 and 2×2 problems (diagonal, block
   * size 1 or 2, dense n ≤ 2) and Hillis–Steele passes otherwise; `'hillis-steele'` always uses the
   * passes over all of T.
   */
  readonly algorithm?: 'auto' | 'hillis-steele';
  /** Chunk length of the chunked scan; default 8. */
  readonly chunkLength?: number;
}

/** A {@link ScanBackend} on gpu.js, saying what actually executed. */
export interface GpuJsBackend extends ScanBackend, DeviceSolver {
  /** The mode asked for. */
  readonly mode: GpuJsMode;
  /** The mode whose kernels ran (gpu.js may substitute one: `gpu` → `webasm` without a GL context). */
  readonly ranOn: string;
  /**
   * True when the kernels run on the CPU (`webasm`, `cpu`), whatever mode was asked for: the class of
   * the last scan's pipeline, or of the probe kernel before the first scan.
   */
  readonly onCpu: boolean;
  /** The WebGPU adapter (`webgpu` mode), e.g. `"llvmpipe … Mesa 22.3.6"`; null otherwise. */
  readonly adapter: string | null;
  /**
   * gpu.js's executor of the last scan or on-device solve: `'fused-encoder'` (webgpu: every pass in one command encoder,
   * one submit), `'fused-sync'` / `'fused-threaded'` (webasm), `'generic'` (pass by pass); null before
   * the first scan or when the last scan needed no pass (T = 1).
   */
  readonly executorKind: string | null;
  /**
   * Why what ran is not what was asked for: the mode substitution found at creation, or gpu.js's reason
   * for not fusing the last scan or on-device solve. Null when the asked-for mode ran fused.
   */
  readonly fallbackReason: string | null;
  /** The scan algorithm of the last scan (`'chunked'` or `'hillis-steele'`), null before the first. */
  readonly algorithm: 'chunked' | 'hillis-steele' | null;
  /** The gpu.js instance (for custom kernels on the same device). */
  readonly gpu: GPU;
  /** The compiled on-device solve plans (`builds` counts compilations); null when disabled. */
  readonly devicePlans: DeviceSolvePlanCache | null;
  /** Releases the compiled kernels and the gpu.js instance. */
  dispose(): Promise<void>;
}

/**
 * Creates the gpu.js backend in `mode` after proving the mode runs here (a probe kernel). Float32 only:
 * gpu.js has no float64. Affine scans of every structure (dense and block up to 16×16), forward and
 * reverse, transposed, batched, strided; no Kalman scans.
 *
 * @throws `BackendUnavailableError` (from `@antler/core`) when the mode cannot run here (the message says why).
 *
 * @example
 * ```ts
 * import { createGpuJsBackend } from '@antler/backend-gpujs';
 * const backend = await createGpuJsBackend({ mode: 'webgpu' });
 * const out = new Float32Array(3);
 * await backend.affineScan({
 *   structure: 'diagonal', batch: 1, length: 3, size: 1,
 *   a: { data: new Float32Array([0.5, 0.5, 0.5]) }, b: { data: new Float32Array([1, 1, 1]) },
 *   out: { data: out },
 * });
 * console.log(out, backend.ranOn, backend.executorKind); // [1, 1.5, 1.75] 'webgpu' 'fused-encoder'
 * await backend.dispose();
 * ```
 */
export async function createGpuJsBackend(options: GpuJsBackendOptions = {}): Promise<GpuJsBackend> {
  if (
    options.algorithm !== undefined &&
    options.algorithm !== 'auto' &&
    options.algorithm !== 'hillis-steele'
  ) {
    throw new ShapeError('algorithm', "'auto' or 'hillis-steele'", JSON.stringify(options.algorithm));
  }
  const algorithm = options.algorithm === 'hillis-steele' ? 'hillis-steele' : 'chunked';
  const chunkLength = checkInteger(options.chunkLength ?? DEFAULT_CHUNK_LENGTH, 'chunkLength');
  const cacheSize = checkInteger(options.cacheSize ?? 16, 'cacheSize');
  const limit = Math.min(
    checkInteger(options.maxPackedElements ?? MAX_PACKED_ELEMENTS, 'maxPackedElements'),
    MAX_PACKED_ELEMENTS,
  );
  const planCacheSize = checkInteger(options.devicePlanCacheSize ?? 4, 'devicePlanCacheSize', 0);
  const opened = await openGpuJsMode(options.mode ?? 'webgpu', options.webgpu);
  const devicePlans = planCacheSize > 0 ? new DeviceSolvePlanCache(planCacheSize) : null;
  const plans = new ScanPlanCache(opened.gpu, cacheSize);
  const caps: DTypeCapabilities = {
    affine: ['diagonal', 'block', 'dense'],
    blockSizes: Array.from({ length: MAX_DENSE_SIZE }, (_, i) => i + 1),
    reverse: true,
    kalman: [],
  };
  let last: PlanExecution | null = null;
  let lastAlgorithm: 'chunked' | 'hillis-steele' | null = null;
  const backend: GpuJsBackend = {
    name: `gpujs-${opened.ranOn}`,
    synchronous: false,
    capabilities: { float32: caps },
    mode: opened.requested,
    ranOn: opened.ranOn,
    get onCpu() {
      return CPU_MODES.includes(last?.backend ?? opened.ranOn);
    },
    adapter: opened.adapter,
    gpu: opened.gpu,
    devicePlans,
    get algorithm() {
      return lastAlgorithm;
    },
    get executorKind() {
      return last?.executorKind ?? null;
    },
    get fallbackReason() {
      const moved =
        last?.backend && last.backend !== opened.ranOn
          ? `gpu.js ran the last scan's kernels on '${last.backend}', not '${opened.ranOn}'`
          : null;
      const reasons = [opened.fallbackReason, moved, last?.fallbackReason].filter((s) => s);
      return reasons.length ? reasons.join('; ') : null;
    },
    async affineScan(args: AffineScanArgs): Promise<ScanReport> {
      const r = checkAffineArgs(args);
      const S = packedStepSize(r.k);
      const perProblem = r.length * S;
      if (perProblem > limit) {
        throw new ShapeError(
          'length',
          `at most ${Math.floor(limit / S)} steps for a gpu.js scan with k = ${r.k} (float32 thread indices)`,
          String(r.length),
        );
      }
      const total = problemCount(r);
      const chunk = Math.min(total, Math.floor(limit / perProblem));
      let finite = true;
      for (let first = 0; first < total; first += chunk) {
        const count = Math.min(chunk, total - first);
        const packed = new Float32Array(count * perProblem);
        packAffine(r, first, count, packed);
        if (r.length === 1) {
          // One step: the packed offset already is the state (s0 folded in); nothing to scan.
          finite = unpackStates(r, first, count, packed) && finite;
          continue;
        }
        const run = await plans.run(packed, count, r.length, r.k, algorithm, chunkLength);
        last = run.execution;
        lastAlgorithm = run.layout === 'states' ? 'chunked' : 'hillis-steele';
        const ok =
          run.layout === 'states'
            ? unpackStateRows(r, first, count, run.result)
            : unpackStates(r, first, count, run.result);
        finite = ok && finite;
      }
      return { finite };
    },
    solveOnDevice(cell, inputs, options) {
      return solveOnGpuJs(
        opened.gpu,
        backend.name,
        cell,
        inputs,
        options,
        opened.ranOn,
        devicePlans ?? undefined,
        (execution) => {
          last = execution;
        },
      );
    },
    async dispose() {
      await devicePlans?.clear();
      await plans.clear();
      await opened.gpu.destroy();
    },
  };
  return backend;
}
