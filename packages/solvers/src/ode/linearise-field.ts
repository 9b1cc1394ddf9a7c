/**
 * Evaluates a vector field and its Jacobian (dense or diagonal) at every point of a trajectory, with a
 * central-difference fallback when the field has no analytic Jacobian of that structure.
 */
import type { FloatArray } from '@antler/core';
import type { VectorField } from './vector-field.js';

/** Which Jacobian a linearisation used: the field's own, or central finite differences. */
export type JacobianSource = 'analytic' | 'finite-difference';

/** Central-difference step for component value v: ∛ε·max(1, |v|) balances truncation and round-off. */
function fdStep(v: number): number {
  return 6.055454452393343e-6 * Math.max(1, Math.abs(v));
}

/**
 * Writes f(y_t, x_t, t) to `f[t*n …]` and ∂f/∂y to `jac[t*n*n …]` (dense) or its diagonal to
 * `jac[t*n …]` for every t of `times`. `y` is `[T][n]`, `inputs` `[T][m]`.
 */
export function lineariseTrajectory(
  field: VectorField,
  structure: 'dense' | 'diagonal',
  times: Float64Array,
  y: Float64Array,
  inputs: FloatArray,
  f: Float64Array,
  jac: Float64Array,
): JacobianSource {
  const n = field.stateSize;
  const m = field.inputSize;
  const T = times.length;
  const step = structure === 'dense' ? n * n : n;
  if (structure === 'diagonal' && field.diagonalJacobian) {
    for (let t = 0; t < T; t++)
      field.diagonalJacobian(y, t * n, inputs, t * m, times[t], f, t * n, jac, t * n);
    return 'analytic';
  }
  if (field.denseJacobian) {
    if (structure === 'dense') {
      for (let t = 0; t < T; t++)
        field.denseJacobian(y, t * n, inputs, t * m, times[t], f, t * n, jac, t * step);
      return 'analytic';
    }
    const full = new Float64Array(n * n);
    for (let t = 0; t < T; t++) {
      field.denseJacobian(y, t * n, inputs, t * m, times[t], f, t * n, full, 0);
      for (let i = 0; i < n; i++) jac[t * n + i] = full[i * n + i];
    }
    return 'analytic';
  }
  const yp = new Float64Array(n);
  const fp = new Float64Array(n);
  const fm = new Float64Array(n);
  for (let t = 0; t < T; t++) {
    field.evaluate(y, t * n, inputs, t * m, times[t], f, t * n);
    for (let i = 0; i < n; i++) yp[i] = y[t * n + i];
    for (let j = 0; j < n; j++) {
      const hj = fdStep(yp[j]);
      const orig = yp[j];
      yp[j] = orig + hj;
      field.evaluate(yp, 0, inputs, t * m, times[t], fp, 0);
      yp[j] = orig - hj;
      field.evaluate(yp, 0, inputs, t * m, times[t], fm, 0);
      yp[j] = orig;
      if (structure === 'dense') {
        for (let i = 0; i < n; i++) jac[t * step + i * n + j] = (fp[i] - fm[i]) / (2 * hj);
      } else {
        jac[t * n + j] = (fp[j] - fm[j]) / (2 * hj);
      }
    }
  }
  return 'finite-difference';
}
