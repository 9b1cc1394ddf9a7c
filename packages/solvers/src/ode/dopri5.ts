/**
 * Adaptive Dormand–Prince 5(4) with its 4th-order continuous extension (dense output): the accurate
 * sequential float64 baseline of `solveIVP` and the reference the tests compare DEER against.
 */
import type { FloatArray } from '@antler/core';
import { interpolateInput } from './input-interpolation.js';
import type { VectorField } from './vector-field.js';

// Dormand & Prince (1980) tableau.
const C2 = 1 / 5;
const C3 = 3 / 10;
const C4 = 4 / 5;
const C5 = 8 / 9;
const A21 = 1 / 5;
const A31 = 3 / 40;
const A32 = 9 / 40;
const A41 = 44 / 45;
const A42 = -56 / 15;
const A43 = 32 / 9;
const A51 = 19372 / 6561;
const A52 = -25360 / 2187;
const A53 = 64448 / 6561;
const A54 = -212 / 729;
const A61 = 9017 / 3168;
const A62 = -355 / 33;
const A63 = 46732 / 5247;
const A64 = 49 / 176;
const A65 = -5103 / 18656;
const A71 = 35 / 384;
const A73 = 500 / 1113;
const A74 = 125 / 192;
const A75 = -2187 / 6784;
const A76 = 11 / 84;
// Error weights b − b̂ (5th minus embedded 4th order).
const E1 = 71 / 57600;
const E3 = -71 / 16695;
const E4 = 71 / 1920;
const E5 = -17253 / 339200;
const E6 = 22 / 525;
const E7 = -1 / 40;
// Continuous extension (Hairer, Nørsett & Wanner, Solving ODEs I, §II.6).
const D1 = -12715105075 / 11282082432;
const D3 = 87487479700 / 32700410799;
const D4 = -10690763975 / 1880347072;
const D5 = 701980252875 / 199316789632;
const D6 = -1453857185 / 822651844;
const D7 = 69997945 / 29380423;

/** Options of {@link dopri5Into}. */
export interface Dopri5Options {
  /** Absolute local-error tolerance; default 1e-9. */
  readonly atol?: number;
  /** Relative local-error tolerance; default 1e-9. */
  readonly rtol?: number;
  /** Initial step size (default: Hairer's starting-step heuristic). */
  readonly initialStep?: number;
  /** Largest |step|; default the whole span. */
  readonly maxStep?: number;
  /** Step limit (accepted + rejected); default 1e6. */
  readonly maxSteps?: number;
}

/** Counters of a {@link dopri5Into} run. */
export interface Dopri5Stats {
  /** Accepted steps. */
  readonly accepted: number;
  /** Rejected steps. */
  readonly rejected: number;
  /** Vector-field evaluations. */
  readonly evaluations: number;
  /** True when the integration reached the last time (false: step limit, step underflow or non-finite). */
  readonly completed: boolean;
  /** Why it stopped early, when it did. */
  readonly failure?: string;
}

/**
 * Integrates dy/dt = f(y, x(t), t) with adaptive Dormand–Prince 5(4) steps, writing y(times[i]) to
 * `out[i*n …]` through the dense output (steps are not forced onto `times`, except with inputs: those are
 * linearly interpolated at the stages, and steps end at every sample so none straddles a kink). `times`
 * must be monotone; out[0 … n) = y0.
 *
 * @example
 * ```ts
 * import { dopri5Into } from '@antler/solvers';
 * const decay = { stateSize: 1, inputSize: 0, evaluate: (y, yo, _x, _xo, _t, o, oo) => { o[oo] = -y[yo]; } };
 * const out = new Float64Array(2);
 * const stats = dopri5Into(decay, new Float64Array([1]), new Float64Array([0, 1]), new Float64Array(0), out);
 * // out[1] ≈ e^-1, stats.completed === true
 * ```
 */
export function dopri5Into(
  field: VectorField,
  y0: ArrayLike<number>,
  times: Float64Array,
  inputs: ArrayLike<number>,
  out: FloatArray,
  options: Dopri5Options = {},
): Dopri5Stats {
  const n = field.stateSize;
  const m = field.inputSize;
  const T = times.length;
  const atol = options.atol ?? 1e-9;
  const rtol = options.rtol ?? 1e-9;
  const maxSteps = options.maxSteps ?? 1_000_000;
  for (let j = 0; j < n; j++) out[j] = y0[j];
  if (T < 2) return { accepted: 0, rejected: 0, evaluations: 0, completed: true };
  const t0 = times[0];
  const tEnd = times[T - 1];
  const span = tEnd - t0;
  const dir = span >= 0 ? 1 : -1;
  const maxStep = options.maxStep ?? Math.abs(span);
  const y = new Float64Array(n);
  const y1 = new Float64Array(n);
  const tmp = new Float64Array(n);
  const k1 = new Float64Array(n);
  const k2 = new Float64Array(n);
  const k3 = new Float64Array(n);
  const k4 = new Float64Array(n);
  const k5 = new Float64Array(n);
  const k6 = new Float64Array(n);
  const k7 = new Float64Array(n);
  const r1 = new Float64Array(n);
  const r2 = new Float64Array(n);
  const r3 = new Float64Array(n);
  const r4 = new Float64Array(n);
  const x = new Float64Array(m);
  let hint = 0;
  let evals = 0;
  const f = (t: number, state: Float64Array, k: Float64Array) => {
    hint = interpolateInput(times, inputs, m, t, x, hint);
    field.evaluate(state, 0, x, 0, t, k, 0);
    evals++;
  };
  for (let j = 0; j < n; j++) y[j] = y0[j];
  let t = t0;
  f(t, y, k1);
  let h = options.initialStep !== undefined ? Math.abs(options.initialStep) : initialStep();
  h = Math.min(h, maxStep, Math.abs(span));
  let accepted = 0;
  let rejected = 0;
  let nextOut = 1;
  let errOld = 1e-4;
  let lastRejected = false;

  function initialStep(): number {
    // Hairer's heuristic: h0 from ‖y‖/‖f‖, refined by a second-derivative estimate.
    let d0 = 0;
    let d1 = 0;
    for (let j = 0; j < n; j++) {
      const sc = atol + rtol * Math.abs(y[j]);
      d0 += (y[j] / sc) ** 2;
      d1 += (k1[j] / sc) ** 2;
    }
    d0 = Math.sqrt(d0 / n);
    d1 = Math.sqrt(d1 / n);
    let h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * (d0 / d1);
    h0 = Math.min(h0, Math.abs(span));
    for (let j = 0; j < n; j++) tmp[j] = y[j] + dir * h0 * k1[j];
    f(t + dir * h0, tmp, k2);
    let d2 = 0;
    for (let j = 0; j < n; j++) d2 += ((k2[j] - k1[j]) / (atol + rtol * Math.abs(y[j]))) ** 2;
    d2 = Math.sqrt(d2 / n) / h0;
    const dm = Math.max(d1, d2);
    const h1 = dm <= 1e-15 ? Math.max(1e-6, h0 * 1e-3) : (0.01 / dm) ** (1 / 5);
    return Math.min(100 * h0, h1);
  }

  while (nextOut < T) {
    if (accepted + rejected >= maxSteps)
      return { accepted, rejected, evaluations: evals, completed: false, failure: `step limit ${maxSteps}` };
    if (h < 1e-14 * Math.max(1, Math.abs(t)))
      return {
        accepted,
        rejected,
        evaluations: evals,
        completed: false,
        failure: `step size underflow at t = ${t}`,
      };
    // With inputs, x(t) is piecewise linear with kinks at `times`: end steps there so that no step
    // straddles a kink (dopri5's error estimate assumes a smooth right-hand side).
    const stop = m > 0 ? times[nextOut] : tEnd;
    const remaining = (stop - t) * dir;
    if (h >= remaining) h = remaining;
    const hs = dir * h;
    for (let j = 0; j < n; j++) tmp[j] = y[j] + hs * A21 * k1[j];
    f(t + C2 * hs, tmp, k2);
    for (let j = 0; j < n; j++) tmp[j] = y[j] + hs * (A31 * k1[j] + A32 * k2[j]);
    f(t + C3 * hs, tmp, k3);
    for (let j = 0; j < n; j++) tmp[j] = y[j] + hs * (A41 * k1[j] + A42 * k2[j] + A43 * k3[j]);
    f(t + C4 * hs, tmp, k4);
    for (let j = 0; j < n; j++) tmp[j] = y[j] + hs * (A51 * k1[j] + A52 * k2[j] + A53 * k3[j] + A54 * k4[j]);
    f(t + C5 * hs, tmp, k5);
    for (let j = 0; j < n; j++)
      tmp[j] = y[j] + hs * (A61 * k1[j] + A62 * k2[j] + A63 * k3[j] + A64 * k4[j] + A65 * k5[j]);
    const tNew = remaining === h ? stop : t + hs;
    f(tNew, tmp, k6);
    for (let j = 0; j < n; j++)
      y1[j] = y[j] + hs * (A71 * k1[j] + A73 * k3[j] + A74 * k4[j] + A75 * k5[j] + A76 * k6[j]);
    f(tNew, y1, k7);
    let err = 0;
    for (let j = 0; j < n; j++) {
      const e = hs * (E1 * k1[j] + E3 * k3[j] + E4 * k4[j] + E5 * k5[j] + E6 * k6[j] + E7 * k7[j]);
      const sc = atol + rtol * Math.max(Math.abs(y[j]), Math.abs(y1[j]));
      err += (e / sc) ** 2;
    }
    err = Math.sqrt(err / n);
    if (!Number.isFinite(err)) {
      // A non-finite stage: shrink hard and retry rather than accept garbage.
      rejected++;
      h *= 0.1;
      lastRejected = true;
      if (h < 1e-300)
        return {
          accepted,
          rejected,
          evaluations: evals,
          completed: false,
          failure: `non-finite values at t = ${t}`,
        };
      continue;
    }
    if (err <= 1) {
      // Dense-output coefficients for θ ∈ [0, 1] on this step.
      for (let j = 0; j < n; j++) {
        const dy = y1[j] - y[j];
        const bspl = hs * k1[j] - dy;
        r1[j] = dy;
        r2[j] = bspl;
        r3[j] = dy - hs * k7[j] - bspl;
        r4[j] = hs * (D1 * k1[j] + D3 * k3[j] + D4 * k4[j] + D5 * k5[j] + D6 * k6[j] + D7 * k7[j]);
      }
      while (nextOut < T && (times[nextOut] - tNew) * dir <= 0) {
        const theta = (times[nextOut] - t) / hs;
        const theta1 = 1 - theta;
        for (let j = 0; j < n; j++)
          out[nextOut * n + j] = y[j] + theta * (r1[j] + theta1 * (r2[j] + theta * (r3[j] + theta1 * r4[j])));
        nextOut++;
      }
      accepted++;
      t = tNew;
      y.set(y1);
      k1.set(k7); // first-same-as-last
      // PI step-size control (Hairer's dopri5 defaults: β = 0.04, safety 0.9).
      let fac = 0.9 * err ** -0.17 * errOld ** 0.04;
      fac = Math.min(10, Math.max(0.2, fac));
      if (lastRejected) fac = Math.min(1, fac);
      errOld = Math.max(err, 1e-4);
      h = Math.min(h * fac, maxStep);
      lastRejected = false;
    } else {
      rejected++;
      h *= Math.max(0.2, 0.9 * err ** -0.2);
      lastRejected = true;
    }
  }
  return { accepted, rejected, evaluations: evals, completed: true };
}
