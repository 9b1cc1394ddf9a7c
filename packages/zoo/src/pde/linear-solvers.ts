/**
 * The inner linear solvers of the implicit PDE steps: banded LU without pivoting (tridiagonal when the
 * half-bandwidth is 1 — the Thomas algorithm; 1-D systems of c fields and 2-D grids in natural ordering
 * are banded too), and dense LU with partial pivoting for periodic grids (wrap-around entries) or when a
 * band pivot is too small.
 */

/** Banded storage of an n×n matrix with half-bandwidth p: A[i][j] at `band[i·(2p+1) + (j − i + p)]`. */
export interface BandedMatrix {
  readonly size: number;
  readonly halfBandwidth: number;
  readonly band: Float64Array;
}

/** Allocates a zero banded matrix. */
export function createBanded(size: number, halfBandwidth: number): BandedMatrix {
  return { size, halfBandwidth, band: new Float64Array(size * (2 * halfBandwidth + 1)) };
}

/**
 * Factorises in place (A = LU, no pivoting, fill stays inside the band). Returns false when a pivot is
 * below 1e-12 times the largest entry of its row (then use the dense pivoted solver).
 */
export function bandedFactor(m: BandedMatrix): boolean {
  const { size: n, halfBandwidth: p, band } = m;
  const w = 2 * p + 1;
  for (let k = 0; k < n; k++) {
    const pivot = band[k * w + p];
    let rowMax = 0;
    for (let j = 0; j < w; j++) rowMax = Math.max(rowMax, Math.abs(band[k * w + j]));
    if (!(Math.abs(pivot) > 1e-12 * rowMax)) return false;
    const last = Math.min(n - 1, k + p);
    for (let i = k + 1; i <= last; i++) {
      const lik = band[i * w + (k - i + p)] / pivot;
      band[i * w + (k - i + p)] = lik;
      if (lik === 0) continue;
      for (let j = k + 1; j <= last; j++) band[i * w + (j - i + p)] -= lik * band[k * w + (j - k + p)];
    }
  }
  return true;
}

/** Solves (LU) x = b in place for one vector `x[xo …]` (stride `xs` between elements). */
export function bandedSolve(m: BandedMatrix, x: Float64Array, xo = 0, xs = 1): void {
  const { size: n, halfBandwidth: p, band } = m;
  const w = 2 * p + 1;
  for (let i = 1; i < n; i++) {
    let s = x[xo + i * xs];
    for (let k = Math.max(0, i - p); k < i; k++) s -= band[i * w + (k - i + p)] * x[xo + k * xs];
    x[xo + i * xs] = s;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[xo + i * xs];
    const last = Math.min(n - 1, i + p);
    for (let j = i + 1; j <= last; j++) s -= band[i * w + (j - i + p)] * x[xo + j * xs];
    x[xo + i * xs] = s / band[i * w + p];
  }
}

/** Factorises the dense row-major n×n `a` in place with partial pivoting; false when singular. */
export function denseFactor(n: number, a: Float64Array, piv: Int32Array): boolean {
  for (let c = 0; c < n; c++) {
    let p = c;
    let best = Math.abs(a[c * n + c]);
    for (let r = c + 1; r < n; r++) {
      const v = Math.abs(a[r * n + c]);
      if (v > best) {
        best = v;
        p = r;
      }
    }
    piv[c] = p;
    if (!(best > 0) || !Number.isFinite(best)) return false;
    if (p !== c) {
      for (let k = 0; k < n; k++) {
        const t = a[c * n + k];
        a[c * n + k] = a[p * n + k];
        a[p * n + k] = t;
      }
    }
    const inv = 1 / a[c * n + c];
    for (let r = c + 1; r < n; r++) {
      const f = a[r * n + c] * inv;
      a[r * n + c] = f;
      if (f === 0) continue;
      for (let k = c + 1; k < n; k++) a[r * n + k] -= f * a[c * n + k];
    }
  }
  return true;
}

/** Solves with the factors of {@link denseFactor} for one vector `x[xo …]` (stride `xs`), in place. */
export function denseSolve(
  n: number,
  lu: Float64Array,
  piv: Int32Array,
  x: Float64Array,
  xo = 0,
  xs = 1,
): void {
  for (let c = 0; c < n; c++) {
    const p = piv[c];
    if (p !== c) {
      const t = x[xo + c * xs];
      x[xo + c * xs] = x[xo + p * xs];
      x[xo + p * xs] = t;
    }
  }
  for (let r = 1; r < n; r++) {
    let s = x[xo + r * xs];
    for (let c = 0; c < r; c++) s -= lu[r * n + c] * x[xo + c * xs];
    x[xo + r * xs] = s;
  }
  for (let r = n - 1; r >= 0; r--) {
    let s = x[xo + r * xs];
    for (let c = r + 1; c < n; c++) s -= lu[r * n + c] * x[xo + c * xs];
    x[xo + r * xs] = s / lu[r * n + r];
  }
}
