/**
 * Sequential affine scans: the reference every other algorithm is tested against, and the fastest
 * choice on one core. Allocation-free kernels over one batch member, in stdlib-js's
 * `(array, offset, stride)` form; the per-step axis is contiguous.
 */
import type { FloatArray } from '@antler/core';

/** One strided operand: `data[offset + t * stride + i]` is element i of step t. */
export interface StridedOperand {
  data: FloatArray;
  offset: number;
  stride: number;
}

/**
 * s_t = a_t ⊙ s_{t−1} + b_t (or, reversed, s_t = a_t ⊙ s_{t+1} + b_t) for one sequence of `length`
 * steps of `size` elements. `s0` is `null` for a zero start. Returns false when an output is not finite.
 */
export function diagonalScanSequential(
  length: number,
  size: number,
  a: StridedOperand,
  b: StridedOperand,
  s0: FloatArray | null,
  s0Offset: number,
  out: StridedOperand,
  reverse: boolean,
): boolean {
  const ad = a.data;
  const bd = b.data;
  const od = out.data;
  const dir = reverse ? -1 : 1;
  let t = reverse ? length - 1 : 0;
  let check = 0;
  // First step reads the start state (or zero).
  let ai = a.offset + t * a.stride;
  let bi = b.offset + t * b.stride;
  let oi = out.offset + t * out.stride;
  for (let i = 0; i < size; i++) {
    const prev = s0 === null ? 0 : s0[s0Offset + i];
    const v = ad[ai + i] * prev + bd[bi + i];
    od[oi + i] = v;
    check += v - v;
  }
  for (let step = 1; step < length; step++) {
    const pi = oi;
    t += dir;
    ai = a.offset + t * a.stride;
    bi = b.offset + t * b.stride;
    oi = out.offset + t * out.stride;
    for (let i = 0; i < size; i++) {
      const v = ad[ai + i] * od[pi + i] + bd[bi + i];
      od[oi + i] = v;
      check += v - v;
    }
  }
  return check === 0;
}

/**
 * Dense n×n affine scan for one sequence: s_t = op(A_t) s_{prev} + b_t with op(A) = A or Aᵀ.
 * A_t is row-major at `a.data[a.offset + t * a.stride]`. Returns false when an output is not finite.
 */
export function denseScanSequential(
  length: number,
  size: number,
  a: StridedOperand,
  b: StridedOperand,
  s0: FloatArray | null,
  s0Offset: number,
  out: StridedOperand,
  reverse: boolean,
  transpose: boolean,
  scratch: Float64Array = new Float64Array(size),
): boolean {
  const n = size;
  const ad = a.data;
  const bd = b.data;
  const od = out.data;
  const dir = reverse ? -1 : 1;
  // Row stride and column stride of op(A) within one step.
  const rs = transpose ? 1 : n;
  const cs = transpose ? n : 1;
  let check = 0;
  const prev = scratch;
  for (let i = 0; i < n; i++) prev[i] = s0 === null ? 0 : s0[s0Offset + i];
  let t = reverse ? length - 1 : 0;
  for (let step = 0; step < length; step++, t += dir) {
    const ai = a.offset + t * a.stride;
    const bi = b.offset + t * b.stride;
    const oi = out.offset + t * out.stride;
    for (let i = 0; i < n; i++) {
      let acc = bd[bi + i];
      const row = ai + i * rs;
      for (let j = 0; j < n; j++) acc += ad[row + j * cs] * prev[j];
      od[oi + i] = acc;
      check += acc - acc;
    }
    // Carry the full-precision value (not the stored, possibly float32-rounded one)? No: the stored
    // value is the state the next step sees in every other algorithm too, so read it back.
    for (let i = 0; i < n; i++) prev[i] = od[oi + i];
  }
  return check === 0;
}

/**
 * Block-diagonal affine scan for one sequence: n/k independent k×k blocks per step (row-major, block p
 * covers state indices p·k … p·k + k − 1). Returns false when an output is not finite.
 */
export function blockScanSequential(
  length: number,
  size: number,
  blockSize: number,
  a: StridedOperand,
  b: StridedOperand,
  s0: FloatArray | null,
  s0Offset: number,
  out: StridedOperand,
  reverse: boolean,
  transpose: boolean,
  scratch: Float64Array = new Float64Array(size),
): boolean {
  const k = blockSize;
  const ad = a.data;
  const bd = b.data;
  const od = out.data;
  const dir = reverse ? -1 : 1;
  const rs = transpose ? 1 : k;
  const cs = transpose ? k : 1;
  const prev = scratch;
  for (let i = 0; i < size; i++) prev[i] = s0 === null ? 0 : s0[s0Offset + i];
  let check = 0;
  let t = reverse ? length - 1 : 0;
  for (let step = 0; step < length; step++, t += dir) {
    const ai = a.offset + t * a.stride;
    const bi = b.offset + t * b.stride;
    const oi = out.offset + t * out.stride;
    for (let p = 0; p < size; p += k) {
      const blk = ai + p * k;
      for (let r = 0; r < k; r++) {
        let acc = bd[bi + p + r];
        for (let c = 0; c < k; c++) acc += ad[blk + r * rs + c * cs] * prev[p + c];
        od[oi + p + r] = acc;
        check += acc - acc;
      }
    }
    for (let i = 0; i < size; i++) prev[i] = od[oi + i];
  }
  return check === 0;
}
