/**
 * Encoding one affine scan on GPU-resident buffers (contiguous, forward, untransposed layouts) into a
 * compute pass: the kernels of a {@link ScanPlan} with their scratch buffers. The host-array
 * `affineScan` and the scan benchmark both go through here.
 */
import type { Structure } from '@antler/core';
import { type GpuContext, storageBuffer, uniformBuffer } from './gpu-context.js';
import { pipeline } from './pipelines.js';
import { planScan, type ScanAlgorithm, type ScanPlan, type TiledAggregate } from './scan-plan.js';
import { grid } from './wgsl-common.js';
import { CARRY_WGSL, DIAG_AGG_WGSL, DIAG_APPLY_WGSL, matrixSequentialWgsl } from './wgsl-scan.js';
import {
  matAggGemmWgsl,
  matAggStagedWgsl,
  matAggSmallWgsl,
  matAggTiledWgsl,
  matApplySmallWgsl,
  matApplyTiledWgsl,
  matCarrySmallWgsl,
  matCarryTiledWgsl,
  tiledApplyGroup,
} from './wgsl-scan-matrix.js';
import { CARRY_SUBGROUP_WGSL } from './wgsl-scan-subgroup.js';

/** Shape of a scan on the device: K = block size (n for dense, 1 for diagonal). */
export interface ScanShape {
  readonly structure: Structure;
  readonly K: number;
  readonly B: number;
  readonly T: number;
  readonly n: number;
}

/**
 * Device buffers of a scan: a `[B][T][step]`, b and out `[B][T][n]`, s0 `[B][n]` (the state before
 * the first step). out must not be a or b.
 */
export interface ScanBuffers {
  readonly a: GPUBuffer;
  readonly b: GPUBuffer;
  readonly s0: GPUBuffer;
  readonly out: GPUBuffer;
}

/** Kernel choices of {@link encodeAffineScan}. */
export interface ScanEncodeOptions {
  /** `chunked` (default) or `sequential` (the walk over t, for comparison). */
  readonly algorithm?: ScanAlgorithm;
  /** Use subgroup operations where the device has them (default true). */
  readonly subgroups?: boolean;
  /** At most this many chunks per sequence (default: chosen from the problem size; tests force long chunks). */
  readonly maxChunks?: number;
  /** Phase-1 kernel of the tiled family (default `staged` where it fits; see {@link TiledAggregate}). */
  readonly tiledAggregate?: TiledAggregate;
  /** Encode only these phases (1 aggregate, 2 carry, 3 apply): for profiling; the result is then partial. */
  readonly phases?: readonly number[];
}

/** What {@link encodeAffineScan} encoded: the plan, and scratch buffers to destroy after the submit. */
export interface EncodedScan {
  readonly plan: ScanPlan;
  readonly subgroups: boolean;
  readonly scratch: GPUBuffer[];
}

/** Whether the device was created with the `subgroups` feature. */
export function hasSubgroups(ctx: GpuContext): boolean {
  return ctx.device.features.has('subgroups');
}

/**
 * Encodes the scan `out[b][t] = A_t out[b][t−1] + b_t` (out[b][−1] = s0[b]) into `pass`.
 *
 * @example
 * ```ts
 * import { acquireGpu, encodeAffineScan } from '@antler/backend-webgpu';
 * const ctx = await acquireGpu();
 * // … create a, b, s0, out storage buffers for B = 16, T = 1e5, n = 32 …
 * const enc = ctx.device.createCommandEncoder();
 * const pass = enc.beginComputePass();
 * const { scratch } = encodeAffineScan(ctx, pass, { structure: 'dense', K: 32, B: 16, T: 1e5, n: 32 }, bufs);
 * pass.end();
 * ctx.device.queue.submit([enc.finish()]);
 * await ctx.device.queue.onSubmittedWorkDone();
 * for (const s of scratch) s.destroy();
 * ```
 */
export function encodeAffineScan(
  ctx: GpuContext,
  pass: GPUComputePassEncoder,
  shape: ScanShape,
  bufs: ScanBuffers,
  options: ScanEncodeOptions = {},
): EncodedScan {
  const d = ctx.device;
  const { structure, K, B, T, n } = shape;
  const plan = planScan(
    structure,
    K,
    B,
    T,
    n,
    d.limits,
    options.algorithm ?? 'chunked',
    options.maxChunks,
    options.tiledAggregate,
  );
  const scratch: GPUBuffer[] = [];
  const run = (code: string, u: GPUBuffer, list: GPUBuffer[], g: [number, number]) => {
    const pipe = pipeline(d, code);
    pass.setPipeline(pipe);
    pass.setBindGroup(
      0,
      d.createBindGroup({
        layout: pipe.getBindGroupLayout(0),
        entries: [u, ...list].map((buffer, binding) => ({ binding, resource: { buffer } })),
      }),
    );
    pass.dispatchWorkgroups(g[0], g[1]);
  };
  const make = (bytes: number) => {
    const buf = storageBuffer(d, bytes);
    scratch.push(buf);
    return buf;
  };
  const { L, C, nb } = plan;
  const on = (phase: number) => !options.phases || options.phases.includes(phase);
  let subgroups = false;
  if (plan.kernel === 'diagonal') {
    const u = uniformBuffer(d, new Uint32Array([B, T, n, L, C, n, 0, 0]));
    scratch.push(u);
    const agg = make(8 * B * C * n);
    const carry = make(4 * B * C * n);
    const status = make(4 * B);
    subgroups = (options.subgroups ?? true) && hasSubgroups(ctx);
    if (on(1)) run(DIAG_AGG_WGSL, u, [bufs.a, bufs.b, agg], grid(B * C * n));
    if (on(2))
      run(subgroups ? CARRY_SUBGROUP_WGSL : CARRY_WGSL, u, [agg, bufs.s0, status, carry], grid(B * n, 1));
    if (on(3)) run(DIAG_APPLY_WGSL, u, [bufs.a, bufs.b, carry, bufs.out], grid(B * C * n));
  } else if (plan.kernel === 'sequential') {
    const u = uniformBuffer(d, new Uint32Array([B, T, n, 0, 0, 0, 0, 0]));
    scratch.push(u);
    const wg = 2 ** Math.ceil(Math.log2(Math.max(1, n)));
    run(matrixSequentialWgsl(K, wg), u, [bufs.a, bufs.b, bufs.s0, bufs.out], grid(B, 1));
  } else {
    const u = uniformBuffer(d, new Uint32Array([B, T, nb, L, C, 0, 0, 0]));
    scratch.push(u);
    const items = B * C * nb;
    const aggM = make(4 * items * K * K);
    const aggV = make(4 * items * K);
    const carry = make(4 * items * K);
    if (plan.kernel === 'small') {
      if (on(1)) run(matAggSmallWgsl(K), u, [bufs.a, bufs.b, aggM, aggV], grid(items));
      if (on(2)) run(matCarrySmallWgsl(K), u, [aggM, aggV, bufs.s0, carry], grid(B * nb, 1));
      if (on(3)) run(matApplySmallWgsl(K), u, [bufs.a, bufs.b, carry, bufs.out], grid(items));
    } else {
      const agg =
        plan.aggregate === 'gemm'
          ? matAggGemmWgsl(K)
          : plan.aggregate === 'staged'
            ? matAggStagedWgsl(K)
            : matAggTiledWgsl(K);
      if (on(1)) run(agg, u, [bufs.a, bufs.b, aggM, aggV], grid(items, 1));
      if (on(2)) run(matCarryTiledWgsl(K), u, [aggM, aggV, bufs.s0, carry], grid(B * nb, 1));
      if (on(3))
        run(
          matApplyTiledWgsl(K),
          u,
          [bufs.a, bufs.b, carry, bufs.out],
          grid(Math.ceil(items / tiledApplyGroup(K)), 1),
        );
    }
  }
  return { plan, subgroups, scratch };
}
