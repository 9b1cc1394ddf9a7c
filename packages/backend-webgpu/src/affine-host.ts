/**
 * Validation of scan arguments and packing between strided host views and the contiguous, forward,
 * untransposed float32 layouts the kernels read (reverse and transpose are applied while packing), one
 * time window at a time.
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

/**
 * Packs time steps [t0, t0 + Tw) of a `[B][T][step]` view into a contiguous `[B][Tw][step]` array.
 * With `reverse`, packed time τ holds original time T − 1 − τ (the forward scan over reversed time).
 */
export function packSequence(
  v: ResolvedView,
  B: number,
  T: number,
  step: number,
  reverse: boolean,
  t0 = 0,
  Tw = T,
): Float32Array<ArrayBuffer> {
  const out = new Float32Array(B * Tw * step);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < Tw; j++) {
      const t = t0 + j;
      const src = v.offset + b * v.batchStride + (reverse ? T - 1 - t : t) * v.timeStride;
      out.set(v.data.subarray(src, src + step), (b * Tw + j) * step);
    }
  }
  return out;
}

/**
 * Packs operators of time steps [t0, t0 + Tw): reversed in time when asked, each n×n (or k×k block) transposed when asked. For a
 * reverse scan s_t = A_t s_{t+1} + b_t, the forward scan over reversed time uses the same A_t.
 */
export function packOperators(p: AffineProblem, t0 = 0, Tw = p.T): Float32Array<ArrayBuffer> {
  const step = operatorStepSize(p.structure, p.n, p.k);
  const out = packSequence(p.a, p.B, p.T, step, p.reverse, t0, Tw);
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
export function packS0(s0: ResolvedView | null, B: number, n: number): Float32Array<ArrayBuffer> {
  const out = new Float32Array(B * n);
  if (s0)
    for (let b = 0; b < B; b++)
      out.set(s0.data.subarray(s0.offset + b * s0.batchStride, s0.offset + b * s0.batchStride + n), b * n);
  return out;
}

/**
 * Writes contiguous `[B][Tw][n]` results of packed time steps [t0, t0 + Tw) back into the strided
 * output view (un-reversing time); returns whether all are finite.
 */
export function unpackSequence(
  src: Float32Array,
  v: ResolvedView,
  B: number,
  T: number,
  n: number,
  reverse: boolean,
  t0 = 0,
  Tw = T,
): boolean {
  let finite = true;
  const dst: FloatArray = v.data;
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < Tw; j++) {
      const t = t0 + j;
      const o = v.offset + b * v.batchStride + (reverse ? T - 1 - t : t) * v.timeStride;
      const s = (b * Tw + j) * n;
      for (let i = 0; i < n; i++) {
        const x = src[s + i];
        if (x - x !== 0) finite = false;
        dst[o + i] = x;
      }
    }
  }
  return finite;
}

/** The last state of every sequence of a `[B][Tw][n]` result: the s0 of the next time window. */
export function lastStates(src: Float32Array, B: number, Tw: number, n: number): Float32Array<ArrayBuffer> {
  const out = new Float32Array(B * n);
  for (let b = 0; b < B; b++) out.set(src.subarray((b * Tw + Tw - 1) * n, (b * Tw + Tw) * n), b * n);
  return out;
}
