/**
 * `createWebGpuBackend`: the core {@link ScanBackend} (float32) on host arrays plus a {@link DeviceSolver}
 * that runs whole quasi-DEER solves of GRU cells on the GPU.
 */
import {
  type AffineScanArgs,
  type Cell,
  ConvergenceError,
  type DeviceSolver,
  DTypeError,
  type FloatArray,
  type KalmanScanArgs,
  resolveKalmanArgs,
  type ScanBackend,
  type ScanReport,
  ShapeError,
  type SolveOptions,
  type SolveResult,
} from '@antler/core';
import { packOperators, packS0, packSequence, unpackSequence, validateAffine } from './affine-host.js';
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
import { solveGruOnDevice } from './gru-solve.js';
import { pipeline } from './pipelines.js';
import { chunking } from './gru-device-problem.js';
import { grid } from './wgsl-common.js';
import {
  CARRY_WGSL,
  DIAG_AGG_WGSL,
  DIAG_APPLY_WGSL,
  KALMAN_DIAG_WGSL,
  matrixSequentialWgsl,
} from './wgsl-scan.js';

/** Options of {@link createWebGpuBackend}. */
export interface WebGpuBackendOptions extends GpuOptions {
  /** Iterations per submission between convergence readbacks in fused solves (default 4). */
  readonly checkEvery?: number;
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
 * Scans run on float32 host arrays (upload → kernels → readback); `solveOnDevice` runs whole quasi-DEER
 * solves of `gru` cells (PyTorch or Flax variant) on the device when asked for `dtype: 'float32'`.
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
    return withErrorScopes(ctx, 'affineScan', async () => {
      const a = packOperators(p);
      const bb = packSequence(p.b, B, T, n, p.reverse);
      const s0 = packS0(p.s0, B, n);
      const aBuf = storageBuffer(d, a.byteLength, a);
      const bBuf = storageBuffer(d, bb.byteLength, bb);
      const s0Buf = storageBuffer(d, s0.byteLength, s0);
      const outBuf = storageBuffer(d, bb.byteLength);
      const temps = [aBuf, bBuf, s0Buf, outBuf];
      const enc = d.createCommandEncoder();
      const pass = enc.beginComputePass();
      const run = (code: string, bufs: GPUBuffer[], u: GPUBuffer, g: [number, number]) => {
        const pipe = pipeline(d, code);
        pass.setPipeline(pipe);
        pass.setBindGroup(
          0,
          d.createBindGroup({
            layout: pipe.getBindGroupLayout(0),
            entries: [u, ...bufs].map((buffer, binding) => ({ binding, resource: { buffer } })),
          }),
        );
        pass.dispatchWorkgroups(g[0], g[1]);
      };
      try {
        if (p.structure === 'diagonal') {
          const { L, C } = chunking(B, T, n, 1 << 16);
          const u = uniformBuffer(d, new Uint32Array([B, T, n, L, C, n, 0, 0]));
          const agg = storageBuffer(d, 8 * B * C * n);
          const carry = storageBuffer(d, 4 * B * C * n);
          const status = storageBuffer(d, 4 * B);
          temps.push(u, agg, carry, status);
          run(DIAG_AGG_WGSL, [aBuf, bBuf, agg], u, grid(B * C * n));
          run(CARRY_WGSL, [agg, s0Buf, status, carry], u, grid(B * n, 1));
          run(DIAG_APPLY_WGSL, [aBuf, bBuf, carry, outBuf], u, grid(B * C * n));
        } else {
          const K = p.structure === 'dense' ? n : p.k;
          const wg = Math.max(1, 2 ** Math.ceil(Math.log2(n)));
          if (wg > d.limits.maxComputeInvocationsPerWorkgroup)
            throw new ShapeError(
              'size',
              `at most ${d.limits.maxComputeInvocationsPerWorkgroup} for dense/block scans on this device`,
              String(n),
            );
          const u = uniformBuffer(d, new Uint32Array([B, T, n, 0, 0, 0, 0, 0]));
          temps.push(u);
          run(matrixSequentialWgsl(K, wg), [aBuf, bBuf, s0Buf, outBuf], u, grid(B, 1));
        }
        pass.end();
        const res = new Float32Array(await readBack(d, outBuf, bb.byteLength, enc));
        return { finite: unpackSequence(res, p.out, B, T, n, p.reverse) };
      } finally {
        for (const t of temps) t.destroy();
      }
    });
  }

  async function kalmanScan(args: KalmanScanArgs): Promise<ScanReport> {
    if (args.structure !== 'diagonal')
      throw new ShapeError(
        'structure',
        "'diagonal' (the WebGPU backend has no dense Kalman scan)",
        JSON.stringify(args.structure),
      );
    // The shared core validator, then WGSL's own limit: float32 only.
    const { batch: B, length: T, size: n, a, b, y, out, s0 } = resolveKalmanArgs(args);
    if (!(out.data instanceof Float32Array))
      throw new DTypeError('out', 'float32 (WGSL has no float64)', out.data.constructor.name);
    return withErrorScopes(ctx, 'kalmanScan', async () => {
      const arrays = [
        packSequence(a, B, T, n, false),
        packSequence(b, B, T, n, false),
        packSequence(y, B, T, n, false),
        packS0(s0, B, n),
      ];
      const bufs = arrays.map((x) => storageBuffer(d, x.byteLength, x));
      const m = storageBuffer(d, 4 * B * T * n);
      const P = storageBuffer(d, 4 * B * T * n);
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
        const pipe = pipeline(d, KALMAN_DIAG_WGSL);
        const enc = d.createCommandEncoder();
        const pass = enc.beginComputePass();
        pass.setPipeline(pipe);
        pass.setBindGroup(
          0,
          d.createBindGroup({
            layout: pipe.getBindGroupLayout(0),
            entries: [u, ...bufs, m, P].map((buffer, binding) => ({ binding, resource: { buffer } })),
          }),
        );
        const g = grid(B * n);
        pass.dispatchWorkgroups(g[0], g[1]);
        pass.end();
        const res = new Float32Array(await readBack(d, m, 4 * B * T * n, enc));
        return { finite: unpackSequence(res, out, B, T, n, false) };
      } finally {
        for (const x of [...bufs, m, P, u]) x.destroy();
      }
    });
  }

  return {
    name: 'webgpu',
    synchronous: false,
    capabilities: {
      float32: {
        affine: ['diagonal', 'dense', 'block'],
        blockSizes: [1, 2, 3, 4, 8],
        reverse: true,
        kalman: ['diagonal'],
      },
    },
    adapter: ctx.info,
    context: ctx,
    affineScan,
    kalmanScan,
    solveOnDevice(cell: Cell, inputs: FloatArray, solveOptions: SolveOptions): Promise<SolveResult> | null {
      const run = solveGruOnDevice(ctx, cell, inputs, solveOptions, options.checkEvery);
      if (run === null) return null;
      return run.then((r) => {
        if (!r.converged && solveOptions.onDivergence === 'throw')
          throw new ConvergenceError(
            `webgpu quasi-DEER: ${r.convergedPerSequence.filter((c) => !c).length} sequence(s) did not converge`,
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
