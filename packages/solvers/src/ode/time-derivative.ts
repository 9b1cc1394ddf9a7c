/**
 * Total time derivatives d f(y, x(t), t)/dt at fixed y along a trajectory's output times: the partial
 * ∂f/∂t (the field's own, or central differences in t unless the field declares itself autonomous) plus
 * ∂f/∂x · dx/dt, with dx/dt the central slope of the sampled inputs (one-sided at the ends).
 */
import type { FloatArray } from '@antler/core';
import type { VectorField } from './vector-field.js';

/**
 * Writes ∂f/∂t + ∂f/∂x·ẋ at (y_t, x_t, times[t]) to `out[t*n …]` for every t. Returns the number of
 * extra vector-field evaluations spent on finite differences.
 */
export function timeDerivatives(
  field: VectorField,
  times: Float64Array,
  y: Float64Array,
  inputs: FloatArray,
  out: Float64Array,
): number {
  const n = field.stateSize;
  const m = field.inputSize;
  const T = times.length;
  const fp = new Float64Array(n);
  const fm = new Float64Array(n);
  const xs = new Float64Array(m);
  const xp = new Float64Array(m);
  const xm = new Float64Array(m);
  let evals = 0;
  for (let t = 0; t < T; t++) {
    const tt = times[t];
    if (field.timeDerivative) field.timeDerivative(y, t * n, inputs, t * m, tt, out, t * n);
    else if (field.autonomous) out.fill(0, t * n, (t + 1) * n);
    else {
      const e = 6.055454452393343e-6 * Math.max(1, Math.abs(tt));
      field.evaluate(y, t * n, inputs, t * m, tt + e, fp, 0);
      field.evaluate(y, t * n, inputs, t * m, tt - e, fm, 0);
      evals += 2;
      for (let i = 0; i < n; i++) out[t * n + i] = (fp[i] - fm[i]) / (2 * e);
    }
    if (m === 0 || T < 2) continue;
    // ẋ at the node: central slope inside, one-sided at the ends.
    const lo = Math.max(0, t - 1);
    const hi = Math.min(T - 1, t + 1);
    const span = times[hi] - times[lo];
    let scale = 0;
    for (let k = 0; k < m; k++) {
      const slope = (inputs[hi * m + k] - inputs[lo * m + k]) / span;
      xs[k] = slope;
      scale = Math.max(scale, Math.abs(inputs[t * m + k]));
    }
    const e = 6.055454452393343e-6 * Math.max(1, scale);
    for (let k = 0; k < m; k++) {
      xp[k] = inputs[t * m + k] + e * xs[k];
      xm[k] = inputs[t * m + k] - e * xs[k];
    }
    field.evaluate(y, t * n, xp, 0, tt, fp, 0);
    field.evaluate(y, t * n, xm, 0, tt, fm, 0);
    evals += 2;
    for (let i = 0; i < n; i++) out[t * n + i] += (fp[i] - fm[i]) / (2 * e);
  }
  return evals;
}
