/**
 * The matrix exponential by scaling and squaring with a diagonal [6/6] Padé approximant, and the
 * scalar exponential-integrator functions φ₁, φ₂ used by the diagonal (quasi-DEER) ODE discretisation.
 */
import { luFactorInPlace, luSolveInPlace } from '@antler/scan';

/** Padé [6/6] coefficients c_k = (12−k)! 6! / (12! k! (6−k)!). */
const PADE6 = [1, 1 / 2, 5 / 44, 1 / 66, 1 / 792, 1 / 15840, 1 / 665280];
/** ‖X‖₁ bound after scaling: [6/6] Padé has backward error below float64 round-off there (Higham 2005). */
const THETA6 = 0.5;

/** Scratch buffers of {@link expmInto} for n×n matrices (reuse across calls to avoid allocation). */
export interface ExpmWorkspace {
  readonly size: number;
  readonly x: Float64Array;
  readonly x2: Float64Array;
  readonly x4: Float64Array;
  readonly u: Float64Array;
  readonly v: Float64Array;
  readonly tmp: Float64Array;
  readonly piv: Int32Array;
}

/** Allocates an {@link ExpmWorkspace} for n×n matrices. */
export function createExpmWorkspace(size: number): ExpmWorkspace {
  const m = size * size;
  return {
    size,
    x: new Float64Array(m),
    x2: new Float64Array(m),
    x4: new Float64Array(m),
    u: new Float64Array(m),
    v: new Float64Array(m),
    tmp: new Float64Array(m),
    piv: new Int32Array(size),
  };
}

function matmul(n: number, a: Float64Array, b: Float64Array, out: Float64Array): void {
  out.fill(0, 0, n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k];
      if (aik === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] += aik * b[k * n + j];
    }
  }
}

/**
 * Writes e^A for the row-major n×n matrix `a[aOffset …]` to `out[outOffset …]` (n² values), using
 * scaling and squaring with a [6/6] Padé approximant (`ws` from {@link createExpmWorkspace}). Returns
 * false when A or the result is not finite.
 *
 * @example
 * ```ts
 * import { createExpmWorkspace, expmInto } from '@antler/solvers';
 * const out = new Float64Array(4);
 * // exp([[0, θ], [−θ, 0]]) is the rotation [[cos θ, sin θ], [−sin θ, cos θ]].
 * expmInto(2, new Float64Array([0, 1, -1, 0]), 0, out, 0, createExpmWorkspace(2));
 * // out ≈ [0.5403, 0.8415, -0.8415, 0.5403]
 * ```
 */
export function expmInto(
  n: number,
  a: ArrayLike<number>,
  aOffset: number,
  out: Float64Array | Float32Array,
  outOffset: number,
  ws: ExpmWorkspace,
): boolean {
  const { x, x2, x4, u, v, tmp, piv } = ws;
  const nn = n * n;
  // ‖A‖₁ (max column sum) picks the number of squarings.
  let norm = 0;
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.abs(a[aOffset + i * n + j]);
    if (s > norm) norm = s;
  }
  if (!Number.isFinite(norm)) return false;
  const squarings = norm > THETA6 ? Math.ceil(Math.log2(norm / THETA6)) : 0;
  const scale = 2 ** -squarings;
  for (let i = 0; i < nn; i++) x[i] = a[aOffset + i] * scale;
  matmul(n, x, x, x2);
  matmul(n, x2, x2, x4);
  const [c0, c1, c2, c3, c4, c5, c6] = PADE6;
  // tmp = c1 I + c3 X² + c5 X⁴; U = X·tmp;  V = c0 I + c2 X² + c4 X⁴ + c6 X⁶.
  for (let i = 0; i < nn; i++) tmp[i] = c3 * x2[i] + c5 * x4[i];
  for (let i = 0; i < n; i++) tmp[i * n + i] += c1;
  matmul(n, x, tmp, u);
  matmul(n, x4, x2, v); // X⁶
  for (let i = 0; i < nn; i++) v[i] = c6 * v[i] + c4 * x4[i] + c2 * x2[i];
  for (let i = 0; i < n; i++) v[i * n + i] += c0;
  // R = (V − U)⁻¹ (V + U).
  for (let i = 0; i < nn; i++) {
    const vi = v[i];
    const ui = u[i];
    x[i] = vi - ui;
    tmp[i] = vi + ui;
  }
  if (!luFactorInPlace(n, x, 0, piv)) return false;
  luSolveInPlace(n, x, 0, piv, tmp, 0, n);
  for (let s = 0; s < squarings; s++) {
    matmul(n, tmp, tmp, x2);
    tmp.set(x2.subarray(0, nn));
  }
  let finite = true;
  for (let i = 0; i < nn; i++) {
    const r = tmp[i];
    if (r - r !== 0) finite = false;
    out[outOffset + i] = r;
  }
  return finite;
}

/** Allocating wrapper of {@link expmInto}: e^A for a row-major n×n `a`. */
export function expm(n: number, a: ArrayLike<number>): Float64Array {
  const out = new Float64Array(n * n);
  if (!expmInto(n, a, 0, out, 0, createExpmWorkspace(n))) out.fill(Number.NaN);
  return out;
}

/** φ₁(z) = (e^z − 1)/z, accurate near 0 (Taylor series for |z| < 1e-5, `expm1` elsewhere). */
export function phi1(z: number): number {
  if (Math.abs(z) < 1e-5) return 1 + z / 2 + (z * z) / 6;
  return Math.expm1(z) / z;
}

/** φ₂(z) = (e^z − 1 − z)/z², accurate near 0 (Taylor series for |z| < 0.1). */
export function phi2(z: number): number {
  if (Math.abs(z) < 0.1) {
    // Σ z^k/(k+2)! up to k = 8: truncation below 0.1⁹/11! ≈ 2.5e-17.
    let term = 0.5;
    let sum = 0.5;
    for (let k = 1; k <= 8; k++) {
      term *= z / (k + 2);
      sum += term;
    }
    return sum;
  }
  return (Math.expm1(z) - z) / (z * z);
}
