/**
 * The discretisations DEER uses on one interval [t_i, t_{i+1}] of the linearised ODE
 * dy/dt = J(t) y + h(t), h = f(ŷ) − J ŷ along the current guess ŷ:
 *
 *   J(t) ≈ J̄ = (J_i + J_{i+1})/2 (constant), h(t) ≈ linear between h_i and h_{i+1},
 *   y_{i+1} = e^{J̄Δ} y_i + Δ [ (φ₁ − φ₂)(J̄Δ) h_i + φ₂(J̄Δ) h_{i+1} ]   (exponential trapezoidal rule).
 *
 * The matrix exponential and the φ-terms are exact (one scaling-and-squaring Padé exponential of the
 * (n+2)×(n+2) augmented matrix [[J̄Δ, Δh_i, Δ(h_{i+1}−h_i)], [0, 0, 0], [0, 1, 0]]), so linear
 * constant-coefficient systems are solved exactly at any step, and the scheme at the Newton fixed point
 * has global order 2 in Δ (measured in the tests), with no stability limit from ‖JΔ‖.
 *
 * The order-4 variant ({@link denseHermiteOperator}) keeps the same exact exponential e^{J̄Δ} but writes
 * the ODE as y' = J̄ y + g(t), g = f(y) − J̄ y, and integrates the cubic Hermite interpolant of g built
 * from g and g' = (J − J̄) f + df/dt at both ends exactly (variation of constants with one exponential of
 * an (n+4)×(n+4) augmented matrix). At the Newton fixed point this is a fourth-order exponential
 * integrator for any choice of J̄; the mean Jacobian keeps the iteration close to Newton's.
 */
import type { FloatArray } from '@antler/core';
import { type ExpmWorkspace, expmInto, phi1, phi2 } from './expm.js';

/** Scratch of {@link denseIntervalOperator}: the augmented matrix and its exponential. */
export interface IntervalWorkspace {
  readonly expm: ExpmWorkspace;
  readonly augmented: Float64Array;
  readonly exponential: Float64Array;
}

/**
 * Writes A = e^{J̄Δ} (n×n, row-major) to `a[ao …]` and b to `b[bo …]` for one interval; `jacI`/`jacJ`
 * are the dense Jacobians at both ends, `hI`/`hJ` the forcing values. Returns false on non-finite values.
 */
export function denseIntervalOperator(
  n: number,
  dt: number,
  jac: Float64Array,
  jacI: number,
  jacJ: number,
  h: Float64Array,
  hI: number,
  hJ: number,
  a: FloatArray,
  ao: number,
  b: FloatArray,
  bo: number,
  ws: IntervalWorkspace,
): boolean {
  const N = n + 2;
  const k = ws.augmented;
  k.fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) k[i * N + j] = 0.5 * dt * (jac[jacI + i * n + j] + jac[jacJ + i * n + j]);
    k[i * N + n] = dt * h[hI + i];
    k[i * N + n + 1] = dt * (h[hJ + i] - h[hI + i]);
  }
  k[(n + 1) * N + n] = 1;
  const ok = expmInto(N, k, 0, ws.exponential, 0, ws.expm);
  const e = ws.exponential;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) a[ao + i * n + j] = e[i * N + j];
    b[bo + i] = e[i * N + n];
  }
  return ok;
}

/**
 * The diagonal (quasi-DEER) version of {@link denseIntervalOperator}: with d̄ = (d_i + d_{i+1})/2 and
 * z = d̄Δ per component, a = e^z and b = Δ[(φ₁(z) − φ₂(z)) h_i + φ₂(z) h_{i+1}].
 */
export function diagonalIntervalOperator(
  n: number,
  dt: number,
  diag: Float64Array,
  dI: number,
  dJ: number,
  h: Float64Array,
  hI: number,
  hJ: number,
  a: FloatArray,
  ao: number,
  b: FloatArray,
  bo: number,
): boolean {
  let ok = true;
  for (let i = 0; i < n; i++) {
    const z = 0.5 * dt * (diag[dI + i] + diag[dJ + i]);
    const p1 = phi1(z);
    const p2 = phi2(z);
    const ai = Math.exp(z);
    const bi = dt * ((p1 - p2) * h[hI + i] + p2 * h[hJ + i]);
    if (ai - ai !== 0 || bi - bi !== 0) ok = false;
    a[ao + i] = ai;
    b[bo + i] = bi;
  }
  return ok;
}

/**
 * Order-4 operator of one interval (see the file comment): writes A = e^{J̄Δ} and b so that
 * y_{i+1} = A y_i + b, from the values f, the dense Jacobians, the total time derivatives `ft` and the
 * current iterate `y` at both ends (offsets `i0`/`i1` into the `[T][n]` arrays, `j0`/`j1` into `jac`).
 */
export function denseHermiteOperator(
  n: number,
  dt: number,
  y: Float64Array,
  f: Float64Array,
  ft: Float64Array,
  i0: number,
  i1: number,
  jac: Float64Array,
  j0: number,
  j1: number,
  a: FloatArray,
  ao: number,
  b: FloatArray,
  bo: number,
  ws: IntervalWorkspace,
): boolean {
  const N = n + 4;
  const k = ws.augmented;
  k.fill(0);
  for (let i = 0; i < n; i++) {
    let g0 = f[i0 + i];
    let g1 = f[i1 + i];
    let d0 = ft[i0 + i];
    let d1 = ft[i1 + i];
    for (let j = 0; j < n; j++) {
      const jb0 = jac[j0 + i * n + j];
      const jb1 = jac[j1 + i * n + j];
      const mean = 0.5 * (jb0 + jb1);
      k[i * N + j] = dt * mean;
      g0 -= mean * y[i0 + j];
      g1 -= mean * y[i1 + j];
      d0 += (jb0 - mean) * f[i0 + j];
      d1 += (jb1 - mean) * f[i1 + j];
    }
    // Hermite cubic in τ ∈ [0, 1]: c0 + c1 τ + c2 τ² + c3 τ³, entered against (1, τ, τ²/2, τ³/6).
    const c1 = dt * d0;
    const c2 = -3 * g0 - 2 * dt * d0 + 3 * g1 - dt * d1;
    const c3 = 2 * g0 + dt * d0 - 2 * g1 + dt * d1;
    k[i * N + n] = dt * g0;
    k[i * N + n + 1] = dt * c1;
    k[i * N + n + 2] = 2 * dt * c2;
    k[i * N + n + 3] = 6 * dt * c3;
  }
  k[(n + 1) * N + n] = 1;
  k[(n + 2) * N + n + 1] = 1;
  k[(n + 3) * N + n + 2] = 1;
  const ok = expmInto(N, k, 0, ws.exponential, 0, ws.expm);
  const e = ws.exponential;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) a[ao + i * n + j] = e[i * N + j];
    b[bo + i] = e[i * N + n];
  }
  return ok;
}
