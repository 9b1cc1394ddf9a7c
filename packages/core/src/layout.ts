/**
 * Layout of sequences in memory. Every batched array is flat and row-major with the batch outermost:
 * states `[B][T][n]`, inputs `[B][T][m]`, dense Jacobians `[B][T][n][n]`, diagonals `[B][T][n]`,
 * k×k blocks `[B][T][n/k][k][k]`. A {@link SequenceView} adds an offset and batch/time strides so that
 * kernels can read views into larger buffers without copies (stdlib-js's `(array, stride, offset)` form).
 */
import type { FloatArray } from './dtype.js';

/**
 * A strided view of a batched sequence: element `(b, t, i)` lives at
 * `data[offset + b * batchStride + t * timeStride + i]`; the last (per-step) axis is contiguous.
 */
export interface SequenceView<A extends FloatArray = FloatArray> {
  /** The underlying flat array. */
  readonly data: A;
  /** Index of element (0, 0, 0). Default 0. */
  readonly offset?: number;
  /** Distance between batch members. Default `length * stepSize` (contiguous). */
  readonly batchStride?: number;
  /** Distance between time steps. Default `stepSize` (contiguous). */
  readonly timeStride?: number;
}

/** A {@link SequenceView} with every stride filled in. */
export interface ResolvedView<A extends FloatArray = FloatArray> {
  readonly data: A;
  readonly offset: number;
  readonly batchStride: number;
  readonly timeStride: number;
}

/** Sizes of a batched sequence problem. */
export interface SequenceShape {
  /** Number of independent sequences B (≥ 1). */
  readonly batch: number;
  /** Number of time steps T (≥ 1). */
  readonly length: number;
  /** State size n (≥ 1). */
  readonly size: number;
}

/** The structure of a per-step linear operator A_t. */
export type Structure = 'dense' | 'diagonal' | 'block';

/** Elements per time step of an operator of the given structure (n², n, or n·k for k×k blocks). */
export function operatorStepSize(structure: Structure, size: number, blockSize = 2): number {
  switch (structure) {
    case 'dense':
      return size * size;
    case 'diagonal':
      return size;
    case 'block':
      return size * blockSize;
  }
}

/** Fills in a view's default (contiguous) strides for `length` steps of `stepSize` elements. */
export function resolveView<A extends FloatArray>(
  view: SequenceView<A>,
  length: number,
  stepSize: number,
): ResolvedView<A> {
  const timeStride = view.timeStride ?? stepSize;
  return {
    data: view.data,
    offset: view.offset ?? 0,
    timeStride,
    batchStride: view.batchStride ?? length * timeStride,
  };
}

/** Largest flat index a resolved view touches, plus one (the minimum array length it needs). */
export function viewExtent(
  view: ResolvedView,
  shape: { batch: number; length: number },
  stepSize: number,
): number {
  if (shape.batch === 0 || shape.length === 0 || stepSize === 0) return view.offset;
  return view.offset + (shape.batch - 1) * view.batchStride + (shape.length - 1) * view.timeStride + stepSize;
}
