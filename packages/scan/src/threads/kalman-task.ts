/**
 * One sequence of a Kalman scan as a unit of work for the threaded backend. {@link runKalmanTask} is
 * self-contained (it only calls the kernels it is given), so workers run the same code.
 */
import type { FloatArray } from '@antler/core';
import type { StridedOperand } from '../affine/sequential.js';
import type {
  CholeskyKernels,
  denseKalmanSequential,
  diagonalKalmanSequential,
} from '../kalman/sequential-kalman.js';

/** The kernels a Kalman task calls. */
export interface KalmanKernels {
  dense: typeof denseKalmanSequential;
  diagonal: typeof diagonalKalmanSequential;
  linalg: CholeskyKernels;
}

/** A Kalman filter / smoother over one whole sequence. */
export interface KalmanTask {
  kind: 2;
  /** 0 diagonal, 1 dense. */
  structure: 0 | 1;
  length: number;
  size: number;
  a: StridedOperand;
  b: StridedOperand;
  y: StridedOperand;
  out: StridedOperand;
  s0: FloatArray | null;
  s0Offset: number;
  q: number;
  r: number;
  smooth: boolean;
}

/** Runs one Kalman task (allocating its float64 scratch); returns false when an output is not finite. */
export function runKalmanTask(kernels: KalmanKernels, task: KalmanTask): boolean {
  const T = task.length;
  const n = task.size;
  if (task.structure === 1) {
    const scratch = {
      means: new Float64Array(T * n),
      // Same sizes as createDenseKalmanScratch (repeated here: workers run this code on its own).
      covs: new Float64Array(n * n * (task.smooth ? 1 + 2 * T : 1)),
      work: new Float64Array(4 * n * n + 4 * n),
    };
    return kernels.dense(
      T,
      n,
      task.a,
      task.b,
      task.s0,
      task.s0Offset,
      task.y,
      task.q,
      task.r,
      task.smooth,
      task.out,
      scratch,
      kernels.linalg,
    );
  }
  return kernels.diagonal(
    T,
    n,
    task.a,
    task.b,
    task.s0,
    task.s0Offset,
    task.y,
    task.q,
    task.r,
    task.smooth,
    task.out,
    new Float64Array(2 * T * n),
  );
}
