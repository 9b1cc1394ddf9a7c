/**
 * `createWebGpuBackend`: the core {@link ScanBackend} (float32) on host arrays plus a {@link DeviceSolver}
 * that runs whole quasi-DEER / DEER solves of zoo cells (GRU, Elman, LSTM, para-GRU, para-LSTM, minGRU,
 * minLSTM) on the GPU.
 */
import {
  type AffineScanArgs,
  type Cell,
  ConvergenceError,
  type DeviceSolver,
  DTypeError,
  type FloatArray,
  type KalmanScanArgs,
  operatorStepSize,
  resolveKalmanArgs,
  type ScanBackend,
  type ScanReport,
  ShapeError,
  type SolveOptions,
  type SolveResult,
} from '@antler/core';
import {
  lastStates,
  packOperators,
  packS0,
  packSequence,
  unpackSequence,
  validateAffine,
} from './affine-host.js';
import {
  acquireGpu,
  type AdapterDescription,
  f32Bits,
  type GpuContext,
  type GpuOptions,
  readBack,
  storageBuffer,
  uniformBuffer,
  withErrorScopes,
} from './gpu-context.js';
import type { packDeviceCell } from './device-cells.js';
import { solveCellOnDevice } from './device-solve.js';
import { pipeline } from './pipelines.js';
import { encodeAffineScan } from './scan-encode.js';
import { type ScanAlgorithm, type TiledAggregate, timeWindow } from './scan-plan.js';
import { grid } from './wgsl-common.js';
import { checkDenseKalman } from './scan-kalman-dense.js';
import { KALMAN_DIAG_WGSL } from './wgsl-scan.js';
import { denseKalmanWgsl } from './wgsl-scan-kalman-dense.js';

/**
 * Block sizes listed in the capabilities: every k up to 32 runs chunked in T (k ≤ 4 in registers,
 * larger k tiled in workgroup memory); larger blocks work too where the device's limits allow.
 */
const SCAN_BLOCK_SIZES: readonly number[] = Array.from({ length: 32 }, (_, i) => i + 1);

/** Options of {@link createWebGpuBackend}. */
export interface WebGpuBackendOptions extends GpuOptions {
  /** Iterations per submission between convergence readbacks in fused solves (default 4). */
  readonly checkEvery?: number;
  /**
   * Scan kernels: `'chunked'` (default; parallel in T) or `'sequential'` (one workgroup per sequence
   * walks t — the session-1 kernels, kept for comparison and as the fallback for very large blocks).
   */
  readonly scanAlgorithm?: ScanAlgorithm;
  /** Use subgroup operations in the scans when the device has the `subgroups` feature (default true). */
  readonly subgroups?: boolean;
  /**
   * Largest buffer a scan may allocate, in bytes (default and cap: the device's
   * `maxStorageBufferBindingSize` / `maxBufferSize`). Longer scans are uploaded and run in time windows.
   */
  readonly scanBufferBytes?: number;
  /** At most this many chunks per sequence in the chunked scans (default: chosen per problem size). */
  readonly scanMaxChunks?: number;
  /**
   * Offer the dense Kalman scan (ELK) on the GPU (default false). It is sequential in T — n + 3
   * barrier-separated rounds per step, one workgroup per sequence — so it is latency-bound and not yet
   * measured against the CPU's Kalman scans; off, the capabilities list only `diagonal` and solvers fall
   * back to the CPU for dense ELK, as before.
   */
  readonly denseKalman?: boolean;
  /** Phase-1 kernel of the tiled dense/block scans (see `ScanEncodeOptions.tiledAggregate`). */
  readonly scanTiledAggregate?: TiledAggregate;
}

/** The WebGPU backend: a ScanBackend, a DeviceSolver, and the device it runs on. */
export interface WebGpuBackend extends ScanBackend, DeviceSolver {
  /** The adapter that was found (vendor, architecture, limits). */
  readonly adapter: AdapterDescription;
  /** The device and its lost state (for advanced use: {@link GruDeviceProblem}). */
  readonly context: GpuContext;
  /** Releases the device. */
  dispose(): void;
}

/**
 * Finds a GPU and returns the WebGPU backend. Throws `BackendUnavailableError` when there is no adapter.
 *
 * Scans run on float32 host arrays (upload → kernels → readback); `solveOnDevice` runs whole quasi-DEER,
 * DEER and block-DEER solves of the zoo cells {@link packDeviceCell} knows on the device when asked for
 * `dtype: 'float32'`.
 *
 * @example
 * ```ts
 * import { createWebGpuBackend } from '@antler/backend-webgpu';
 * // Node with Mesa (no GPU): Dawn's OpenGL backend in compatibility mode; on a real GPU pass nothing.
 * const gpu = await createWebGpuBackend({ dawnOptions: ['backend=opengl'], featureLevel: 'compatibility' });
 * const out = new Float32Array(4);
 * await gpu.affineScan({
 *   structure: 'diagonal', batch: 1, length: 4, size: 1,
 *   a: { data: Float32Array.of(0.5, 0.5, 0.5, 0.5) }, b: { data: Float32Array.of(1, 1, 1, 1) }, out: { data: out },
 * });
 * console.log(Array.from(out)); // [1, 1.5, 1.75, 1.875]
 * gpu.dispose();
 * ```
 */
export async function createWebGpuBackend(options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
  const ctx = await acquireGpu(options);
  const d = ctx.device;

  async function affineScan(args: AffineScanArgs): Promise<ScanReport> {
    const p = validateAffine(args);
    const { B, T, n } = p;
    const K = p.structure === 'dense' ? n : p.structure === 'block' ? p.k : 1;
    const step = operatorStepSize(p.structure, n, p.k);
    // Time windows so that no buffer exceeds the device's limits (or the caller's budget): a scan
    // whose B·T·step floats do not fit is uploaded and scanned window by window, carrying the state.
    const limit = Math.min(d.limits.maxStorageBufferBindingSize, d.limits.maxBufferSize);
    const Tw = timeWindow(B, T, step, n, Math.min(limit, options.scanBufferBytes ?? limit));
    return withErrorScopes(ctx, 'affineScan', async () => {
      const aBuf = storageBuffer(d, 4 * B * Tw * step);
      const bBuf = storageBuffer(d, 4 * B * Tw * n);
      const s0Buf = storageBuffer(d, 4 * B * n);
      const outBuf = storageBuffer(d, 4 * B * Tw * n);
      let finite = true;
      let s0: Float32Array<ArrayBuffer> = packS0(p.s0, B, n);
      try {
        for (let t0 = 0; t0 < T; t0 += Tw) {
          const w = Math.min(Tw, T - t0);
          d.queue.writeBuffer(aBuf, 0, packOperators(p, t0, w));
          d.queue.writeBuffer(bBuf, 0, packSequence(p.b, B, T, n, p.reverse, t0, w));
          d.queue.writeBuffer(s0Buf, 0, s0);
          const enc = d.createCommandEncoder();
          const pass = enc.beginComputePass();
          const { scratch } = encodeAffineScan(
            ctx,
            pass,
            { structure: p.structure, K, B, T: w, n },
            { a: aBuf, b: bBuf, s0: s0Buf, out: outBuf },
            {
              algorithm: options.scanAlgorithm,
              subgroups: options.subgroups,
              maxChunks: options.scanMaxChunks,
              tiledAggregate: options.scanTiledAggregate,
            },
          );
          pass.end();
          try {
            const res = new Float32Array(await readBack(d, outBuf, 4 * B * w * n, enc));
            if (!unpackSequence(res, p.out, B, T, n, p.reverse, t0, w)) finite = false;
            s0 = lastStates(res, B, w, n);
          } finally {
            for (const x of scratch) x.destroy();
          }
        }
        return { finite };
      } finally {
        for (const x of [aBuf, bBuf, s0Buf, outBuf]) x.destroy();
      }
    });
  }

  async function kalmanScan(args: KalmanScanArgs): Promise<ScanReport> {
    // The shared core validator, then WGSL's own limit: float32 only.
    const { batch: B, length: T, size: n, a, b, y, out, s0 } = resolveKalmanArgs(args);
    if (!(out.data instanceof Float32Array))
      throw new DTypeError('out', 'float32 (WGSL has no float64)', out.data.constructor.name);
    const dense = args.structure === 'dense';
    if (dense && !options.denseKalman)
      throw new ShapeError(
        'structure',
        "'diagonal' (the dense Kalman scan on the GPU is opt-in: createWebGpuBackend({ denseKalman: true }))",
        JSON.stringify(args.structure),
      );
    if (dense) checkDenseKalman(d.limits, B, T, n, args.smooth);
    const step = dense ? n * n : n;
    return withErrorScopes(ctx, 'kalmanScan', async () => {
      const arrays = [
        packSequence(a, B, T, step, false),
        packSequence(b, B, T, n, false),
        packSequence(y, B, T, n, false),
        packS0(s0, B, n),
      ];
      const bufs = arrays.map((x) => storageBuffer(d, x.byteLength, x));
      const m = storageBuffer(d, 4 * B * T * n);
      // Diagonal: filtered variances [B][T][n]. Dense: AP_t and P⁻_t per step when smoothing.
      const scratchBytes = dense ? (args.smooth ? 4 * B * T * n * n : 4) : 4 * B * T * n;
      const P = storageBuffer(d, scratchBytes);
      const extra = dense ? [storageBuffer(d, scratchBytes)] : [];
      const u = uniformBuffer(
        d,
        new Uint32Array([
          B,
          T,
          n,
          args.smooth ? 1 : 0,
          f32Bits(args.processVariance),
          f32Bits(args.observationVariance),
          0,
          0,
        ]),
      );
      try {
        const pipe = pipeline(d, dense ? denseKalmanWgsl(n) : KALMAN_DIAG_WGSL);
        const enc = d.createCommandEncoder();
        const pass = enc.beginComputePass();
        pass.setPipeline(pipe);
        pass.setBindGroup(
          0,
          d.createBindGroup({
            layout: pipe.getBindGroupLayout(0),
            entries: [u, ...bufs, m, P, ...extra].map((buffer, binding) => ({
              binding,
              resource: { buffer },
            })),
          }),
        );
        // Dense: one workgroup of n threads per sequence; diagonal: one thread per (sequence, component).
        const g = dense ? grid(B, 1) : grid(B * n);
        pass.dispatchWorkgroups(g[0], g[1]);
        pass.end();
        const res = new Float32Array(await readBack(d, m, 4 * B * T * n, enc));
        return { finite: unpackSequence(res, out, B, T, n, false) };
      } finally {
        for (const x of [...bufs, m, P, ...extra, u]) x.destroy();
      }
    });
  }

  return {
    name: 'webgpu',
    synchronous: false,
    capabilities: {
      float32: {
        affine: ['diagonal', 'dense', 'block'],
        blockSizes: SCAN_BLOCK_SIZES,
        reverse: true,
        kalman: options.denseKalman ? ['diagonal', 'dense'] : ['diagonal'],
      },
    },
    adapter: ctx.info,
    context: ctx,
    affineScan,
    kalmanScan,
    solveOnDevice(cell: Cell, inputs: FloatArray, solveOptions: SolveOptions): Promise<SolveResult> | null {
      const run = solveCellOnDevice(ctx, cell, inputs, solveOptions, options.checkEvery);
      if (run === null) return null;
      return run.then((r) => {
        if (!r.converged && solveOptions.onDivergence === 'throw')
          throw new ConvergenceError(
            `webgpu ${r.method} (${cell.kind}): ${r.convergedPerSequence.filter((c) => !c).length} sequence(s) did not converge`,
            r,
          );
        return r;
      });
    },
    dispose() {
      d.destroy();
    },
  };
}
