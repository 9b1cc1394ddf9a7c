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
  if (structure === 0 && n === 1 && a.stride === 1 && b.stride === 1) {
    // One contiguous lane (the threaded scan's reduce, which must run at memory speed): steps 0–1 and
    // 2–3 composed pairwise off the dependency chain, then folded in with one multiply-add per four
    // steps. Zero-based views and the remainder first, as in diagonalScanSequential.
    const av = ad.subarray(a.offset, a.offset + length);
    const bv = bd.subarray(b.offset, b.offset + length);
    let mm = +1;
    let cc = +0;
    const head = length & 3;
    if (!reverse) {
      let j = 0;
      for (; j < head; j++) {
        cc = av[j] * cc + bv[j];
        mm *= av[j];
      }
      for (; j < length; j += 4) {
        const a3 = av[j + 3];
        const a2 = av[j + 2];
        const a1 = av[j + 1];
        const a0 = av[j];
        const m01 = a1 * a0;
        const m23 = a3 * a2;
        const c01 = a1 * bv[j] + bv[j + 1];
        const c23 = a3 * bv[j + 2] + bv[j + 3];
        const m03 = m23 * m01;
        cc = m03 * cc + (m23 * c01 + c23);
        mm *= m03;
      }
    } else {
      let j = length - 1;
      for (; j >= length - head; j--) {
        cc = av[j] * cc + bv[j];
        mm *= av[j];
      }
      for (; j >= 3; j -= 4) {
        const a3 = av[j - 3];
        const a2 = av[j - 2];
        const a1 = av[j - 1];
        const a0 = av[j];
        const m01 = a1 * a0;
        const m23 = a3 * a2;
        const c01 = a1 * bv[j] + bv[j - 1];
        const c23 = a3 * bv[j - 2] + bv[j - 3];
        const m03 = m23 * m01;
        cc = m03 * cc + (m23 * c01 + c23);
        mm *= m03;
      }
    }
    m[mo] = mm;
    c[co] = cc;
    return;
  }
  if (structure === 0) {
    // Lanes: the running maps live in m and c (a few cache lines); the lanes are independent chains,
    // so they overlap.
    const mv = m.subarray(mo, mo + n);
    const cv = c.subarray(co, co + n);
    mv.fill(1);
    cv.fill(0);
    const as = dir * a.stride;
    const bs = dir * b.stride;
    let ai = a.offset + t0 * a.stride;
    let bi = b.offset + t0 * b.stride;
    let step = 0;
    // Four steps of a lane composed off the chain, then folded into its running map: the accumulators
    // are read and written once per four steps.
    if (!reverse && a.stride === n && b.stride === n) {
      // Contiguous: zero-based views and flat indices.
      const blocks = length >> 2;
      const av = ad.subarray(a.offset, a.offset + 4 * blocks * n);
      const bv = bd.subarray(b.offset, b.offset + 4 * blocks * n);
      const n2 = 2 * n;
      const n3 = 3 * n;
      for (let base = 0; base < av.length; base += 4 * n) {
        let i = 0;
        // Two lanes per iteration: twice the independent work between the loop's bookkeeping.
        for (; i + 2 <= n; i += 2) {
          const j = base + i;
          const a0 = av[j];
          const a1 = av[j + n];
          const a2 = av[j + n2];
          const a3 = av[j + n3];
          const e0 = av[j + 1];
          const e1 = av[j + n + 1];
          const e2 = av[j + n2 + 1];
          const e3 = av[j + n3 + 1];
          const m01 = a1 * a0;
          const m23 = a3 * a2;
          const q01 = e1 * e0;
          const q23 = e3 * e2;
          const c01 = a1 * bv[j] + bv[j + n];
          const c23 = a3 * bv[j + n2] + bv[j + n3];
          const d01 = e1 * bv[j + 1] + bv[j + n + 1];
          const d23 = e3 * bv[j + n2 + 1] + bv[j + n3 + 1];
          const m03 = m23 * m01;
          const q03 = q23 * q01;
          cv[i] = m03 * cv[i] + (m23 * c01 + c23);
          cv[i + 1] = q03 * cv[i + 1] + (q23 * d01 + d23);
          mv[i] *= m03;
          mv[i + 1] *= q03;
        }
        for (; i < n; i++) {
          const j = base + i;
          const a0 = av[j];
          const a1 = av[j + n];
          const a2 = av[j + n2];
          const a3 = av[j + n3];
          const m01 = a1 * a0;
          const m23 = a3 * a2;
          const c01 = a1 * bv[j] + bv[j + n];
          const c23 = a3 * bv[j + n2] + bv[j + n3];
          const m03 = m23 * m01;
          cv[i] = m03 * cv[i] + (m23 * c01 + c23);
          mv[i] *= m03;
        }
      }
      step = 4 * blocks;
      ai += step * as;
      bi += step * bs;
    }
    for (; step + 4 <= length; step += 4) {
      for (let i = 0; i < n; i++) {
        const a0 = ad[ai + i];
        const a1 = ad[ai + as + i];
        const a2 = ad[ai + 2 * as + i];
        const a3 = ad[ai + 3 * as + i];
        const m01 = a1 * a0;
        const m23 = a3 * a2;
        const c01 = a1 * bd[bi + i] + bd[bi + bs + i];
        const c23 = a3 * bd[bi + 2 * bs + i] + bd[bi + 3 * bs + i];
        const m03 = m23 * m01;
        cv[i] = m03 * cv[i] + (m23 * c01 + c23);
        mv[i] *= m03;
      }
      ai += 4 * as;
      bi += 4 * bs;
    }
    for (; step < length; step++) {
      for (let i = 0; i < n; i++) {
        const ak = ad[ai + i];
        cv[i] = ak * cv[i] + bd[bi + i];
        mv[i] *= ak;
      }
      ai += as;
      bi += bs;
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
