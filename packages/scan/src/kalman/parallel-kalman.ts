/**
 * The parallel Kalman filter and RTS smoother of Särkkä & García-Fernández (2021), specialised to the
 * model of {@link KalmanScanArgs} (H = I, Q = qI, R = rI): every step becomes an element (A, b, C, η, J),
 * an associative combine composes elements, and the inclusive scan of the elements yields the filtered
 * means (b-parts) and covariances (C-parts). The smoother means are a second, reverse affine scan with
 * operators E_k (the smoother gains) and offsets g_k. Both scans run the Brent–Kung (Blelloch) schedule:
 * 2·log₂T levels of independent combines — the structure a wide machine parallelises. All arithmetic is
 * float64.
 *
 * With κ = q/(q+r) and ω = 1/(q+r): for t ≥ 1, A = (1−κ)F_t, b = u_t + κ(y_t − u_t), C = (1−κ)q I,
 * η = ω F_tᵀ(y_t − u_t), J = ω F_tᵀF_t; the first element absorbs the known start, A = 0,
 * b = m⁻ + κ(y_0 − m⁻) with m⁻ = F_0 s0 + u_0, C = (1−κ)q I, η = 0, J = 0.
 */
import type { KalmanScanArgs, ScanReport } from '@antler/core';
import { blellochScanResolved } from '../affine/blelloch.js';
import type { ResolvedAffineArgs } from '../affine/validate-args.js';
import { choleskyInPlace, choleskySolveMatrix } from '../linalg/cholesky.js';
import { luFactorInPlace, luSolveInPlace } from '../linalg/lu.js';
import { type ResolvedKalmanArgs, resolveKalmanArgs } from './validate-kalman-args.js';

/** Runs `combine(left, right)` (right ← left ∘ right) in the Brent–Kung inclusive-scan schedule. */
export function brentKungSchedule(length: number, combine: (left: number, right: number) => void): void {
  let top = 1;
  for (let d = 1; d < length; d *= 2) {
    top = d;
    for (let i = 2 * d - 1; i < length; i += 2 * d) combine(i - d, i);
  }
  for (let d = top; d >= 1; d /= 2) {
    for (let i = 3 * d - 1; i < length; i += 2 * d) combine(i - d, i);
    if (d === 1) break;
  }
}

/** Dense filter elements of one sequence, `[T][3n² + 2n]`: A | C | J | b | η. */
function denseElements(r: ResolvedKalmanArgs, kb: number): Float64Array {
  const T = r.length;
  const n = r.size;
  const nn = n * n;
  const es = 3 * nn + 2 * n;
  const el = new Float64Array(T * es);
  const kappa = r.q / (r.q + r.r);
  const oneMinus = r.r / (r.q + r.r);
  const omega = 1 / (r.q + r.r);
  const ad = r.a.data;
  const bd = r.b.data;
  const yd = r.y.data;
  const v = new Float64Array(n);
  for (let t = 0; t < T; t++) {
    const e = t * es;
    const ai = r.a.offset + kb * r.a.batchStride + t * r.a.timeStride;
    const bi = r.b.offset + kb * r.b.batchStride + t * r.b.timeStride;
    const yi = r.y.offset + kb * r.y.batchStride + t * r.y.timeStride;
    for (let i = 0; i < n; i++) el[e + nn + i * n + i] = oneMinus * r.q;
    if (t === 0) {
      for (let i = 0; i < n; i++) {
        let m = bd[bi + i];
        if (r.s0) {
          const so = r.s0.offset + kb * r.s0.batchStride;
          for (let j = 0; j < n; j++) m += ad[ai + i * n + j] * r.s0.data[so + j];
        }
        el[e + 3 * nn + i] = m + kappa * (yd[yi + i] - m);
      }
      continue;
    }
    for (let i = 0; i < nn; i++) el[e + i] = oneMinus * ad[ai + i];
    for (let i = 0; i < n; i++) {
      v[i] = yd[yi + i] - bd[bi + i];
      el[e + 3 * nn + i] = bd[bi + i] + kappa * v[i];
    }
    for (let i = 0; i < n; i++) {
      let eta = 0;
      for (let k = 0; k < n; k++) eta += ad[ai + k * n + i] * v[k];
      el[e + 3 * nn + n + i] = omega * eta;
      for (let j = i; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += ad[ai + k * n + i] * ad[ai + k * n + j];
        el[e + 2 * nn + i * n + j] = omega * s;
        el[e + 2 * nn + j * n + i] = omega * s;
      }
    }
  }
  return el;
}

/** Dense combine of elements `l` then `rr` into `rr`. */
function makeDenseCombine(n: number, el: Float64Array): (l: number, rr: number) => void {
  const nn = n * n;
  const es = 3 * nn + 2 * n;
  const w = new Float64Array(8 * nn + 4 * n);
  const X = 0;
  const Y1 = nn;
  const Y3 = 2 * nn;
  const T1 = 3 * nn;
  const T2 = 4 * nn;
  const NA = 5 * nn;
  const NC = 6 * nn;
  const NJ = 7 * nn;
  const y2 = 8 * nn;
  const v = y2 + n;
  const nb = v + n;
  const ne = nb + n;
  const piv = new Int32Array(n);
  // matmul: w[dst] = P[pa] · Q[qa] (or Qᵀ), all n×n row-major.
  const mul = (P: Float64Array, pa: number, Q: Float64Array, qa: number, dst: number, qT: boolean) => {
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += P[pa + i * n + k] * (qT ? Q[qa + j * n + k] : Q[qa + k * n + j]);
        w[dst + i * n + j] = s;
      }
  };
  return (l, rr) => {
    const li = l * es;
    const ri = rr * es;
    const Ai = li;
    const Ci = li + nn;
    const Ji = li + 2 * nn;
    const bi = li + 3 * nn;
    const ei = bi + n;
    const Aj = ri;
    const Cj = ri + nn;
    const Jj = ri + 2 * nn;
    const bj = ri + 3 * nn;
    const ej = bj + n;
    // X = I + C_i J_j
    mul(el, Ci, el, Jj, X, false);
    for (let i = 0; i < n; i++) w[X + i * n + i] += 1;
    const ok = luFactorInPlace(n, w, X, piv);
    if (!ok) {
      el.fill(Number.NaN, ri, ri + es);
      return;
    }
    for (let i = 0; i < nn; i++) {
      w[Y1 + i] = el[Ai + i];
      w[Y3 + i] = el[Ci + i];
    }
    for (let i = 0; i < n; i++) {
      let s = el[bi + i];
      for (let k = 0; k < n; k++) s += el[Ci + i * n + k] * el[ej + k];
      w[y2 + i] = s;
      // v = η_j − J_j b_i
      let t = el[ej + i];
      for (let k = 0; k < n; k++) t -= el[Jj + i * n + k] * el[bi + k];
      w[v + i] = t;
    }
    luSolveInPlace(n, w, X, piv, w, Y1, n);
    luSolveInPlace(n, w, X, piv, w, Y3, n);
    luSolveInPlace(n, w, X, piv, w, y2, 1);
    // A = A_j Y1; b = A_j y2 + b_j; C = (A_j Y3) A_jᵀ + C_j.
    mul(el, Aj, w, Y1, NA, false);
    mul(el, Aj, w, Y3, T1, false);
    mul(w, T1, el, Aj, NC, true);
    for (let i = 0; i < n; i++) {
      let s = el[bj + i];
      for (let k = 0; k < n; k++) s += el[Aj + i * n + k] * w[y2 + k];
      w[nb + i] = s;
      // η = Y1ᵀ v + η_i   (A_iᵀ (I + J_j C_i)⁻¹ = (X⁻¹ A_i)ᵀ)
      let e = el[ei + i];
      for (let k = 0; k < n; k++) e += w[Y1 + k * n + i] * w[v + k];
      w[ne + i] = e;
    }
    // J = Y1ᵀ (J_j A_i) + J_i
    mul(el, Jj, el, Ai, T2, false);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += w[Y1 + k * n + i] * w[T2 + k * n + j];
        w[NJ + i * n + j] = s;
      }
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        el[Aj + i * n + j] = w[NA + i * n + j];
        // Symmetrise: C and J are covariance / information matrices.
        el[Cj + i * n + j] = 0.5 * (w[NC + i * n + j] + w[NC + j * n + i]) + el[Cj + i * n + j];
        el[Jj + i * n + j] = 0.5 * (w[NJ + i * n + j] + w[NJ + j * n + i]) + el[Ji + i * n + j];
      }
      el[bj + i] = w[nb + i];
      el[ej + i] = w[ne + i];
    }
  };
}

/** Writes a float64 `[T][n]` sequence to the output view of batch member `kb`; returns finiteness. */
function writeOut(r: ResolvedKalmanArgs, kb: number, x: Float64Array, stride: number, off: number): boolean {
  const n = r.size;
  const od = r.out.data;
  let check = 0;
  for (let t = 0; t < r.length; t++) {
    const oi = r.out.offset + kb * r.out.batchStride + t * r.out.timeStride;
    for (let i = 0; i < n; i++) {
      const val = x[t * stride + off + i];
      od[oi + i] = val;
      check += val - val;
    }
  }
  return check === 0;
}

/** Reverse dense/diagonal affine scan ms_k = E_k ms_{k+1} + g_k (E_{T−1} = 0) with the Blelloch schedule. */
function reverseScan(
  structure: 'dense' | 'diagonal',
  T: number,
  n: number,
  E: Float64Array,
  g: Float64Array,
): Float64Array {
  const out = new Float64Array(T * n);
  const args: ResolvedAffineArgs = {
    structure,
    blockSize: 1,
    batch: 1,
    length: T,
    size: n,
    a: { data: E, offset: 0, timeStride: structure === 'dense' ? n * n : n, batchStride: 0 },
    b: { data: g, offset: 0, timeStride: n, batchStride: 0 },
    s0: null,
    out: { data: out, offset: 0, timeStride: n, batchStride: 0 },
    reverse: true,
    transpose: false,
  };
  blellochScanResolved(args);
  return out;
}

function denseOne(r: ResolvedKalmanArgs, kb: number): boolean {
  const T = r.length;
  const n = r.size;
  const nn = n * n;
  const es = 3 * nn + 2 * n;
  const el = denseElements(r, kb);
  brentKungSchedule(T, makeDenseCombine(n, el));
  if (!r.smooth) return writeOut(r, kb, el, es, 3 * nn);
  // Smoother elements: E_k = P_k F_{k+1}ᵀ (F_{k+1} P_k F_{k+1}ᵀ + qI)⁻¹, g_k = m_k − E_k (F_{k+1} m_k + u_{k+1}).
  const E = new Float64Array(T * nn);
  const g = new Float64Array(T * n);
  const FP = new Float64Array(nn);
  const Pp = new Float64Array(nn);
  const pm = new Float64Array(n);
  const ad = r.a.data;
  const bd = r.b.data;
  for (let k = 0; k < T; k++) {
    const P = k * es + nn;
    const m = k * es + 3 * nn;
    if (k === T - 1) {
      for (let i = 0; i < n; i++) g[k * n + i] = el[m + i];
      break;
    }
    const ai = r.a.offset + kb * r.a.batchStride + (k + 1) * r.a.timeStride;
    const bi = r.b.offset + kb * r.b.batchStride + (k + 1) * r.b.timeStride;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < n; q++) s += ad[ai + i * n + q] * el[P + q * n + j];
        FP[i * n + j] = s;
      }
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < n; q++) s += FP[i * n + q] * ad[ai + j * n + q];
        Pp[i * n + j] = s;
      }
      Pp[i * n + i] += r.q;
      let s = bd[bi + i];
      for (let q = 0; q < n; q++) s += ad[ai + i * n + q] * el[m + q];
      pm[i] = s;
    }
    // Eᵀ = Pp⁻¹ (F P)   (P Fᵀ = (F P)ᵀ since P is symmetric)
    if (choleskyInPlace(n, Pp, 0)) choleskySolveMatrix(n, Pp, 0, FP, 0);
    else FP.fill(Number.NaN);
    for (let i = 0; i < n; i++) {
      let s = el[m + i];
      for (let j = 0; j < n; j++) {
        const eij = FP[j * n + i];
        E[k * nn + i * n + j] = eij;
        s -= eij * pm[j];
      }
      g[k * n + i] = s;
    }
  }
  return writeOut(r, kb, reverseScan('dense', T, n, E, g), n, 0);
}

function diagonalOne(r: ResolvedKalmanArgs, kb: number): boolean {
  const T = r.length;
  const n = r.size;
  const kappa = r.q / (r.q + r.r);
  const oneMinus = r.r / (r.q + r.r);
  const omega = 1 / (r.q + r.r);
  const A = new Float64Array(T * n);
  const B = new Float64Array(T * n);
  const C = new Float64Array(T * n).fill(oneMinus * r.q);
  const H = new Float64Array(T * n); // η
  const J = new Float64Array(T * n);
  const ad = r.a.data;
  const bd = r.b.data;
  const yd = r.y.data;
  for (let t = 0; t < T; t++) {
    const ai = r.a.offset + kb * r.a.batchStride + t * r.a.timeStride;
    const bi = r.b.offset + kb * r.b.batchStride + t * r.b.timeStride;
    const yi = r.y.offset + kb * r.y.batchStride + t * r.y.timeStride;
    for (let i = 0; i < n; i++) {
      const f = ad[ai + i];
      if (t === 0) {
        const s0 = r.s0 ? r.s0.data[r.s0.offset + kb * r.s0.batchStride + i] : 0;
        const m = f * s0 + bd[bi + i];
        B[i] = m + kappa * (yd[yi + i] - m);
        continue;
      }
      const v = yd[yi + i] - bd[bi + i];
      A[t * n + i] = oneMinus * f;
      B[t * n + i] = bd[bi + i] + kappa * v;
      H[t * n + i] = omega * f * v;
      J[t * n + i] = omega * f * f;
    }
  }
  brentKungSchedule(T, (l, rr) => {
    const lo = l * n;
    const ro = rr * n;
    for (let i = 0; i < n; i++) {
      const Ai = A[lo + i];
      const Ci = C[lo + i];
      const bi = B[lo + i];
      const Aj = A[ro + i];
      const Jj = J[ro + i];
      const x = 1 / (1 + Ci * Jj);
      const y1 = Ai * x;
      A[ro + i] = Aj * y1;
      B[ro + i] = Aj * (bi + Ci * H[ro + i]) * x + B[ro + i];
      C[ro + i] = Aj * Aj * Ci * x + C[ro + i];
      H[ro + i] = y1 * (H[ro + i] - Jj * bi) + H[lo + i];
      J[ro + i] = y1 * Jj * Ai + J[lo + i];
    }
  });
  if (!r.smooth) return writeOut(r, kb, B, n, 0);
  const E = new Float64Array(T * n);
  const g = new Float64Array(T * n);
  for (let k = 0; k < T; k++) {
    if (k === T - 1) {
      for (let i = 0; i < n; i++) g[k * n + i] = B[k * n + i];
      break;
    }
    const ai = r.a.offset + kb * r.a.batchStride + (k + 1) * r.a.timeStride;
    const bi = r.b.offset + kb * r.b.batchStride + (k + 1) * r.b.timeStride;
    for (let i = 0; i < n; i++) {
      const f = ad[ai + i];
      const p = C[k * n + i];
      const m = B[k * n + i];
      const e = (p * f) / (f * f * p + r.q);
      E[k * n + i] = e;
      g[k * n + i] = m - e * (f * m + bd[bi + i]);
    }
  }
  return writeOut(r, kb, reverseScan('diagonal', T, n, E, g), n, 0);
}

/**
 * Kalman filter means (`smooth: false`) or RTS smoother means (`smooth: true`) by two associative scans
 * (Särkkä & García-Fernández). Equal to {@link kalmanScanSequential} up to rounding; O(T log T)-depth
 * friendly but ~10× the arithmetic of the sequential filter on one core.
 *
 * @example
 * ```ts
 * import { kalmanScanParallel } from '@antler/scan';
 * const out = new Float64Array(3);
 * kalmanScanParallel({
 *   structure: 'diagonal', batch: 1, length: 3, size: 1,
 *   a: { data: new Float64Array([0.9, 0.9, 0.9]) }, b: { data: new Float64Array(3) },
 *   y: { data: new Float64Array([1, 1, 1]) }, processVariance: 1, observationVariance: 0.5,
 *   smooth: true, out: { data: out },
 * });
 * ```
 */
export function kalmanScanParallel(args: KalmanScanArgs): ScanReport {
  const r = resolveKalmanArgs(args);
  let finite = true;
  for (let kb = 0; kb < r.batch; kb++)
    finite = (r.structure === 'dense' ? denseOne(r, kb) : diagonalOne(r, kb)) && finite;
  return { finite };
}
