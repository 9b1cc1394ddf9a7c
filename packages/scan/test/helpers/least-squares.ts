/**
 * Independent brute-force references for the Kalman scans: the smoother mean is the minimiser of
 * Σ_t ‖s_t − A_t s_{t−1} − b_t‖²/q + Σ_t ‖s_t − y_t‖²/r (s_{−1} = s0 fixed), solved here through dense
 * normal equations with Gaussian elimination; the filter mean at t is the last block of the same problem
 * truncated to steps 0…t.
 */

/** Solves the dense system M x = v (M is m×m row-major) by Gaussian elimination with partial pivoting. */
export function solveDense(m: number, matrix: Float64Array, rhs: Float64Array): Float64Array {
  const M = Float64Array.from(matrix);
  const x = Float64Array.from(rhs);
  for (let c = 0; c < m; c++) {
    let piv = c;
    for (let r = c + 1; r < m; r++) if (Math.abs(M[r * m + c]) > Math.abs(M[piv * m + c])) piv = r;
    if (piv !== c) {
      for (let k = 0; k < m; k++) {
        const t = M[c * m + k];
        M[c * m + k] = M[piv * m + k];
        M[piv * m + k] = t;
      }
      const t = x[c];
      x[c] = x[piv];
      x[piv] = t;
    }
    for (let r = c + 1; r < m; r++) {
      const f = M[r * m + c] / M[c * m + c];
      if (f === 0) continue;
      for (let k = c; k < m; k++) M[r * m + k] -= f * M[c * m + k];
      x[r] -= f * x[c];
    }
  }
  for (let r = m - 1; r >= 0; r--) {
    let s = x[r];
    for (let k = r + 1; k < m; k++) s -= M[r * m + k] * x[k];
    x[r] = s / M[r * m + r];
  }
  return x;
}

/** One sequence of the linear-Gaussian model, contiguous, float64: a is `[T][n][n]` (dense). */
export interface LsProblem {
  length: number;
  size: number;
  /** Dense `[T][n][n]` dynamics (expand a diagonal problem before calling). */
  a: ArrayLike<number>;
  b: ArrayLike<number>;
  y: ArrayLike<number>;
  s0: ArrayLike<number> | null;
  q: number;
  r: number;
}

/** Minimiser of the least-squares objective over steps 0 … `steps` − 1, as `[steps][n]`. */
export function leastSquaresMeans(p: LsProblem, steps = p.length): Float64Array {
  const n = p.size;
  const m = steps * n;
  const H = new Float64Array(m * m);
  const g = new Float64Array(m);
  const iq = 1 / p.q;
  const ir = 1 / p.r;
  // Dynamics residual e_t = s_t − A_t s_{t−1} − c_t, with c_0 = b_0 + A_0 s0 and c_t = b_t.
  for (let t = 0; t < steps; t++) {
    const c = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      c[i] = p.b[t * n + i];
      if (t === 0 && p.s0) for (let j = 0; j < n; j++) c[i] += p.a[i * n + j] * p.s0[j];
    }
    // Row block of D for e_t: +I at column block t, −A_t at column block t−1.
    const cols: { block: number; mat: (i: number, j: number) => number }[] = [
      { block: t, mat: (i, j) => (i === j ? 1 : 0) },
    ];
    if (t > 0) cols.push({ block: t - 1, mat: (i, j) => -p.a[t * n * n + i * n + j] });
    for (const u of cols) {
      for (const v of cols) {
        for (let j = 0; j < n; j++) {
          for (let k = 0; k < n; k++) {
            let s = 0;
            for (let i = 0; i < n; i++) s += u.mat(i, j) * v.mat(i, k);
            H[(u.block * n + j) * m + v.block * n + k] += iq * s;
          }
        }
      }
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += u.mat(i, j) * c[i];
        g[u.block * n + j] += iq * s;
      }
    }
    for (let i = 0; i < n; i++) {
      H[(t * n + i) * m + t * n + i] += ir;
      g[t * n + i] += ir * p.y[t * n + i];
    }
  }
  return solveDense(m, H, g);
}

/** Filter means: for each t the last block of the least-squares problem truncated to steps 0 … t. */
export function filterMeansByLeastSquares(p: LsProblem): Float64Array {
  const n = p.size;
  const out = new Float64Array(p.length * n);
  for (let t = 0; t < p.length; t++) {
    const x = leastSquaresMeans(p, t + 1);
    for (let i = 0; i < n; i++) out[t * n + i] = x[t * n + i];
  }
  return out;
}

/** Expands a diagonal `[T][n]` dynamics array to dense `[T][n][n]`. */
export function diagonalToDense(length: number, size: number, a: ArrayLike<number>): Float64Array {
  const d = new Float64Array(length * size * size);
  for (let t = 0; t < length; t++)
    for (let i = 0; i < size; i++) d[t * size * size + i * size + i] = a[t * size + i];
  return d;
}
