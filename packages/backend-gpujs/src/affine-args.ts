/** Validation of {@link AffineScanArgs} for the gpu.js backend (float32 only). */
import {
  type AffineScanArgs,
  DTypeError,
  describeValue,
  type ResolvedView,
  resolveAffineArgs,
  ShapeError,
} from '@antler/core';

/** Affine scan arguments with sizes checked and views resolved; every array is a Float32Array. */
export interface CheckedAffineArgs {
  readonly structure: AffineScanArgs['structure'];
  /** Size k of the independent k×k problems: n (dense), blockSize (block) or 1 (diagonal). */
  readonly k: number;
  readonly batch: number;
  readonly length: number;
  readonly size: number;
  readonly a: ResolvedView<Float32Array>;
  readonly b: ResolvedView<Float32Array>;
  readonly s0: ResolvedView<Float32Array> | null;
  readonly out: ResolvedView<Float32Array>;
  readonly reverse: boolean;
  readonly transpose: boolean;
}

/** Largest k of a dense scan: each step of the scan multiplies k×k matrices in one kernel thread. */
export const MAX_DENSE_SIZE = 16;

function float32(argument: string, view: ResolvedView): ResolvedView<Float32Array> {
  if (!(view.data instanceof Float32Array)) {
    throw new DTypeError(
      argument,
      'Float32Array (gpu.js computes in float32 only)',
      describeValue(view.data),
    );
  }
  return view as ResolvedView<Float32Array>;
}

/** Checks every size, stride and dtype (the shared core validator, then gpu.js's own limits). */
export function checkAffineArgs(args: AffineScanArgs): CheckedAffineArgs {
  const r = resolveAffineArgs(args);
  const k = r.structure === 'dense' ? r.size : r.blockSize;
  if (r.structure !== 'diagonal' && k > MAX_DENSE_SIZE) {
    throw new ShapeError(
      r.structure === 'dense' ? 'size' : 'blockSize',
      `at most ${MAX_DENSE_SIZE} for a ${r.structure} gpu.js scan (O(k³ T log T) work)`,
      String(k),
    );
  }
  return {
    structure: r.structure,
    k,
    batch: r.batch,
    length: r.length,
    size: r.size,
    a: float32('a', r.a),
    b: float32('b', r.b),
    s0: r.s0 ? float32('s0', r.s0) : null,
    out: float32('out', r.out),
    reverse: r.reverse,
    transpose: r.transpose,
  };
}
