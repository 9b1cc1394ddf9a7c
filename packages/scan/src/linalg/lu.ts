/** LU factorisation with partial pivoting on flat row-major float64 scratch (allocation-free). */

/**
 * Factorises the n×n matrix at `m[off …]` in place (L unit-lower and U share the storage); the row
 * permutation goes to `piv[0 … n)`. Returns false when a pivot is zero or not finite.
 */
export function luFactorInPlace(n: number, m: Float64Array, off: number, piv: Int32Array): boolean {
  for (let c = 0; c < n; c++) {
    let p = c;
    let best = Math.abs(m[off + c * n + c]);
    for (let r = c + 1; r < n; r++) {
      const v = Math.abs(m[off + r * n + c]);
      if (v > best) {
        best = v;
        p = r;
      }
    }
    piv[c] = p;
    if (!(best > 0) || best === Number.POSITIVE_INFINITY) return false;
    if (p !== c) {
      for (let k = 0; k < n; k++) {
        const t = m[off + c * n + k];
        m[off + c * n + k] = m[off + p * n + k];
        m[off + p * n + k] = t;
      }
    }
    const inv = 1 / m[off + c * n + c];
    for (let r = c + 1; r < n; r++) {
      const f = m[off + r * n + c] * inv;
      m[off + r * n + c] = f;
      if (f === 0) continue;
      for (let k = c + 1; k < n; k++) m[off + r * n + k] -= f * m[off + c * n + k];
    }
  }
  return true;
}

/**
 * Solves (LU) X = B in place for the n×`cols` row-major right-hand side at `x[xo …]`, with the factors
 * from {@link luFactorInPlace}.
 */
export function luSolveInPlace(
  n: number,
  lu: Float64Array,
  lo: number,
  piv: Int32Array,
  x: Float64Array,
  xo: number,
  cols: number,
): void {
  for (let c = 0; c < n; c++) {
    const p = piv[c];
    if (p !== c) {
      for (let k = 0; k < cols; k++) {
        const t = x[xo + c * cols + k];
        x[xo + c * cols + k] = x[xo + p * cols + k];
        x[xo + p * cols + k] = t;
      }
    }
  }
  for (let r = 1; r < n; r++) {
    for (let c = 0; c < r; c++) {
      const f = lu[lo + r * n + c];
      if (f === 0) continue;
      for (let k = 0; k < cols; k++) x[xo + r * cols + k] -= f * x[xo + c * cols + k];
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    for (let c = r + 1; c < n; c++) {
      const f = lu[lo + r * n + c];
      if (f === 0) continue;
      for (let k = 0; k < cols; k++) x[xo + r * cols + k] -= f * x[xo + c * cols + k];
    }
    const inv = 1 / lu[lo + r * n + r];
    for (let k = 0; k < cols; k++) x[xo + r * cols + k] *= inv;
  }
}
