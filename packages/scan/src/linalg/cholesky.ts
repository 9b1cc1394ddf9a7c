/**
 * Small dense linear algebra on flat row-major float64 scratch: the symmetric positive-definite solves
 * the Kalman filter and smoother need. Allocation-free, `(array, offset)` form.
 */

/**
 * In-place Cholesky factorisation of the n×n symmetric positive-definite matrix at `m[off …]`: the lower
 * factor L (with S = L Lᵀ) overwrites the lower triangle; the strict upper triangle is left untouched.
 * Returns false when a pivot is not positive (S is not numerically positive definite) or not finite.
 */
export function choleskyInPlace(n: number, m: Float64Array, off: number): boolean {
  for (let j = 0; j < n; j++) {
    const rj = off + j * n;
    let d = m[rj + j];
    for (let k = 0; k < j; k++) d -= m[rj + k] * m[rj + k];
    // `!(d > 0)` also catches NaN.
    if (!(d > 0) || d === Number.POSITIVE_INFINITY) return false;
    const ljj = Math.sqrt(d);
    m[rj + j] = ljj;
    const inv = 1 / ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = off + i * n;
      let s = m[ri + j];
      for (let k = 0; k < j; k++) s -= m[ri + k] * m[rj + k];
      m[ri + j] = s * inv;
    }
  }
  return true;
}

/**
 * Solves (L Lᵀ) x = v in place for one vector `v[vo … vo+n)`, with L the lower factor written by
 * {@link choleskyInPlace} at `l[lo …]`.
 */
export function choleskySolveVector(
  n: number,
  l: Float64Array,
  lo: number,
  v: Float64Array,
  vo: number,
): void {
  // Forward substitution L z = v.
  for (let i = 0; i < n; i++) {
    const ri = lo + i * n;
    let s = v[vo + i];
    for (let k = 0; k < i; k++) s -= l[ri + k] * v[vo + k];
    v[vo + i] = s / l[ri + i];
  }
  // Back substitution Lᵀ x = z.
  for (let i = n - 1; i >= 0; i--) {
    let s = v[vo + i];
    for (let k = i + 1; k < n; k++) s -= l[lo + k * n + i] * v[vo + k];
    v[vo + i] = s / l[lo + i * n + i];
  }
}

/**
 * Solves (L Lᵀ) X = M in place for the n×n row-major matrix M at `x[xo …]` (every column at once).
 */
export function choleskySolveMatrix(
  n: number,
  l: Float64Array,
  lo: number,
  x: Float64Array,
  xo: number,
): void {
  for (let i = 0; i < n; i++) {
    const ri = lo + i * n;
    const xi = xo + i * n;
    for (let k = 0; k < i; k++) {
      const lik = l[ri + k];
      if (lik === 0) continue;
      const xk = xo + k * n;
      for (let c = 0; c < n; c++) x[xi + c] -= lik * x[xk + c];
    }
    const inv = 1 / l[ri + i];
    for (let c = 0; c < n; c++) x[xi + c] *= inv;
  }
  for (let i = n - 1; i >= 0; i--) {
    const xi = xo + i * n;
    for (let k = i + 1; k < n; k++) {
      const lki = l[lo + k * n + i];
      if (lki === 0) continue;
      const xk = xo + k * n;
      for (let c = 0; c < n; c++) x[xi + c] -= lki * x[xk + c];
    }
    const inv = 1 / l[lo + i * n + i];
    for (let c = 0; c < n; c++) x[xi + c] *= inv;
  }
}
