/**
 * The stopping rule: a sequence has converged when every residual r_t = s_t − f(s_{t−1}, x_t) satisfies
 * |r_t,i| ≤ atol + rtol·|s_t,i| AND the step that produced the iterate, s^k − s^{k−1}, satisfies the same
 * bound. Neither alone decides: a damped step can be tiny far from the solution, and a small residual
 * can hide a large error where the dynamics amplify it (the Newton step is the linearised error estimate
 * that accounts for that). The step test lives in the solver loop; this module holds the residual test.
 */
import type { FloatArray } from '@antler/core';

/** Residual statistics of one sequence. */
export interface ResidualStats {
  /** max |r_t,i| (NaN when any value is non-finite). */
  maxResidual: number;
  /** Σ r_t,i² (NaN when any value is non-finite). */
  sumSquares: number;
  /** Every entry meets the tolerance. */
  converged: boolean;
  /** All residuals are finite. */
  finite: boolean;
}

/**
 * Residual of one sequence: states `s[so …]` (T·n values) against f values `f[fo …]`, computed in double.
 */
export function residualStats(
  s: FloatArray,
  so: number,
  f: FloatArray,
  fo: number,
  count: number,
  atol: number,
  rtol: number,
): ResidualStats {
  let max = 0;
  let sum = 0;
  let ok = true;
  let finite = true;
  for (let i = 0; i < count; i++) {
    const v = s[so + i];
    const r = v - f[fo + i];
    const a = Math.abs(r);
    if (!(a <= Number.MAX_VALUE)) {
      finite = false;
      ok = false;
      continue;
    }
    if (a > max) max = a;
    sum += r * r;
    if (a > atol + rtol * Math.abs(v)) ok = false;
  }
  return finite
    ? { maxResidual: max, sumSquares: sum, converged: ok, finite }
    : { maxResidual: Number.NaN, sumSquares: Number.NaN, converged: false, finite };
}

/** Default absolute and relative tolerances per dtype (the core documentation's values). */
export function defaultTolerances(dtype: 'float64' | 'float32'): { atol: number; rtol: number } {
  return dtype === 'float64' ? { atol: 1e-6, rtol: 1e-4 } : { atol: 1e-4, rtol: 1e-3 };
}

/** A cell's step function, `step(h, ho, x, xo, out, oo)`. */
export type StepFunction = (
  h: FloatArray,
  ho: number,
  x: FloatArray,
  xo: number,
  out: FloatArray,
  oo: number,
) => void;

/**
 * One-sided finite-difference Jacobian–vector product J v ≈ (f(h + εv) − f(h)) / ε into `out`, reusing
 * the already evaluated f(h) (`f` at `fo`): one step evaluation instead of central differences' two.
 * `shifted` is scratch of size n; the caller chooses ε.
 */
export function forwardDifferenceJvp(
  step: StepFunction,
  h: FloatArray,
  ho: number,
  x: FloatArray,
  xo: number,
  f: Float64Array,
  fo: number,
  v: ArrayLike<number>,
  eps: number,
  shifted: Float64Array,
  out: Float64Array,
): void {
  const n = shifted.length;
  for (let i = 0; i < n; i++) shifted[i] = h[ho + i] + eps * v[i];
  step(shifted, 0, x, xo, out, 0);
  for (let i = 0; i < n; i++) out[i] = (out[i] - f[fo + i]) / eps;
}

/** Scratch of {@link newtonCorrectionWithinTolerance}: three vectors of n doubles. */
export interface NewtonCorrectionScratch {
  readonly delta: Float64Array;
  readonly shifted: Float64Array;
  readonly out: Float64Array;
}

/** Allocates the scratch of {@link newtonCorrectionWithinTolerance} for state size n. */
export function createNewtonCorrectionScratch(size: number): NewtonCorrectionScratch {
  return { delta: new Float64Array(size), shifted: new Float64Array(size), out: new Float64Array(size) };
}

/**
 * The convergence certificate of methods that linearise with an approximate Jacobian (quasi-DEER,
 * quasi-ELK, block-DEER, Jacobi): the Newton correction δ = −J⁻¹ r of the iterate — its first-order error,
 * which the approximate steps do not estimate — must meet the tolerance. δ solves δ_t = J_t δ_{t−1} − r_t
 * (δ_0 = 0, s_0 is exact), swept once forward with finite-difference Jacobian–vector products
 * J_t v ≈ (f(s_{t−1} + εv) − f(s_{t−1})) / ε: T cell evaluations, like one residual evaluation. Stops at the
 * first entry over the tolerance.
 *
 * @param step - the cell's step function, `step(h, ho, x, xo, out, oo)`.
 * @param s - the iterate `[T][n]` at `so`; `f` holds f(s_{t−1}, x_t) `[T][n]` at `fo` (double).
 * @param inputs - x_t at `xo + t·m` (s_0 needs no argument: it is exact, and f already holds f(s_0, x_1)).
 * @returns true when every |δ_t,i| ≤ atol + rtol·|s_t,i|.
 */
export function newtonCorrectionWithinTolerance(
  step: StepFunction,
  s: FloatArray,
  so: number,
  f: Float64Array,
  fo: number,
  inputs: FloatArray,
  xo: number,
  length: number,
  size: number,
  inputSize: number,
  atol: number,
  rtol: number,
  scratch: NewtonCorrectionScratch = createNewtonCorrectionScratch(size),
): boolean {
  const n = size;
  const { delta, shifted, out } = scratch;
  delta.fill(0);
  for (let t = 0; t < length; t++) {
    // J_t δ_{t−1}: zero at t = 0 (s_0 is given) or when δ_{t−1} = 0.
    let dmax = 0;
    for (let i = 0; i < n; i++) dmax = Math.max(dmax, Math.abs(delta[i]));
    if (t > 0 && dmax > 0) {
      let smax = 0;
      const po = so + (t - 1) * n;
      for (let i = 0; i < n; i++) smax = Math.max(smax, Math.abs(s[po + i]));
      const eps = (1e-7 * (1 + smax)) / dmax;
      forwardDifferenceJvp(step, s, po, inputs, xo + t * inputSize, f, fo + t * n, delta, eps, shifted, out);
    } else {
      out.fill(0);
    }
    for (let i = 0; i < n; i++) {
      const v = s[so + t * n + i];
      const d = out[i] - (v - f[fo + t * n + i]);
      if (!(Math.abs(d) <= atol + rtol * Math.abs(v))) return false;
      delta[i] = d;
    }
  }
  return true;
}
