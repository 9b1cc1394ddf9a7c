/**
 * The chunked three-phase affine scan: (1) compose each chunk into one affine map, (2) run the short
 * scan of chunk maps to get every chunk's start state, (3) rescan each chunk from its start state.
 * Chunks are independent in phases 1 and 3, which is what threads (and GPU workgroups) run in parallel.
 * Chunk 0 needs no aggregate: phase 1 scans it directly from s0, and the last chunk is only rescanned.
 */
import { type AffineScanArgs, checkInteger, dtypeOf, type ScanReport } from '@antler/core';
import { type AffineKernels, type AffineTask, runAffineTask } from '../threads/affine-task.js';
import {
  affineChunkAggregate,
  aggregateOperatorSize,
  applyChunkAggregate,
  STRUCTURE_CODE,
} from './aggregate.js';
import { affineKernelsFor } from './kernels-by-dtype.js';
import { blockScanSequential, denseScanSequential, diagonalScanSequential } from './sequential.js';
import { type ResolvedAffineArgs, resolveAffineArgs } from './validate-args.js';

/** The shared kernel functions (see {@link affineKernelsFor} for the per-dtype copies the scans use). */
export const LOCAL_AFFINE_KERNELS: AffineKernels = {
  diagonal: diagonalScanSequential,
  dense: denseScanSequential,
  block: blockScanSequential,
  aggregate: affineChunkAggregate,
  apply: applyChunkAggregate,
};

/** Chunk boundaries `[0, chunkSize, 2·chunkSize, …, length]`. */
export function planFixedChunks(length: number, chunkSize: number): number[] {
  const bounds: number[] = [];
  for (let t = 0; t < length; t += chunkSize) bounds.push(t);
  bounds.push(length);
  return bounds;
}

/** Per-call float64 scratch of the chunked scan for `chunks` chunks. */
export interface ChunkedScratch {
  readonly m: Float64Array;
  readonly c: Float64Array;
  readonly carries: Float64Array;
  readonly work: Float64Array;
}

/** Allocates {@link ChunkedScratch}. */
export function createChunkedScratch(r: ResolvedAffineArgs, chunks: number): ChunkedScratch {
  const code = STRUCTURE_CODE[r.structure];
  const opSize = aggregateOperatorSize(code, r.size, r.blockSize);
  return {
    m: new Float64Array(chunks * opSize),
    c: new Float64Array(chunks * r.size),
    carries: new Float64Array(chunks * r.size),
    work: new Float64Array(r.size * r.size + 2 * r.size + 2),
  };
}

/**
 * Builds the tasks of phase 1 (`phase` 1) or phase 3 (`phase` 3) for batch member `k`; phase 3 needs
 * the carries of phase 2 in `scratch.carries`.
 */
export function chunkTasks(
  r: ResolvedAffineArgs,
  k: number,
  bounds: readonly number[],
  scratch: ChunkedScratch,
  phase: 1 | 3,
): AffineTask[] {
  const T = r.length;
  const n = r.size;
  const code = STRUCTURE_CODE[r.structure];
  const opSize = aggregateOperatorSize(code, n, r.blockSize);
  const tasks: AffineTask[] = [];
  const C = bounds.length - 1;
  const from = phase === 1 ? 0 : 1;
  const to = phase === 1 ? Math.max(1, C - 1) : C;
  for (let ch = from; ch < to; ch++) {
    const l0 = bounds[ch];
    const l1 = bounds[ch + 1];
    // Physical first step of the run: the scan order is reversed for reverse scans.
    const p0 = r.reverse ? T - l1 : l0;
    const scan = phase === 3 || ch === 0;
    const s0 = phase === 3 ? scratch.carries : r.s0 ? r.s0.data : null;
    tasks.push({
      kind: scan ? 0 : 1,
      structure: code,
      size: n,
      blockSize: r.blockSize,
      length: l1 - l0,
      a: {
        data: r.a.data,
        offset: r.a.offset + k * r.a.batchStride + p0 * r.a.timeStride,
        stride: r.a.timeStride,
      },
      b: {
        data: r.b.data,
        offset: r.b.offset + k * r.b.batchStride + p0 * r.b.timeStride,
        stride: r.b.timeStride,
      },
      out: {
        data: r.out.data,
        offset: r.out.offset + k * r.out.batchStride + p0 * r.out.timeStride,
        stride: r.out.timeStride,
      },
      s0,
      s0Offset: phase === 3 ? ch * n : r.s0 ? r.s0.offset + k * r.s0.batchStride : 0,
      reverse: r.reverse,
      transpose: r.transpose,
      m: scan ? null : scratch.m,
      mo: ch * opSize,
      c: scan ? null : scratch.c,
      co: ch * n,
    });
  }
  return tasks;
}

/**
 * Phase 2 for batch member `k`: the start state of every chunk ≥ 1 into `scratch.carries`, from the
 * last output of chunk 0 (as stored, so every algorithm sees the same rounded state) and the aggregates.
 */
export function chunkCarries(
  r: ResolvedAffineArgs,
  k: number,
  bounds: readonly number[],
  scratch: ChunkedScratch,
): void {
  const T = r.length;
  const n = r.size;
  const code = STRUCTURE_CODE[r.structure];
  const opSize = aggregateOperatorSize(code, n, r.blockSize);
  const C = bounds.length - 1;
  const lastOf0 = r.reverse ? T - bounds[1] : bounds[1] - 1;
  const oi = r.out.offset + k * r.out.batchStride + lastOf0 * r.out.timeStride;
  const carries = scratch.carries;
  for (let i = 0; i < n; i++) carries[n + i] = r.out.data[oi + i];
  for (let ch = 2; ch < C; ch++) {
    for (let i = 0; i < n; i++) carries[ch * n + i] = carries[(ch - 1) * n + i];
    applyChunkAggregate(
      code,
      n,
      r.blockSize,
      scratch.m,
      (ch - 1) * opSize,
      scratch.c,
      (ch - 1) * n,
      carries,
      ch * n,
      scratch.work,
    );
  }
}

/** Runs the three phases on the calling thread for already-resolved arguments and fixed chunk bounds. */
export function chunkedScanResolved(r: ResolvedAffineArgs, bounds: readonly number[]): boolean {
  const scratch = createChunkedScratch(r, bounds.length - 1);
  const kernels = affineKernelsFor(dtypeOf(r.out.data));
  let finite = true;
  for (let k = 0; k < r.batch; k++) {
    for (const task of chunkTasks(r, k, bounds, scratch, 1))
      finite = runAffineTask(kernels, task, scratch.work) && finite;
    if (bounds.length > 2) {
      chunkCarries(r, k, bounds, scratch);
      for (const task of chunkTasks(r, k, bounds, scratch, 3))
        finite = runAffineTask(kernels, task, scratch.work) && finite;
    }
  }
  return finite;
}

/**
 * Affine scan with the chunked three-phase algorithm on the calling thread, in chunks of `chunkSize`
 * steps (default: about √T, the size that minimises the phase-2 work plus the largest chunk).
 *
 * @example
 * ```ts
 * import { affineScanChunked } from '@antler/scan';
 * const out = new Float64Array(5);
 * affineScanChunked({
 *   structure: 'diagonal', batch: 1, length: 5, size: 1,
 *   a: { data: new Float64Array(5).fill(0.5) }, b: { data: new Float64Array(5).fill(1) }, out: { data: out },
 * }, 2);
 * // out ≈ [1, 1.5, 1.75, 1.875, 1.9375]
 * ```
 */
export function affineScanChunked(args: AffineScanArgs, chunkSize?: number): ScanReport {
  const r = resolveAffineArgs(args);
  const size = checkInteger(chunkSize ?? Math.max(1, Math.ceil(Math.sqrt(r.length))), 'chunkSize');
  return { finite: chunkedScanResolved(r, planFixedChunks(r.length, size)) };
}
