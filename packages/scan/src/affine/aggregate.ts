/**
 * Chunk aggregates of the affine scan: the composition of a run of steps as one affine map
 * `s ↦ M s + c` (phase 1 of the chunked three-phase scan), and its application to a carried state
 * (phase 2). Both functions are self-contained (they call nothing and close over nothing) because the
 * threaded backend ships their source text to its workers.
 */
import type { StridedOperand } from './sequential.js';

/** Structure codes shared with the worker source: 0 diagonal, 1 dense, 2 block-diagonal. */
export const STRUCTURE_CODE = { diagonal: 0, dense: 1, block: 2 } as const;

/** Float64 elements of one aggregate operator M: n, n² or n·k. */
export function aggregateOperatorSize(structure: number, size: number, blockSize: number): number {
  return structure === 0 ? size : structure === 1 ? size * size : size * blockSize;
}

/**
 * Composes the `length` steps starting at `a.offset` / `b.offset` (in scan order: forward, or backwards
 * when `reverse`) into `M` at `m[mo …]` (layout of the structure, op(A) already applied) and `c` at
 * `c[co … co+n)`. `work` needs n² + n float64 (dense) or k² + k (block).
 */
export function affineChunkAggregate(
  structure: number,
  length: number,
  size: number,
  blockSize: number,
  a: StridedOperand,
  b: StridedOperand,
  reverse: boolean,
  transpose: boolean,
  m: Float64Array,
  mo: number,
  c: Float64Array,
  co: number,
  work: Float64Array,
): void {
  const n = size;
  const ad = a.data;
  const bd = b.data;
  const dir = reverse ? -1 : 1;
  const t0 = reverse ? length - 1 : 0;
  if (structure === 0 && n === 1) {
    // One lane: compose four steps off the dependency chain, then fold them in with one multiply-add.
    let mm = 1;
    let cc = 0;
    const as = dir * a.stride;
    const bs = dir * b.stride;
    let ai = a.offset + t0 * a.stride;
    let bi = b.offset + t0 * b.stride;
    let step = 0;
    for (; step + 4 <= length; step += 4) {
      const a1 = ad[ai + as];
      const a2 = ad[ai + 2 * as];
      const a3 = ad[ai + 3 * as];
      const c4 = a3 * (a2 * (a1 * bd[bi] + bd[bi + bs]) + bd[bi + 2 * bs]) + bd[bi + 3 * bs];
      const m4 = a3 * a2 * (a1 * ad[ai]);
      cc = m4 * cc + c4;
      mm *= m4;
      ai += 4 * as;
      bi += 4 * bs;
    }
    for (; step < length; step++) {
      cc = ad[ai] * cc + bd[bi];
      mm *= ad[ai];
      ai += as;
      bi += bs;
    }
    m[mo] = mm;
    c[co] = cc;
    return;
  }
  if (structure === 0) {
    // Lanes four at a time with the running maps in registers (the chains of different lanes overlap).
    const as = dir * a.stride;
    const bs = dir * b.stride;
    let g = 0;
    for (; g + 4 <= n; g += 4) {
      let c0 = 0;
      let c1 = 0;
      let c2 = 0;
      let c3 = 0;
      let m0 = 1;
      let m1 = 1;
      let m2 = 1;
      let m3 = 1;
      let ai = a.offset + t0 * a.stride + g;
      let bi = b.offset + t0 * b.stride + g;
      for (let step = 0; step < length; step++) {
        const a0 = ad[ai];
        const a1 = ad[ai + 1];
        const a2 = ad[ai + 2];
        const a3 = ad[ai + 3];
        c0 = a0 * c0 + bd[bi];
        c1 = a1 * c1 + bd[bi + 1];
        c2 = a2 * c2 + bd[bi + 2];
        c3 = a3 * c3 + bd[bi + 3];
        m0 *= a0;
        m1 *= a1;
        m2 *= a2;
        m3 *= a3;
        ai += as;
        bi += bs;
      }
      m[mo + g] = m0;
      m[mo + g + 1] = m1;
      m[mo + g + 2] = m2;
      m[mo + g + 3] = m3;
      c[co + g] = c0;
      c[co + g + 1] = c1;
      c[co + g + 2] = c2;
      c[co + g + 3] = c3;
    }
    if (g === n) return;
    for (let i = g; i < n; i++) {
      m[mo + i] = 1;
      c[co + i] = 0;
    }
    let t = t0;
    for (let step = 0; step < length; step++, t += dir) {
      const ai = a.offset + t * a.stride;
      const bi = b.offset + t * b.stride;
      for (let i = g; i < n; i++) {
        const ak = ad[ai + i];
        c[co + i] = ak * c[co + i] + bd[bi + i];
        m[mo + i] *= ak;
      }
    }
    return;
  }
  // Dense is block-diagonal with one block of size n.
  const k = structure === 1 ? n : blockSize;
  const kk = k * k;
  const rs = transpose ? 1 : k;
  const cs = transpose ? k : 1;
  const blocks = n / k;
  const tv = kk;
  for (let p = 0; p < blocks; p++) {
    const mb = mo + p * kk;
    const cb = co + p * k;
    let t = t0;
    for (let step = 0; step < length; step++, t += dir) {
      const blk = a.offset + t * a.stride + p * kk;
      const bi = b.offset + t * b.stride + p * k;
      if (step === 0) {
        for (let r = 0; r < k; r++) {
          for (let q = 0; q < k; q++) m[mb + r * k + q] = ad[blk + r * rs + q * cs];
          c[cb + r] = bd[bi + r];
        }
        continue;
      }
      // work = op(A_t) · M, then M = work; c = op(A_t) c + b_t.
      for (let r = 0; r < k; r++) {
        const row = blk + r * rs;
        let acc = bd[bi + r];
        for (let j = 0; j < k; j++) acc += ad[row + j * cs] * c[cb + j];
        work[tv + r] = acc;
        for (let q = 0; q < k; q++) work[r * k + q] = 0;
        for (let j = 0; j < k; j++) {
          const arj = ad[row + j * cs];
          if (arj === 0) continue;
          const mj = mb + j * k;
          const wr = r * k;
          for (let q = 0; q < k; q++) work[wr + q] += arj * m[mj + q];
        }
      }
      for (let i = 0; i < kk; i++) m[mb + i] = work[i];
      for (let r = 0; r < k; r++) c[cb + r] = work[tv + r];
    }
  }
}

/**
 * `s ← M s + c` for an aggregate written by {@link affineChunkAggregate}: `s` at `s[so …]` is read and
 * overwritten. `work` needs n float64.
 */
export function applyChunkAggregate(
  structure: number,
  size: number,
  blockSize: number,
  m: Float64Array,
  mo: number,
  c: Float64Array,
  co: number,
  s: Float64Array,
  so: number,
  work: Float64Array,
): void {
  const n = size;
  if (structure === 0) {
    for (let i = 0; i < n; i++) s[so + i] = m[mo + i] * s[so + i] + c[co + i];
    return;
  }
  const k = structure === 1 ? n : blockSize;
  const kk = k * k;
  for (let p = 0; p < n; p += k) {
    const mb = mo + (p / k) * kk;
    for (let r = 0; r < k; r++) {
      let acc = c[co + p + r];
      for (let j = 0; j < k; j++) acc += m[mb + r * k + j] * s[so + p + j];
      work[r] = acc;
    }
    for (let r = 0; r < k; r++) s[so + p + r] = work[r];
  }
}
