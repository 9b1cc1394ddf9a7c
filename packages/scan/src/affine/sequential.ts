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
 *
 * Only the last state of each lane is checked: in an affine recurrence a NaN or ±Infinity reaches every
 * later state of its lane (a·NaN = NaN, a·∞ = ±∞ or NaN), so a finite last state means all are finite.
 * For one lane (n = 1) the loop composes four steps ahead so that the dependency chain through the
 * state is one multiply-add per four steps instead of one per step.
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
  const t0 = reverse ? length - 1 : 0;
  const as = dir * a.stride;
  const bs = dir * b.stride;
  const os = dir * out.stride;
  let ai = a.offset + t0 * a.stride;
  let bi = b.offset + t0 * b.stride;
  let oi = out.offset + t0 * out.stride;
  if (size === 1) {
    let s = s0 === null ? 0 : s0[s0Offset];
    const f32 = od instanceof Float32Array;
    let step = 0;
    if (!reverse && as === 1 && bs === 1 && os === 1) {
      // Contiguous forward: constant offsets let the JIT fold the index arithmetic.
      const da = ai - oi;
      const db = bi - oi;
      const end = oi + length;
      let j = oi;
      for (; j + 4 <= end; j += 4) {
        const a0 = ad[j + da];
        const a1 = ad[j + da + 1];
        const a2 = ad[j + da + 2];
        const a3 = ad[j + da + 3];
        const b0 = bd[j + db];
        const c1 = a1 * b0 + bd[j + db + 1];
        const m1 = a1 * a0;
        const c2 = a2 * c1 + bd[j + db + 2];
        const m2 = a2 * m1;
        const c3 = a3 * c2 + bd[j + db + 3];
        const m3 = a3 * m2;
        od[j] = a0 * s + b0;
        od[j + 1] = m1 * s + c1;
        od[j + 2] = m2 * s + c2;
        s = m3 * s + c3;
        od[j + 3] = s;
        if (f32) s = Math.fround(s);
      }
      for (; j < end; j++) {
        s = ad[j + da] * s + bd[j + db];
        od[j] = s;
        if (f32) s = Math.fround(s);
      }
      return s - s === 0;
    }
    for (; step + 4 <= length; step += 4) {
      const a0 = ad[ai];
      const a1 = ad[ai + as];
      const a2 = ad[ai + 2 * as];
      const a3 = ad[ai + 3 * as];
      const b0 = bd[bi];
      // Off the critical path: the maps from s_{t−1} to s_{t+1}, s_{t+2}, s_{t+3}.
      const c1 = a1 * b0 + bd[bi + bs];
      const m1 = a1 * a0;
      const c2 = a2 * c1 + bd[bi + 2 * bs];
      const m2 = a2 * m1;
      const c3 = a3 * c2 + bd[bi + 3 * bs];
      const m3 = a3 * m2;
      od[oi] = a0 * s + b0;
      od[oi + os] = m1 * s + c1;
      od[oi + 2 * os] = m2 * s + c2;
      s = m3 * s + c3;
      od[oi + 3 * os] = s;
      // Carry the value as stored (float32 storage rounds the state, as in the other algorithms).
      if (f32) s = Math.fround(s);
      ai += 4 * as;
      bi += 4 * bs;
      oi += 4 * os;
    }
    for (; step < length; step++) {
      s = ad[ai] * s + bd[bi];
      od[oi] = s;
      if (f32) s = Math.fround(s);
      ai += as;
      bi += bs;
      oi += os;
    }
    return s - s === 0;
  }
  // First step reads the start state (or zero).
  for (let i = 0; i < size; i++) {
    const prev = s0 === null ? 0 : s0[s0Offset + i];
    od[oi + i] = ad[ai + i] * prev + bd[bi + i];
  }
  const contiguous = a.stride === size && b.stride === size && out.stride === size;
  if (contiguous && !reverse && size < 4) {
    // Few lanes: per lane, compose four steps ahead (as for n = 1), reading the lane's last state back.
    const n = size;
    const da = ai - oi;
    const db = bi - oi;
    let j = oi + n;
    const end = oi + length * n;
    for (; j + 4 * n <= end; j += 4 * n) {
      for (let i = 0; i < n; i++) {
        const k = j + i;
        const s = od[k - n];
        const a0 = ad[k + da];
        const a1 = ad[k + da + n];
        const a2 = ad[k + da + 2 * n];
        const a3 = ad[k + da + 3 * n];
        const b0 = bd[k + db];
        const c1 = a1 * b0 + bd[k + db + n];
        const m1 = a1 * a0;
        const c2 = a2 * c1 + bd[k + db + 2 * n];
        const m2 = a2 * m1;
        const c3 = a3 * c2 + bd[k + db + 3 * n];
        const m3 = a3 * m2;
        od[k] = a0 * s + b0;
        od[k + n] = m1 * s + c1;
        od[k + 2 * n] = m2 * s + c2;
        od[k + 3 * n] = m3 * s + c3;
      }
    }
    for (; j < end; j++) od[j] = ad[j + da] * od[j - n] + bd[j + db];
    oi = end - n;
  } else if (contiguous && size >= 4) {
    // One flat loop over steps × lanes, four lanes per iteration (independent when n ≥ 4): the state of
    // element j is od[j − n] in scan order.
    const d = dir;
    const len = (length - 1) * size;
    let j = 0;
    const aj = ai + d * size;
    const bj = bi + d * size;
    const oj = oi + d * size;
    const back = -d * size;
    if (d === 1) {
      for (; j + 4 <= len; j += 4) {
        const o = oj + j;
        const p0 = od[o + back];
        const p1 = od[o + back + 1];
        const p2 = od[o + back + 2];
        const p3 = od[o + back + 3];
        od[o] = ad[aj + j] * p0 + bd[bj + j];
        od[o + 1] = ad[aj + j + 1] * p1 + bd[bj + j + 1];
        od[o + 2] = ad[aj + j + 2] * p2 + bd[bj + j + 2];
        od[o + 3] = ad[aj + j + 3] * p3 + bd[bj + j + 3];
      }
      for (; j < len; j++) od[oj + j] = ad[aj + j] * od[oj + j + back] + bd[bj + j];
      oi += (length - 1) * os;
    } else {
      // Reverse: steps run backwards, lanes forwards within a step.
      for (let step = 1; step < length; step++) {
        const pi = oi;
        ai += as;
        bi += bs;
        oi += os;
        let i = 0;
        for (; i + 4 <= size; i += 4) {
          const p0 = od[pi + i];
          const p1 = od[pi + i + 1];
          const p2 = od[pi + i + 2];
          const p3 = od[pi + i + 3];
          od[oi + i] = ad[ai + i] * p0 + bd[bi + i];
          od[oi + i + 1] = ad[ai + i + 1] * p1 + bd[bi + i + 1];
          od[oi + i + 2] = ad[ai + i + 2] * p2 + bd[bi + i + 2];
          od[oi + i + 3] = ad[ai + i + 3] * p3 + bd[bi + i + 3];
        }
        for (; i < size; i++) od[oi + i] = ad[ai + i] * od[pi + i] + bd[bi + i];
      }
    }
  } else {
    for (let step = 1; step < length; step++) {
      const pi = oi;
      ai += as;
      bi += bs;
      oi += os;
      let i = 0;
      for (; i + 4 <= size; i += 4) {
        const p0 = od[pi + i];
        const p1 = od[pi + i + 1];
        const p2 = od[pi + i + 2];
        const p3 = od[pi + i + 3];
        od[oi + i] = ad[ai + i] * p0 + bd[bi + i];
        od[oi + i + 1] = ad[ai + i + 1] * p1 + bd[bi + i + 1];
        od[oi + i + 2] = ad[ai + i + 2] * p2 + bd[bi + i + 2];
        od[oi + i + 3] = ad[ai + i + 3] * p3 + bd[bi + i + 3];
      }
      for (; i < size; i++) od[oi + i] = ad[ai + i] * od[pi + i] + bd[bi + i];
    }
  }
  let check = 0;
  for (let i = 0; i < size; i++) check += od[oi + i] - od[oi + i];
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
    }
    // Carry the full-precision value (not the stored, possibly float32-rounded one)? No: the stored
    // value is the state the next step sees in every other algorithm too, so read it back.
    for (let i = 0; i < n; i++) prev[i] = od[oi + i];
  }
  // Non-finite values propagate to every later state (see diagonalScanSequential).
  for (let i = 0; i < n; i++) check += prev[i] - prev[i];
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
  if (k === 2) {
    // 2×2 blocks (ParaRNN-style cells): unrolled, reading the previous state straight from the output.
    const o01 = cs;
    const o10 = rs;
    const o11 = rs + cs;
    let pd: FloatArray = prev;
    let pi = 0;
    for (let step = 0; step < length; step++, t += dir) {
      const ai = a.offset + t * a.stride;
      const bi = b.offset + t * b.stride;
      const oi = out.offset + t * out.stride;
      for (let p = 0; p < size; p += 2) {
        const blk = ai + 2 * p;
        const x0 = pd[pi + p];
        const x1 = pd[pi + p + 1];
        od[oi + p] = ad[blk] * x0 + ad[blk + o01] * x1 + bd[bi + p];
        od[oi + p + 1] = ad[blk + o10] * x0 + ad[blk + o11] * x1 + bd[bi + p + 1];
      }
      pd = od;
      pi = oi;
    }
    for (let i = 0; i < size; i++) check += pd[pi + i] - pd[pi + i];
    return check === 0;
  }
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
      }
    }
    for (let i = 0; i < size; i++) prev[i] = od[oi + i];
  }
  for (let i = 0; i < size; i++) check += prev[i] - prev[i];
  return check === 0;
}
