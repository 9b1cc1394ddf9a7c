/** Fixed-step classical Runge–Kutta (order 4): the simplest sequential float64 baseline of `solveIVP`. */
import type { FloatArray } from '@antler/core';
import { interpolateInput } from './input-interpolation.js';
import type { VectorField } from './vector-field.js';

/**
 * Integrates dy/dt = f(y, x(t), t) with classical RK4, `substeps` equal steps per interval of `times`,
 * writing y(times[i]) to `out[i*n …]` (out[0 … n) = y0). Inputs (`[T][m]` at `times`) are linearly
 * interpolated at the stages. Returns the number of f evaluations.
 *
 * @example
 * ```ts
 * import { rk4Into } from '@antler/solvers';
 * const decay = { stateSize: 1, inputSize: 0, evaluate: (y, yo, _x, _xo, _t, o, oo) => { o[oo] = -y[yo]; } };
 * const out = new Float64Array(3);
 * rk4Into(decay, new Float64Array([1]), new Float64Array([0, 0.5, 1]), new Float64Array(0), out, 10);
 * // out ≈ [1, e^-0.5, e^-1]
 * ```
 */
export function rk4Into(
  field: VectorField,
  y0: ArrayLike<number>,
  times: Float64Array,
  inputs: ArrayLike<number>,
  out: FloatArray,
  substeps = 1,
): number {
  const n = field.stateSize;
  const m = field.inputSize;
  const T = times.length;
  const y = new Float64Array(n);
  const tmp = new Float64Array(n);
  const k1 = new Float64Array(n);
  const k2 = new Float64Array(n);
  const k3 = new Float64Array(n);
  const k4 = new Float64Array(n);
  const x = new Float64Array(m);
  for (let j = 0; j < n; j++) y[j] = y0[j];
  for (let j = 0; j < n; j++) out[j] = y[j];
  let hint = 0;
  let evals = 0;
  const f = (t: number, state: Float64Array, k: Float64Array) => {
    hint = interpolateInput(times, inputs, m, t, x, hint);
    field.evaluate(state, 0, x, 0, t, k, 0);
    evals++;
  };
  for (let i = 0; i + 1 < T; i++) {
    const h = (times[i + 1] - times[i]) / substeps;
    for (let s = 0; s < substeps; s++) {
      const t = times[i] + s * h;
      f(t, y, k1);
      for (let j = 0; j < n; j++) tmp[j] = y[j] + 0.5 * h * k1[j];
      f(t + 0.5 * h, tmp, k2);
      for (let j = 0; j < n; j++) tmp[j] = y[j] + 0.5 * h * k2[j];
      f(t + 0.5 * h, tmp, k3);
      for (let j = 0; j < n; j++) tmp[j] = y[j] + h * k3[j];
      f(t + h, tmp, k4);
      for (let j = 0; j < n; j++) y[j] += (h / 6) * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
    }
    for (let j = 0; j < n; j++) out[(i + 1) * n + j] = y[j];
  }
  return evals;
}
