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
 *
 * Speed notes (V8, measured on x64): one lane (n = 1) is latency-bound, one multiply-add per step
 * through the state, so the loop composes four steps off the critical path — pairs (a₁a₀, a₁b₀ + b₁)
 * and (a₃a₂, a₃b₂ + b₃), then their product — and advances the state four steps per multiply-add,
 * filling in the three intermediate states from the known one. Contiguous sequences run on zero-based
 * `subarray` views (plain indices, fewer bounds checks), with the remainder steps first so that nothing
 * after the hot loop needs type feedback, and with the state a float from the start: loops entered
 * through on-stack replacement then compile to the same unboxed code as regular calls.
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
  const f32 = od instanceof Float32Array;
  if (length <= 0) return true;
  const contiguous = a.stride === size && b.stride === size && out.stride === size;
  if (contiguous && size === 1) {
    const av = ad.subarray(a.offset, a.offset + length);
    const bv = bd.subarray(b.offset, b.offset + length);
    const ov = od.subarray(out.offset, out.offset + length);
    let s = +(s0 === null ? 0 : s0[s0Offset]);
    const head = length & 3;
    // Four copies of one loop (direction × dtype): a dtype test inside the hot loop made V8's code
    // for it 1.5× slower in about half of the processes.
    if (!reverse && !f32) {
      let j = 0;
      for (; j < head; j++) {
        s = av[j] * s + bv[j];
        ov[j] = s;
      }
      for (; j < length; j += 4) {
        const a3 = av[j + 3];
        const a2 = av[j + 2];
        const a1 = av[j + 1];
        const a0 = av[j];
        const b3 = bv[j + 3];
        const b2 = bv[j + 2];
        const b1 = bv[j + 1];
        const b0 = bv[j];
        // Off the critical path: steps 0–1 and 2–3 as single maps, then 0–3.
        const m01 = a1 * a0;
        const c01 = a1 * b0 + b1;
        const m23 = a3 * a2;
        const c23 = a3 * b2 + b3;
        const s3 = m23 * m01 * s + (m23 * c01 + c23);
        const s1 = m01 * s + c01;
        ov[j] = a0 * s + b0;
        ov[j + 1] = s1;
        ov[j + 2] = a2 * s1 + b2;
        ov[j + 3] = s3;
        s = s3;
      }
    } else if (!reverse) {
      let j = 0;
      for (; j < head; j++) {
        // Carry the value as stored (float32 storage rounds the state, as in the other algorithms).
        s = Math.fround(av[j] * s + bv[j]);
        ov[j] = s;
      }
      for (; j < length; j += 4) {
        const a3 = av[j + 3];
        const a2 = av[j + 2];
        const a1 = av[j + 1];
        const a0 = av[j];
        const b3 = bv[j + 3];
        const b2 = bv[j + 2];
        const b1 = bv[j + 1];
        const b0 = bv[j];
        const m01 = a1 * a0;
        const c01 = a1 * b0 + b1;
        const m23 = a3 * a2;
        const c23 = a3 * b2 + b3;
        const s3 = m23 * m01 * s + (m23 * c01 + c23);
        const s1 = m01 * s + c01;
        ov[j] = a0 * s + b0;
        ov[j + 1] = s1;
        ov[j + 2] = a2 * s1 + b2;
        ov[j + 3] = s3;
        s = Math.fround(s3);
      }
    } else if (!f32) {
      let j = length - 1;
      for (; j >= length - head; j--) {
        s = av[j] * s + bv[j];
        ov[j] = s;
      }
      for (; j >= 3; j -= 4) {
        const a3 = av[j - 3];
        const a2 = av[j - 2];
        const a1 = av[j - 1];
        const a0 = av[j];
        const b3 = bv[j - 3];
        const b2 = bv[j - 2];
        const b1 = bv[j - 1];
        const b0 = bv[j];
        const m01 = a1 * a0;
        const c01 = a1 * b0 + b1;
        const m23 = a3 * a2;
        const c23 = a3 * b2 + b3;
        const s3 = m23 * m01 * s + (m23 * c01 + c23);
        const s1 = m01 * s + c01;
        ov[j] = a0 * s + b0;
        ov[j - 1] = s1;
        ov[j - 2] = a2 * s1 + b2;
        ov[j - 3] = s3;
        s = s3;
      }
    } else {
      let j = length - 1;
      for (; j >= length - head; j--) {
        s = Math.fround(av[j] * s + bv[j]);
        ov[j] = s;
      }
      for (; j >= 3; j -= 4) {
        const a3 = av[j - 3];
        const a2 = av[j - 2];
        const a1 = av[j - 1];
        const a0 = av[j];
        const b3 = bv[j - 3];
        const b2 = bv[j - 2];
        const b1 = bv[j - 1];
        const b0 = bv[j];
        const m01 = a1 * a0;
        const c01 = a1 * b0 + b1;
        const m23 = a3 * a2;
        const c23 = a3 * b2 + b3;
        const s3 = m23 * m01 * s + (m23 * c01 + c23);
        const s1 = m01 * s + c01;
        ov[j] = a0 * s + b0;
        ov[j - 1] = s1;
        ov[j - 2] = a2 * s1 + b2;
        ov[j - 3] = s3;
        s = Math.fround(s3);
      }
    }
    return s - s === 0;
  }
  if (contiguous && size >= 4) {
    // One flat loop over steps × lanes on zero-based views: the state of element j is element j ∓ n,
    // and the elements of one iteration belong to different, independent lanes (8 per iteration when
    // n ≥ 8, else 4).
    const n = size;
    const total = length * n;
    const av = ad.subarray(a.offset, a.offset + total);
    const bv = bd.subarray(b.offset, b.offset + total);
    const ov = od.subarray(out.offset, out.offset + total);
    const w = n >= 8 ? 8 : 4;
    const first = reverse ? total - n : 0;
    for (let i = 0; i < n; i++) {
      const prev = s0 === null ? 0 : s0[s0Offset + i];
      ov[first + i] = av[first + i] * prev + bv[first + i];
    }
    const rest = total - n;
    const head = rest % w;
    if (!reverse) {
      let j = n;
      for (; j < n + head; j++) ov[j] = av[j] * ov[j - n] + bv[j];
      if (w === 8) {
        for (; j < total; j += 8) {
          const k = j - n;
          const p7 = ov[k + 7];
          const p6 = ov[k + 6];
          const p5 = ov[k + 5];
          const p4 = ov[k + 4];
          const p3 = ov[k + 3];
          const p2 = ov[k + 2];
          const p1 = ov[k + 1];
          const p0 = ov[k];
          ov[j + 7] = av[j + 7] * p7 + bv[j + 7];
          ov[j] = av[j] * p0 + bv[j];
          ov[j + 1] = av[j + 1] * p1 + bv[j + 1];
          ov[j + 2] = av[j + 2] * p2 + bv[j + 2];
          ov[j + 3] = av[j + 3] * p3 + bv[j + 3];
          ov[j + 4] = av[j + 4] * p4 + bv[j + 4];
          ov[j + 5] = av[j + 5] * p5 + bv[j + 5];
          ov[j + 6] = av[j + 6] * p6 + bv[j + 6];
        }
      } else {
        for (; j < total; j += 4) {
          const k = j - n;
          const p3 = ov[k + 3];
          const p2 = ov[k + 2];
          const p1 = ov[k + 1];
          const p0 = ov[k];
          ov[j + 3] = av[j + 3] * p3 + bv[j + 3];
          ov[j] = av[j] * p0 + bv[j];
          ov[j + 1] = av[j + 1] * p1 + bv[j + 1];
          ov[j + 2] = av[j + 2] * p2 + bv[j + 2];
        }
      }
    } else {
      // Backwards over the flat index: element j's state is element j + n.
      let j = rest - 1;
      for (; j >= rest - head; j--) ov[j] = av[j] * ov[j + n] + bv[j];
      if (w === 8) {
        for (; j >= 7; j -= 8) {
          const k = j + n;
          const p7 = ov[k - 7];
          const p6 = ov[k - 6];
          const p5 = ov[k - 5];
          const p4 = ov[k - 4];
          const p3 = ov[k - 3];
          const p2 = ov[k - 2];
          const p1 = ov[k - 1];
          const p0 = ov[k];
          ov[j - 7] = av[j - 7] * p7 + bv[j - 7];
          ov[j] = av[j] * p0 + bv[j];
          ov[j - 1] = av[j - 1] * p1 + bv[j - 1];
          ov[j - 2] = av[j - 2] * p2 + bv[j - 2];
          ov[j - 3] = av[j - 3] * p3 + bv[j - 3];
          ov[j - 4] = av[j - 4] * p4 + bv[j - 4];
          ov[j - 5] = av[j - 5] * p5 + bv[j - 5];
          ov[j - 6] = av[j - 6] * p6 + bv[j - 6];
        }
      } else {
        for (; j >= 3; j -= 4) {
          const k = j + n;
          const p3 = ov[k - 3];
          const p2 = ov[k - 2];
          const p1 = ov[k - 1];
          const p0 = ov[k];
          ov[j - 3] = av[j - 3] * p3 + bv[j - 3];
          ov[j] = av[j] * p0 + bv[j];
          ov[j - 1] = av[j - 1] * p1 + bv[j - 1];
          ov[j - 2] = av[j - 2] * p2 + bv[j - 2];
        }
      }
    }
    const last = reverse ? 0 : total - n;
    let check = 0;
    for (let i = 0; i < n; i++) check += ov[last + i] - ov[last + i];
    return check === 0;
  }
  const st = out.stride;
  if (!contiguous && size >= 4 && a.stride === st && b.stride === st && st >= size) {
    // A range of lanes of a wider sequence (the threaded backend splits lanes this way): zero-based
    // views, each step's lanes four at a time from the previous step's, ±stride away.
    const n = size;
    const span = (length - 1) * st + n;
    const av = ad.subarray(a.offset, a.offset + span);
    const bv = bd.subarray(b.offset, b.offset + span);
    const ov = od.subarray(out.offset, out.offset + span);
    const first = reverse ? (length - 1) * st : 0;
    for (let i = 0; i < n; i++) {
      const prev = s0 === null ? 0 : s0[s0Offset + i];
      ov[first + i] = av[first + i] * prev + bv[first + i];
    }
    const back = reverse ? st : -st;
    const n4 = n - (n & 3);
    for (let step = 1; step < length; step++) {
      const base = reverse ? (length - 1 - step) * st : step * st;
      let i = 0;
      for (; i < n4; i += 4) {
        const j = base + i;
        const k = j + back;
        const p3 = ov[k + 3];
        const p2 = ov[k + 2];
        const p1 = ov[k + 1];
        const p0 = ov[k];
        ov[j + 3] = av[j + 3] * p3 + bv[j + 3];
        ov[j] = av[j] * p0 + bv[j];
        ov[j + 1] = av[j + 1] * p1 + bv[j + 1];
        ov[j + 2] = av[j + 2] * p2 + bv[j + 2];
      }
      for (; i < n; i++) ov[base + i] = av[base + i] * ov[base + back + i] + bv[base + i];
    }
    const last = reverse ? 0 : (length - 1) * st;
    let check = 0;
    for (let i = 0; i < n; i++) check += ov[last + i] - ov[last + i];
    return check === 0;
  }
  const dir = reverse ? -1 : 1;
  const t0 = reverse ? length - 1 : 0;
  const as = dir * a.stride;
  const bs = dir * b.stride;
  const os = dir * out.stride;
  let ai = a.offset + t0 * a.stride;
  let bi = b.offset + t0 * b.stride;
  let oi = out.offset + t0 * out.stride;
  if (size === 1) {
    // Strided single lane: the same four-step composition with explicit strides.
    let s = +(s0 === null ? 0 : s0[s0Offset]);
    let step = 0;
    for (; step + 4 <= length; step += 4) {
      const a0 = ad[ai];
      const a1 = ad[ai + as];
      const a2 = ad[ai + 2 * as];
      const a3 = ad[ai + 3 * as];
      const b0 = bd[bi];
      const b1 = bd[bi + bs];
      const b2 = bd[bi + 2 * bs];
      const b3 = bd[bi + 3 * bs];
      const m01 = a1 * a0;
      const c01 = a1 * b0 + b1;
      const m23 = a3 * a2;
      const c23 = a3 * b2 + b3;
      const s3 = m23 * m01 * s + (m23 * c01 + c23);
      const s1 = m01 * s + c01;
      od[oi] = a0 * s + b0;
      od[oi + os] = s1;
      od[oi + 2 * os] = a2 * s1 + b2;
      od[oi + 3 * os] = s3;
      s = f32 ? Math.fround(s3) : s3;
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
  if (contiguous && !reverse) {
    // Two or three lanes: per lane, compose four steps ahead (as for n = 1), reading the lane's last
    // state back.
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
        const b1 = bd[k + db + n];
        const b2 = bd[k + db + 2 * n];
        const b3 = bd[k + db + 3 * n];
        const m01 = a1 * a0;
        const c01 = a1 * b0 + b1;
        const m23 = a3 * a2;
        const c23 = a3 * b2 + b3;
        const s1 = m01 * s + c01;
        od[k] = a0 * s + b0;
        od[k + n] = s1;
        od[k + 2 * n] = a2 * s1 + b2;
        od[k + 3 * n] = m23 * m01 * s + (m23 * c01 + c23);
      }
    }
    for (; j < end; j++) od[j] = ad[j + da] * od[j - n] + bd[j + db];
    oi = end - n;
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
