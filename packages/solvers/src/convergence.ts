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
