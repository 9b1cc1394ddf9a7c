/**
 * Planning of a WebGPU affine scan: which kernel family runs it (chunked diagonal, chunked small-block
 * in registers, chunked tiled in workgroup memory, or the sequential-in-T fallback), how T is split
 * into chunks, and how many time steps fit in one upload window under the device's buffer limits.
 */
import { ShapeError, type Structure } from '@antler/core';
import {
  gemmApplies,
  gemmShape,
  SMALL_K,
  stagedBytes,
  tiledApplyGroup,
  tiledShape,
} from './wgsl-scan-matrix.js';

/** Which kernels run a scan. `sequential` is the one-workgroup-per-sequence walk over t (the fallback). */
export type ScanKernel = 'diagonal' | 'small' | 'tiled' | 'sequential';

/** `chunked` (default): three-phase parallel in T where the device allows; `sequential`: always walk t. */
export type ScanAlgorithm = 'chunked' | 'sequential';

/** The device limits a plan depends on (a subset of `GPUSupportedLimits`). */
export interface ScanLimits {
  readonly maxComputeWorkgroupStorageSize: number;
  readonly maxComputeInvocationsPerWorkgroup: number;
}

/**
 * Phase-1 kernel of the tiled family: `column` reads A_t through the cache; `staged` copies it into
 * workgroup memory one step ahead (the default where it fits: fastest on the H100); `gemm` uses 4×4
 * register tiles (K a multiple of 4, ≥ 16; measured slower than `staged`, kept as an option).
 */
export type TiledAggregate = 'column' | 'staged' | 'gemm';

/**
 * A planned scan: kernel family, block size K, number of blocks nb, chunk length L and count C, and for
 * the tiled family the phase-1 kernel (`column` elsewhere).
 */
export interface ScanPlan {
  readonly kernel: ScanKernel;
  readonly aggregate: TiledAggregate;
  readonly K: number;
  readonly nb: number;
  readonly L: number;
  readonly C: number;
}

/** Most chunks per sequence of the small kernels (the carry kernel walks ⌈C/64⌉ per thread). */
const MAX_SMALL_CHUNKS = 4096;
/** Most chunks per sequence of the tiled kernels (their carry kernel walks all C in order). */
const MAX_TILED_CHUNKS = 1024;

/** Splits T steps into C ≤ min(T, target) chunks of L steps (the last one may be shorter, never empty). */
export function splitChunks(T: number, target: number): { L: number; C: number } {
  const L = Math.ceil(T / Math.max(1, Math.min(T, Math.floor(target))));
  return { L, C: Math.ceil(T / L) };
}

function pow2AtLeast(x: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, x)));
}

/** Whether the tiled kernels for K×K blocks fit the device (workgroup memory and size). */
export function tiledFits(K: number, limits: ScanLimits): boolean {
  const maxInv = limits.maxComputeInvocationsPerWorkgroup;
  const G = tiledApplyGroup(K);
  return (
    4 * (K * (K + 1) + K) <= limits.maxComputeWorkgroupStorageSize &&
    4 * G * K * (K + 2) <= limits.maxComputeWorkgroupStorageSize &&
    tiledShape(K).threads <= maxInv &&
    K <= maxInv &&
    tiledApplyGroup(K) * K <= maxInv
  );
}

/**
 * Chooses the kernels and chunking of a scan of `structure` with blocks of K (n for dense, 1 for
 * diagonal) over B sequences of T steps of n components, with at most `maxChunks` chunks per sequence
 * and, for the tiled family, the phase-1 kernel `aggregateWanted` where it fits.
 *
 * @example
 * ```ts
 * import { planScan } from '@antler/backend-webgpu';
 * const limits = { maxComputeWorkgroupStorageSize: 16384, maxComputeInvocationsPerWorkgroup: 256 };
 * planScan('dense', 32, 16, 100_000, 32, limits).kernel; // 'tiled'
 * ```
 */
export function planScan(
  structure: Structure,
  K: number,
  B: number,
  T: number,
  n: number,
  limits: ScanLimits,
  algorithm: ScanAlgorithm = 'chunked',
  maxChunks = Number.POSITIVE_INFINITY,
  aggregateWanted: TiledAggregate = 'staged',
): ScanPlan {
  if (structure === 'diagonal') {
    const { L, C } = splitChunks(T, Math.min(Math.ceil((1 << 16) / (B * n)), maxChunks));
    return { kernel: 'diagonal', aggregate: 'column', K: 1, nb: n, L, C };
  }
  const nb = n / K;
  if (algorithm === 'chunked' && K <= SMALL_K) {
    const target = Math.min(Math.ceil((1 << 16) / (B * nb)), MAX_SMALL_CHUNKS, maxChunks);
    const { L, C } = splitChunks(T, target);
    return { kernel: 'small', aggregate: 'column', K, nb, L, C };
  }
  if (algorithm === 'chunked' && tiledFits(K, limits)) {
    const target = Math.min(Math.ceil(4096 / (B * nb)), MAX_TILED_CHUNKS, maxChunks);
    const { L, C } = splitChunks(T, target);
    const wg = limits.maxComputeWorkgroupStorageSize;
    const fits: Record<TiledAggregate, boolean> = {
      column: true,
      staged: stagedBytes(K) <= wg,
      gemm:
        gemmApplies(K) &&
        gemmShape(K).bytes <= wg &&
        gemmShape(K).threads <= limits.maxComputeInvocationsPerWorkgroup,
    };
    // A requested variant that does not apply or fit falls back to the column kernel.
    const aggregate = fits[aggregateWanted] ? aggregateWanted : fits.staged ? 'staged' : 'column';
    return { kernel: 'tiled', aggregate, K, nb, L, C };
  }
  const maxInv = limits.maxComputeInvocationsPerWorkgroup;
  if (pow2AtLeast(n) > maxInv || 4 * pow2AtLeast(n) > limits.maxComputeWorkgroupStorageSize)
    throw new ShapeError('size', `at most ${maxInv} for ${structure} scans on this device`, String(n));
  return { kernel: 'sequential', aggregate: 'column', K, nb, L: T, C: 1 };
}

/**
 * Time steps per upload window so that no buffer of the scan exceeds `budgetBytes` (the operators
 * `[B][Tw][step]` are the largest). Throws when even one step of the batch does not fit.
 */
export function timeWindow(B: number, T: number, step: number, n: number, budgetBytes: number): number {
  const perStep = 4 * B * Math.max(step, n);
  const Tw = Math.floor(budgetBytes / perStep);
  if (Tw < 1)
    throw new ShapeError(
      'a',
      `one time step of the batch within the buffer budget of ${budgetBytes} bytes`,
      `${perStep} bytes per step (batch ${B}, ${step} floats per step)`,
    );
  return Math.min(T, Tw);
}
