/**
 * Validation of scan arguments and packing between strided host views and the contiguous, forward,
 * untransposed float32 layouts the kernels read (reverse and transpose are applied while packing).
 */
import {
  type AffineScanArgs,
  DTypeError,
  type FloatArray,
  operatorStepSize,
  type ResolvedView,
  resolveAffineArgs,
  type Structure,
} from '@antler/core';

/** Validated affine scan arguments. */
export interface AffineProblem {
  readonly structure: Structure;
  readonly k: number;
  readonly B: number;
  readonly T: number;
  readonly n: number;
  readonly a: ResolvedView;
  readonly b: ResolvedView;
  readonly s0: ResolvedView | null;
  readonly out: ResolvedView;
  readonly reverse: boolean;
  readonly transpose: boolean;
}

/** Checks shapes, strides and dtypes with the shared core validator, then requires float32 (WGSL has no f64). */
export function validateAffine(args: AffineScanArgs): AffineProblem {
  const r = resolveAffineArgs(args);
  if (!(r.out.data instanceof Float32Array)) {
    throw new DTypeError('out', 'float32 (WGSL has no float64)', r.out.data.constructor.name);
  }
  return {
    structure: r.structure,
    k: r.blockSize,
    B: r.batch,
    T: r.length,
    n: r.size,
    a: r.a,
    b: r.b,
    s0: r.s0,
    out: r.out,
    reverse: r.reverse,
    transpose: r.transpose,
  };
}

/** Packs a `[B][T][step]` view into a contiguous array, reversing time when asked. */
export function packSequence(
  v: ResolvedView,
  B: number,
  T: number,
  step: number,
  reverse: boolean,
): Float32Array {
  const out = new Float32Array(B * T * step);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const src = v.offset + b * v.batchStride + (reverse ? T - 1 - t : t) * v.timeStride;
      out.set(v.data.subarray(src, src + step), (b * T + t) * step);
    }
  }
  return out;
}

/**
 * Packs operators: reversed in time when asked, each n×n (or k×k block) transposed when asked. For a
 * reverse scan s_t = A_t s_{t+1} + b_t, the forward scan over reversed time uses the same A_t.
 */
export function packOperators(p: AffineProblem): Float32Array {
  const step = operatorStepSize(p.structure, p.n, p.k);
  const out = packSequence(p.a, p.B, p.T, step, p.reverse);
  if (!p.transpose || p.structure === 'diagonal') return out;
  const K = p.structure === 'dense' ? p.n : p.k;
  const tmp = new Float32Array(K * K);
  for (let base = 0; base < out.length; base += K * K) {
    for (let r = 0; r < K; r++) for (let c = 0; c < K; c++) tmp[c * K + r] = out[base + r * K + c];
    out.set(tmp, base);
  }
  return out;
}

/** Packs s0 `[B][n]` (zeros when absent). */
export function packS0(s0: ResolvedView | null, B: number, n: number): Float32Array {
  const out = new Float32Array(B * n);
  if (s0)
    for (let b = 0; b < B; b++)
      out.set(s0.data.subarray(s0.offset + b * s0.batchStride, s0.offset + b * s0.batchStride + n), b * n);
  return out;
}

/** Writes contiguous results back into the strided output view (un-reversing time); returns whether all are finite. */
export function unpackSequence(
  src: Float32Array,
  v: ResolvedView,
  B: number,
  T: number,
  n: number,
  reverse: boolean,
): boolean {
  let finite = true;
  const dst: FloatArray = v.data;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const o = v.offset + b * v.batchStride + (reverse ? T - 1 - t : t) * v.timeStride;
      const s = (b * T + t) * n;
      for (let i = 0; i < n; i++) {
        const x = src[s + i];
        if (x - x !== 0) finite = false;
        dst[o + i] = x;
      }
    }
  }
  return finite;
}
