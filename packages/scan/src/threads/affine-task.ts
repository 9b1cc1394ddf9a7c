/**
 * One unit of work of the chunked affine scan: scan a run of steps from a known start state, or compose
 * it into an aggregate. {@link runAffineTask} is self-contained (it only calls the kernels it is given),
 * so the worker threads run exactly the same code as the calling thread.
 */
import type { FloatArray } from '@antler/core';
import type { affineChunkAggregate, applyChunkAggregate } from '../affine/aggregate.js';
import type {
  blockScanSequential,
  denseScanSequential,
  diagonalScanSequential,
  StridedOperand,
} from '../affine/sequential.js';

/** The kernels a task may call (the same functions on every thread). */
export interface AffineKernels {
  diagonal: typeof diagonalScanSequential;
  dense: typeof denseScanSequential;
  block: typeof blockScanSequential;
  aggregate: typeof affineChunkAggregate;
  /** Applies an aggregate to a carried state (the look-ahead scan's jumps). */
  apply: typeof applyChunkAggregate;
}

/** A run of `length` steps of one sequence, starting at the operands' offsets. */
export interface AffineTask {
  /** 0: scan from `s0` into `out`; 1: compose into the aggregate (`m`, `c`). */
  kind: 0 | 1;
  /** Structure code (0 diagonal, 1 dense, 2 block). */
  structure: number;
  size: number;
  blockSize: number;
  length: number;
  a: StridedOperand;
  b: StridedOperand;
  out: StridedOperand;
  s0: FloatArray | null;
  s0Offset: number;
  reverse: boolean;
  transpose: boolean;
  m: Float64Array | null;
  mo: number;
  c: Float64Array | null;
  co: number;
}

/** Runs one task; returns false when a scan produced a non-finite value. */
export function runAffineTask(kernels: AffineKernels, task: AffineTask, work: Float64Array): boolean {
  if (task.kind === 1) {
    kernels.aggregate(
      task.structure,
      task.length,
      task.size,
      task.blockSize,
      task.a,
      task.b,
      task.reverse,
      task.transpose,
      task.m as Float64Array,
      task.mo,
      task.c as Float64Array,
      task.co,
      work,
    );
    return true;
  }
  if (task.structure === 0)
    return kernels.diagonal(
      task.length,
      task.size,
      task.a,
      task.b,
      task.s0,
      task.s0Offset,
      task.out,
      task.reverse,
    );
  if (task.structure === 1)
    return kernels.dense(
      task.length,
      task.size,
      task.a,
      task.b,
      task.s0,
      task.s0Offset,
      task.out,
      task.reverse,
      task.transpose,
      work,
    );
  return kernels.block(
    task.length,
    task.size,
    task.blockSize,
    task.a,
    task.b,
    task.s0,
    task.s0Offset,
    task.out,
    task.reverse,
    task.transpose,
    work,
  );
}
