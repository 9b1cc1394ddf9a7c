/**
 * Sequential Kalman filter and Rauch–Tung–Striebel smoother for the model of {@link KalmanScanArgs}:
 * `s_t = A_t s_{t−1} + b_t + N(0, qI)`, `y_t = s_t + N(0, rI)`, `s_{−1} = s0` known exactly (so the prior
 * of s_0 is N(A_0 s0 + b_0, qI)). Every computation runs in float64, whatever the storage dtype.
 * The reference the parallel Kalman scans are tested against, and the fastest choice on one core.
 */
import type { FloatArray, KalmanScanArgs, ScanReport } from '@antler/core';
import { choleskyInPlace, choleskySolveVector } from '../linalg/cholesky.js';
import type { StridedOperand } from '../affine/sequential.js';
import { resolveKalmanArgs } from './validate-kalman-args.js';

/** The Cholesky routines the dense Kalman kernel calls (injectable so that workers can run it). */
export interface CholeskyKernels {
  cholesky: typeof choleskyInPlace;
  solveVector: typeof choleskySolveVector;
}

/** Float64 scratch for the dense sequential Kalman kernel, reusable across calls of the same (T, n). */
export interface DenseKalmanScratch {
  /** Filtered means, `[T][n]`. */
  readonly means: Float64Array;
  /**
   * The current filtered covariance (n²), then, when smoothing, per step t ≥ 1 the product A_t P_{t−1}
   * and the Cholesky factor of the predicted covariance A_t P_{t−1} A_tᵀ + qI (`[T][2][n][n]`), so that
   * the smoother pass costs O(n²) per step.
   */
  readonly covs: Float64Array;
  /** n×n and n-vector work space. */
  readonly work: Float64Array;
}

/** Float64 elements of {@link DenseKalmanScratch.covs} for (T, n, smooth). */
export function denseKalmanCovsSize(length: number, size: number, smooth: boolean): number {
  return size * size * (smooth ? 1 + 2 * length : 1);
}

/** Allocates {@link DenseKalmanScratch} for sequences of `length` steps of state size `size`. */
export function createDenseKalmanScratch(length: number, size: number, smooth: boolean): DenseKalmanScratch {
  const n = size;
  return {
    means: new Float64Array(length * n),
    covs: new Float64Array(denseKalmanCovsSize(length, size, smooth)),
    work: new Float64Array(4 * n * n + 4 * n),
  };
}

/**
 * Dense Kalman filter (and RTS smoother when `smooth`) for one sequence. Writes the means to `out` and
 * returns false when an output is not finite (including when a covariance loses positive definiteness,
 * in which case the affected means are NaN: nothing is clipped).
 */
export function denseKalmanSequential(
  length: number,
  size: number,
  a: StridedOperand,
  b: StridedOperand,
  s0: FloatArray | null,
  s0Offset: number,
  y: StridedOperand,
  q: number,
  r: number,
  smooth: boolean,
  out: StridedOperand,
  scratch: DenseKalmanScratch = createDenseKalmanScratch(length, size, smooth),
  linalg?: CholeskyKernels,
): boolean {
  // Worker threads pass their own copies of the solvers (this function's source is shipped to them).
  const cholesky = linalg ? linalg.cholesky : choleskyInPlace;
  const solveVector = linalg ? linalg.solveVector : choleskySolveVector;
  const n = size;
  const nn = n * n;
  const ad = a.data;
  const bd = b.data;
  const yd = y.data;
  const od = out.data;
  const { means, covs, work } = scratch;
  // covs: P (current filtered covariance) | per step t: AP_t = A_t P_{t−1}, L_t = chol(Pp_t).
  // (Offsets are computed inline, without helper closures: this function's source text runs in worker
  // threads, where a bundler's name-keeping wrapper around an inner function would not exist.)
  const P = 0;
  // Work layout: pp (predicted covariance) | s (innovation covariance, factorised) | x (S⁻¹ Pp) |
  // ap (A·P when not smoothing) | pm (predicted mean) | v | e | ms (smoothed mean).
  const PP = 0;
  const SS = nn;
  const XX = 2 * nn;
  const PM = 4 * nn;
  const V = PM + n;
  const E = V + n;
  const MS = E + n;
  let check = 0;

  for (let t = 0; t < length; t++) {
    const ai = a.offset + t * a.stride;
    const bi = b.offset + t * b.stride;
    const yi = y.offset + t * y.stride;
    const mo = t * n;
    // Predicted mean pm = A m_{t−1} + b (m_{−1} = s0).
    for (let i = 0; i < n; i++) {
      let acc = bd[bi + i];
      const row = ai + i * n;
      if (t === 0) {
        if (s0 !== null) for (let j = 0; j < n; j++) acc += ad[row + j] * s0[s0Offset + j];
      } else {
        const pmo = mo - n;
        for (let j = 0; j < n; j++) acc += ad[row + j] * means[pmo + j];
      }
      work[PM + i] = acc;
    }
    // Predicted covariance Pp = A P_{t−1} Aᵀ + qI (P_{−1} = 0).
    if (t === 0) {
      work.fill(0, PP, PP + nn);
    } else {
      // ap = A · P_{t−1} (kept for the smoother): P is symmetric, so entry (i, c) is the dot product
      // of row i of A and row c of P, both contiguous.
      const apArr = smooth ? covs : work;
      const AP = smooth ? nn + 2 * nn * t : 3 * nn;
      for (let i = 0; i < n; i++) {
        const row = ai + i * n;
        const api = AP + i * n;
        for (let c = 0; c < n; c++) {
          const pc = P + c * n;
          let acc = 0;
          for (let j = 0; j < n; j++) acc += ad[row + j] * covs[pc + j];
          apArr[api + c] = acc;
        }
      }
      // pp = ap · Aᵀ: dot products of rows, upper triangle then mirrored.
      for (let i = 0; i < n; i++) {
        const api = AP + i * n;
        for (let c = i; c < n; c++) {
          let acc = 0;
          const rowc = ai + c * n;
          for (let j = 0; j < n; j++) acc += apArr[api + j] * ad[rowc + j];
          work[PP + i * n + c] = acc;
          work[PP + c * n + i] = acc;
        }
      }
    }
    for (let i = 0; i < n; i++) work[PP + i * n + i] += q;
    if (smooth && t > 0) {
      // Factor of Pp_t for the smoother gain of step t − 1.
      const L = nn + 2 * nn * t + nn;
      for (let i = 0; i < nn; i++) covs[L + i] = work[PP + i];
      if (!cholesky(n, covs, L)) covs.fill(Number.NaN, L, L + nn);
    }
    // S = Pp + rI, factorised.
    for (let i = 0; i < nn; i++) work[SS + i] = work[PP + i];
    for (let i = 0; i < n; i++) work[SS + i * n + i] += r;
    const ok = cholesky(n, work, SS);
    // m = pm + Pp S⁻¹ (y − pm).
    for (let i = 0; i < n; i++) work[V + i] = yd[yi + i] - work[PM + i];
    if (ok) solveVector(n, work, SS, work, V);
    else work.fill(Number.NaN, V, V + n);
    for (let i = 0; i < n; i++) {
      let acc = work[PM + i];
      for (let j = 0; j < n; j++) acc += work[PP + i * n + j] * work[V + j];
      means[mo + i] = acc;
    }
    // P = Pp − Pp S⁻¹ Pp = r (S⁻¹ Pp)ᵀ, symmetrised (S⁻¹ and Pp commute in exact arithmetic).
    if (t < length - 1) {
      for (let i = 0; i < nn; i++) work[XX + i] = work[PP + i];
      if (ok) {
        // Pp is symmetric: solving for its rows solves for its columns.
        for (let c = 0; c < n; c++) solveVector(n, work, SS, work, XX + c * n);
      } else {
        work.fill(Number.NaN, XX, XX + nn);
      }
      for (let i = 0; i < n; i++) {
        for (let c = i; c < n; c++) {
          const v = 0.5 * r * (work[XX + i * n + c] + work[XX + c * n + i]);
          covs[P + i * n + c] = v;
          covs[P + c * n + i] = v;
        }
      }
    }
    if (!smooth) {
      const oi = out.offset + t * out.stride;
      for (let i = 0; i < n; i++) {
        const v = means[mo + i];
        od[oi + i] = v;
        check += v - v;
      }
    }
  }
  if (!smooth) return check === 0;

  // RTS smoother, backwards: ms_t = m_t + P_t A_{t+1}ᵀ Pp_{t+1}⁻¹ (ms_{t+1} − pm_{t+1}), with
  // P_t A_{t+1}ᵀ = (A_{t+1} P_t)ᵀ and Pp_{t+1}'s factor both kept by the filter pass.
  const lastO = (length - 1) * n;
  {
    const oi = out.offset + (length - 1) * out.stride;
    for (let i = 0; i < n; i++) {
      const v = means[lastO + i];
      work[MS + i] = v;
      od[oi + i] = v;
      check += v - v;
    }
  }
  for (let t = length - 2; t >= 0; t--) {
    const ai = a.offset + (t + 1) * a.stride;
    const bi = b.offset + (t + 1) * b.stride;
    const mo = t * n;
    const AP = nn + 2 * nn * (t + 1);
    // v = ms_{t+1} − (A m_t + b), then Pp⁻¹ v.
    for (let i = 0; i < n; i++) {
      let acc = bd[bi + i];
      const row = ai + i * n;
      for (let j = 0; j < n; j++) acc += ad[row + j] * means[mo + j];
      work[V + i] = work[MS + i] - acc;
    }
    solveVector(n, covs, AP + nn, work, V);
    // ms_t = m_t + apᵀ v.
    for (let i = 0; i < n; i++) work[E + i] = means[mo + i];
    for (let j = 0; j < n; j++) {
      const vj = work[V + j];
      const apj = AP + j * n;
      for (let i = 0; i < n; i++) work[E + i] += covs[apj + i] * vj;
    }
    const oi = out.offset + t * out.stride;
    for (let i = 0; i < n; i++) {
      const v = work[E + i];
      work[MS + i] = v;
      od[oi + i] = v;
      check += v - v;
    }
  }
  return check === 0;
}

/**
 * Diagonal Kalman filter / RTS smoother for one sequence: n independent scalar filters
 * (`s_t[i] = a_t[i] s_{t−1}[i] + b_t[i] + N(0, q)`). `scratch` holds `2·T·n` float64 (means, variances).
 * Returns false when an output is not finite.
 */
export function diagonalKalmanSequential(
  length: number,
  size: number,
  a: StridedOperand,
  b: StridedOperand,
  s0: FloatArray | null,
  s0Offset: number,
  y: StridedOperand,
  q: number,
  r: number,
  smooth: boolean,
  out: StridedOperand,
  scratch: Float64Array = new Float64Array(2 * length * size),
): boolean {
  const n = size;
  const ad = a.data;
  const bd = b.data;
  const yd = y.data;
  const od = out.data;
  const means = scratch;
  const vars = length * n;
  let check = 0;
  for (let t = 0; t < length; t++) {
    const ai = a.offset + t * a.stride;
    const bi = b.offset + t * b.stride;
    const yi = y.offset + t * y.stride;
    const oi = out.offset + t * out.stride;
    const mo = t * n;
    for (let i = 0; i < n; i++) {
      let pm: number;
      let pp: number;
      if (t === 0) {
        pm = (s0 === null ? 0 : ad[ai + i] * s0[s0Offset + i]) + bd[bi + i];
        pp = q;
      } else {
        const ak = ad[ai + i];
        pm = ak * means[mo - n + i] + bd[bi + i];
        pp = ak * ak * scratch[vars + mo - n + i] + q;
      }
      const sInv = 1 / (pp + r);
      const m = pm + pp * sInv * (yd[yi + i] - pm);
      means[mo + i] = m;
      scratch[vars + mo + i] = pp * r * sInv;
      if (!smooth) {
        od[oi + i] = m;
        check += m - m;
      }
    }
  }
  if (!smooth) return check === 0;
  const last = (length - 1) * n;
  {
    const oi = out.offset + (length - 1) * out.stride;
    for (let i = 0; i < n; i++) {
      const v = means[last + i];
      od[oi + i] = v;
      check += v - v;
    }
  }
  // The smoothed mean of step t+1 lives in `means` once overwritten (float64, not the stored output).
  for (let t = length - 2; t >= 0; t--) {
    const ai = a.offset + (t + 1) * a.stride;
    const bi = b.offset + (t + 1) * b.stride;
    const oi = out.offset + t * out.stride;
    const mo = t * n;
    for (let i = 0; i < n; i++) {
      const ak = ad[ai + i];
      const m = means[mo + i];
      const p = scratch[vars + mo + i];
      const pp = ak * ak * p + q;
      const v = m + ((p * ak) / pp) * (means[mo + n + i] - (ak * m + bd[bi + i]));
      means[mo + i] = v;
      od[oi + i] = v;
      check += v - v;
    }
  }
  return check === 0;
}

/** Runs a Kalman filter or RTS smoother with the sequential algorithm (validates arguments first). */
export function kalmanScanSequential(args: KalmanScanArgs): ScanReport {
  const r = resolveKalmanArgs(args);
  const T = r.length;
  const n = r.size;
  let finite = true;
  const dense = r.structure === 'dense' ? createDenseKalmanScratch(T, n, r.smooth) : null;
  const diag = r.structure === 'diagonal' ? new Float64Array(2 * T * n) : null;
  for (let k = 0; k < r.batch; k++) {
    const a = { data: r.a.data, offset: r.a.offset + k * r.a.batchStride, stride: r.a.timeStride };
    const b = { data: r.b.data, offset: r.b.offset + k * r.b.batchStride, stride: r.b.timeStride };
    const y = { data: r.y.data, offset: r.y.offset + k * r.y.batchStride, stride: r.y.timeStride };
    const out = { data: r.out.data, offset: r.out.offset + k * r.out.batchStride, stride: r.out.timeStride };
    const s0 = r.s0 ? r.s0.data : null;
    const s0Off = r.s0 ? r.s0.offset + k * r.s0.batchStride : 0;
    const ok = dense
      ? denseKalmanSequential(T, n, a, b, s0, s0Off, y, r.q, r.r, r.smooth, out, dense)
      : diagonalKalmanSequential(T, n, a, b, s0, s0Off, y, r.q, r.r, r.smooth, out, diag as Float64Array);
    finite &&= ok;
  }
  return { finite };
}
