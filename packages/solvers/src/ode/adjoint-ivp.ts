/**
 * Gradients through an ODE solution by the continuous adjoint method (Pontryagin; Chen et al. 2018):
 * integrate backwards, from the last output time to the first,
 *
 *   dy/dt = f(y, x, t),   da/dt = −aᵀ ∂f/∂y,   dḡ/dt = −aᵀ ∂f/∂θ,
 *
 * adding the loss cotangent ∂L/∂y(t_k) to a at every output time t_k. At t_0, a = ∂L/∂y0 and ḡ = ∂L/∂θ.
 * Each backward segment restarts y from the forward solution at its end (so y does not drift), and uses
 * adaptive dopri5 at `atol`/`rtol`. The field must provide `vjp`.
 */
import {
  ConvergenceError,
  checkLength,
  describeValue,
  type FloatArray,
  type GradientMap,
  ShapeError,
  type TensorMap,
  zerosLike,
} from '@antler/core';
import { dopri5Into } from './dopri5.js';
import { interpolateInput } from './input-interpolation.js';
import type { VectorField } from './vector-field.js';

/** Options of {@link ivpGradients}. */
export interface IvpGradientOptions {
  /** Absolute tolerance of the backward dopri5 integration; default 1e-10. */
  readonly atol?: number;
  /** Relative tolerance of the backward dopri5 integration; default 1e-10. */
  readonly rtol?: number;
}

/** Gradients of a loss L(y(t_0), …, y(t_{T−1})). */
export interface IvpGradients {
  /** ∂L/∂y0 (n values). */
  readonly y0: Float64Array;
  /** ∂L/∂θ by parameter name (empty without `field.parameters`). */
  readonly parameters: GradientMap;
  /** Vector-field VJP evaluations spent. */
  readonly evaluations: number;
}

/**
 * Gradients of a loss through the solution of dy/dt = f(y, x(t), t) at `times`, given the forward
 * `states` (`[T][n]`, e.g. from `solveIVP`) and the loss cotangents `cotangents[k] = ∂L/∂y(t_k)` (`[T][n]`).
 * Inputs are interpolated linearly between samples, as in the dopri5/rk4 integrators.
 *
 * @example
 * ```ts
 * import { ivpGradients, solveIVP } from '@antler/solvers';
 * // For a field with `vjp` and parameters (e.g. @antler/zoo's createMlpVectorField):
 * // const r = solveIVP(field, y0, times, null, { method: 'dopri5', atol: 1e-10, rtol: 1e-10 });
 * // const g = ivpGradients(field, times, r.states, cotangents); // g.y0, g.parameters['layers.0.weight'], …
 * ```
 */
export function ivpGradients(
  field: VectorField,
  times: ArrayLike<number>,
  states: FloatArray,
  cotangents: FloatArray,
  inputs?: FloatArray | null,
  options: IvpGradientOptions = {},
): IvpGradients {
  if (!field?.vjp) throw new ShapeError('field', 'a VectorField with vjp()', describeValue(field));
  const n = field.stateSize;
  const m = field.inputSize;
  const T = times.length;
  const t64 = Float64Array.from(times);
  checkLength('states', states, [T, n], ['T', 'n']);
  checkLength('cotangents', cotangents, [T, n], ['T', 'n']);
  const x: FloatArray = m > 0 ? checkLength('inputs', inputs, [T, m], ['T', 'm']) : new Float64Array(0);
  const params: TensorMap = field.parameters ?? {};
  const names = Object.keys(params);
  const sizes = names.map((k) => params[k].data.length);
  const P = sizes.reduce((s, v) => s + v, 0);
  const grads = zerosLike(params);
  const scratch = zerosLike(params);
  const N = 2 * n + P;
  const xs = new Float64Array(m);
  const gy = new Float64Array(n);
  let hint = 0;
  let evaluations = 0;
  const vjp = field.vjp.bind(field);
  // Augmented backward field on z = [y, a, ḡ].
  const augmented: VectorField = {
    stateSize: N,
    inputSize: 0,
    evaluate(z, zo, _x, _xo, t, out, oo) {
      hint = interpolateInput(t64, x, m, t, xs, hint);
      field.evaluate(z, zo, xs, 0, t, out, oo);
      gy.fill(0);
      for (const k of names) scratch[k].fill(0);
      vjp(z, zo, xs, 0, t, z, zo + n, gy, 0, null, 0, P > 0 ? scratch : null);
      evaluations++;
      for (let i = 0; i < n; i++) out[oo + n + i] = -gy[i];
      let off = oo + 2 * n;
      for (let p = 0; p < names.length; p++) {
        const g = scratch[names[p]];
        for (let i = 0; i < sizes[p]; i++) out[off + i] = -g[i];
        off += sizes[p];
      }
    },
  };
  const z = new Float64Array(N);
  const seg = new Float64Array(2 * N);
  for (let i = 0; i < n; i++) z[n + i] = cotangents[(T - 1) * n + i];
  for (let k = T - 1; k > 0; k--) {
    for (let i = 0; i < n; i++) z[i] = states[k * n + i];
    const stats = dopri5Into(augmented, z, new Float64Array([t64[k], t64[k - 1]]), new Float64Array(0), seg, {
      atol: options.atol ?? 1e-10,
      rtol: options.rtol ?? 1e-10,
    });
    if (!stats.completed) {
      throw new ConvergenceError(`ivpGradients: the backward adjoint integration failed (${stats.failure})`, {
        segment: k,
      });
    }
    z.set(seg.subarray(N, 2 * N));
    for (let i = 0; i < n; i++) z[n + i] += cotangents[(k - 1) * n + i];
  }
  let off = 2 * n;
  for (let p = 0; p < names.length; p++) {
    grads[names[p]].set(z.subarray(off, off + sizes[p]));
    off += sizes[p];
  }
  return { y0: z.slice(n, 2 * n), parameters: grads, evaluations };
}
