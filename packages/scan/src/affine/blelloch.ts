/**
 * The work-efficient (Brent–Kung / Blelloch) affine scan: an up-sweep and a down-sweep over a binary
 * tree of compositions, 2·log₂T levels of independent combines, O(T) combines in all. This is the
 * schedule a wide machine runs level by level; on the CPU it runs one level after the other and is the
 * reference for what tree-ordered composition does to rounding.
 *
 * The start state is folded into step 0, so every node that covers steps 0…i is a complete prefix whose
 * b-part is the state s_i; combines into complete prefixes need only a matrix–vector product.
 * Intermediate operators are stored in the storage dtype (float32 arrays for float32 scans).
 */
import { type AffineScanArgs, type FloatArray, operatorStepSize, type ScanReport } from '@antler/core';
import { type ResolvedAffineArgs, resolveAffineArgs } from './validate-args.js';

/** Scratch of the Blelloch scan: the operators of one sequence in scan order, op(A) applied. */
function allocateOperators(r: ResolvedAffineArgs): FloatArray {
  const len = r.length * operatorStepSize(r.structure, r.size, r.blockSize);
  return r.out.data instanceof Float32Array ? new Float32Array(len) : new Float64Array(len);
}

/** y ← op·x + y for one operator (plain layout) and vectors in `out`-like storage. */
function applyInto(
  r: ResolvedAffineArgs,
  ops: FloatArray,
  oo: number,
  x: FloatArray,
  xo: number,
  y: FloatArray,
  yo: number,
  tmp: Float64Array,
): void {
  const n = r.size;
  if (r.structure === 'diagonal') {
    for (let i = 0; i < n; i++) y[yo + i] += ops[oo + i] * x[xo + i];
    return;
  }
  const k = r.structure === 'dense' ? n : r.blockSize;
  const kk = k * k;
  for (let p = 0; p < n; p += k) {
    const blk = oo + (p / k) * kk;
    for (let i = 0; i < k; i++) {
      let acc = y[yo + p + i];
      for (let j = 0; j < k; j++) acc += ops[blk + i * k + j] * x[xo + p + j];
      tmp[i] = acc;
    }
    for (let i = 0; i < k; i++) y[yo + p + i] = tmp[i];
  }
}

/** ops[right] ← ops[right] · ops[left] (both plain layout). */
function composeInto(
  r: ResolvedAffineArgs,
  ops: FloatArray,
  ro: number,
  lo: number,
  tmp: Float64Array,
): void {
  const n = r.size;
  if (r.structure === 'diagonal') {
    for (let i = 0; i < n; i++) ops[ro + i] *= ops[lo + i];
    return;
  }
  const k = r.structure === 'dense' ? n : r.blockSize;
  const kk = k * k;
  for (let p = 0; p < n / k; p++) {
    const rb = ro + p * kk;
    const lb = lo + p * kk;
    for (let i = 0; i < k; i++) {
      for (let q = 0; q < k; q++) {
        let acc = 0;
        for (let j = 0; j < k; j++) acc += ops[rb + i * k + j] * ops[lb + j * k + q];
        tmp[i * k + q] = acc;
      }
    }
    for (let i = 0; i < kk; i++) ops[rb + i] = tmp[i];
  }
}

/** The Blelloch scan of batch member `kb`; `ops` holds T operators, `tmp` n² + n float64. */
function blellochOne(r: ResolvedAffineArgs, kb: number, ops: FloatArray, tmp: Float64Array): boolean {
  const T = r.length;
  const n = r.size;
  const opSize = operatorStepSize(r.structure, n, r.blockSize);
  const ad = r.a.data;
  const bd = r.b.data;
  const od = r.out.data;
  const aBase = r.a.offset + kb * r.a.batchStride;
  const bBase = r.b.offset + kb * r.b.batchStride;
  const oBase = r.out.offset + kb * r.out.batchStride;
  const os = r.out.timeStride;
  // Scan position τ lives at time step phys(τ).
  const phys = (tau: number) => (r.reverse ? T - 1 - tau : tau);
  const k = r.structure === 'dense' ? n : r.blockSize;
  const rs = r.transpose ? 1 : k;
  const cs = r.transpose ? k : 1;
  for (let tau = 0; tau < T; tau++) {
    const t = phys(tau);
    const ai = aBase + t * r.a.timeStride;
    const oo = tau * opSize;
    if (r.structure === 'diagonal') {
      for (let i = 0; i < n; i++) ops[oo + i] = ad[ai + i];
    } else {
      for (let blk = 0; blk < opSize; blk += k * k)
        for (let i = 0; i < k; i++)
          for (let j = 0; j < k; j++) ops[oo + blk + i * k + j] = ad[ai + blk + i * rs + j * cs];
    }
    const bi = bBase + t * r.b.timeStride;
    const oi = oBase + t * os;
    for (let i = 0; i < n; i++) od[oi + i] = bd[bi + i];
  }
  // Fold s0 into step 0: s_0 = op(A_0) s0 + b_0.
  if (r.s0)
    applyInto(r, ops, 0, r.s0.data, r.s0.offset + kb * r.s0.batchStride, od, oBase + phys(0) * os, tmp);
  // Up-sweep.
  let top = 1;
  for (let d = 1; d < T; d *= 2) {
    top = d;
    for (let i = 2 * d - 1; i < T; i += 2 * d) {
      const left = i - d;
      applyInto(r, ops, i * opSize, od, oBase + phys(left) * os, od, oBase + phys(i) * os, tmp);
      // A node covering 0…i is a complete prefix: its operator is never read again.
      if (i !== 2 * d - 1) composeInto(r, ops, i * opSize, left * opSize, tmp);
    }
  }
  // Down-sweep: every left operand is a complete prefix, so only states move.
  for (let d = top; d >= 1; d = d / 2) {
    for (let i = 3 * d - 1; i < T; i += 2 * d) {
      applyInto(r, ops, i * opSize, od, oBase + phys(i - d) * os, od, oBase + phys(i) * os, tmp);
    }
    if (d === 1) break;
  }
  let check = 0;
  for (let tau = 0; tau < T; tau++) {
    const oi = oBase + tau * os;
    for (let i = 0; i < n; i++) check += od[oi + i] - od[oi + i];
  }
  return check === 0;
}

/** Runs the Blelloch scan on already-resolved arguments. */
export function blellochScanResolved(r: ResolvedAffineArgs): boolean {
  const ops = allocateOperators(r);
  const tmp = new Float64Array(r.size * r.size + r.size);
  let finite = true;
  for (let kb = 0; kb < r.batch; kb++) finite = blellochOne(r, kb, ops, tmp) && finite;
  return finite;
}

/**
 * Affine scan with the work-efficient Blelloch (Brent–Kung) schedule on the calling thread. Allocates
 * T operators of scratch (one sequence at a time).
 *
 * @example
 * ```ts
 * import { affineScanBlelloch } from '@antler/scan';
 * const out = new Float64Array(3);
 * affineScanBlelloch({
 *   structure: 'diagonal', batch: 1, length: 3, size: 1,
 *   a: { data: new Float64Array([0.5, 0.5, 0.5]) }, b: { data: new Float64Array([1, 1, 1]) }, out: { data: out },
 * });
 * // out = [1, 1.5, 1.75]
 * ```
 */
export function affineScanBlelloch(args: AffineScanArgs): ScanReport {
  return { finite: blellochScanResolved(resolveAffineArgs(args)) };
}
