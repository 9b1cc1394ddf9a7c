/**
 * Gradients through `solveIVP`: the adjoint of the ODE linearised along the solved trajectory,
 *
 *   dλ/dt = −J(t)ᵀ λ  between output times,  λ jumps by g_i at t_i,  λ(t_{T−1}) = g_{T−1},
 *
 * discretised like the forward DEER step: on each interval the transition is the exact exponential
 * Φ_i = exp(Δt_i (J_i + J_{i+1}) / 2) (second order), so all intervals together are ONE reverse transposed
 * dense affine scan λ_i = Φ_iᵀ λ_{i+1} + g_i. Then ∂L/∂θ = ∫ λᵀ ∂f/∂θ dt and ∂L/∂x = ∫ λᵀ ∂f/∂x · hat_i dt
 * by the trapezoidal rule over the field's VJPs at the nodes, and ∂L/∂y0 = λ_0.
 *
 * This is the gradient of the continuous problem to second order in Δt (not the exact derivative of the
 * discrete forward scheme); results carry `order: 2` and tests measure it.
 */
import {
  type AffineScanArgs,
  checkLength,
  ConvergenceError,
  type FloatArray,
  type GradientMap,
  NonFiniteError,
  type ScanBackend,
  type ScanReport,
  ShapeError,
  supportsAffine,
  zerosLike,
} from '@antler/core';
import { createSequentialBackend } from '@antler/scan';
import { createExpmWorkspace, expmInto } from '../ode/expm.js';
import type { SolveIvpOptions, SolveIvpResult } from '../ode/ivp-types.js';
import { solveIVP } from '../ode/solve-ivp.js';
import type { VectorField } from '../ode/vector-field.js';
import { GradientUnavailableError } from './gradient-unavailable-error.js';

/** Options of {@link differentiateIVPTrajectory}. */
export interface IvpAdjointOptions {
  /** Backend of the reverse scan; default the sequential CPU backend (must support float64 reverse dense scans). */
  readonly backend?: ScanBackend;
}

/** Gradients of a loss of the states of an initial value problem. */
export interface IvpGradientResult {
  /** ∂L/∂θ by parameter name (same layout as `field.parameters`). */
  readonly params: GradientMap;
  /** ∂L/∂y0 (`[n]`). */
  readonly y0: Float64Array;
  /** ∂L/∂x for inputs sampled at the output times (`[T][m]`; empty when m = 0). */
  readonly inputs: Float64Array;
  /** λ at the output times (`[T][n]`, including each time's own cotangent). */
  readonly adjointStates: Float64Array;
  /** Order in Δt of the adjoint discretisation (2). */
  readonly order: 2;
  /** The discretisation, in words. */
  readonly scheme: 'continuous adjoint, exponential midpoint transitions, trapezoidal quadrature';
  /** Whether the trajectory came from a converged solve. */
  readonly converged: boolean;
  /** Backend of the reverse scan. */
  readonly backend: string;
  readonly seconds: number;
}

/**
 * The gradient of L(y(t_0) … y(t_{T−1})) with cotangent g (`[T][n]`, g_i = ∂L/∂y(t_i)) through the ODE
 * trajectory `states` (`[T][n]`, row 0 = y0) of `field` at `times`, with inputs sampled at the times
 * (`[T][m]`, piecewise linear as in `solveIVP`). Needs `field.denseJacobian` and `field.vjp`.
 *
 * @example
 * ```ts
 * import { differentiateIVPTrajectory, solveIVP } from '@antler/solvers';
 * const result = solveIVP(field, y0, times);
 * const g = new Float64Array(result.states.length); g.fill(1, g.length - field.stateSize); // L = Σ y(t_end)
 * const grad = differentiateIVPTrajectory(field, times, null, result.states, g);
 * grad.y0; // ∂L/∂y0
 * ```
 */
export function differentiateIVPTrajectory(
  field: VectorField,
  times: ArrayLike<number>,
  inputs: FloatArray | null,
  states: FloatArray,
  cotangent: FloatArray,
  options: IvpAdjointOptions = {},
  converged = true,
): IvpGradientResult {
  const started = performance.now();
  const n = field.stateSize;
  const m = field.inputSize;
  if (!field.denseJacobian)
    throw new GradientUnavailableError('vector field', 'the IVP adjoint needs denseJacobian');
  if (!field.vjp) throw new GradientUnavailableError('vector field', 'the IVP adjoint needs vjp');
  const T = times.length;
  if (!(T >= 2)) throw new ShapeError('times', 'at least 2 output times', `length ${T}`);
  for (let i = 0; i + 1 < T; i++) {
    if (!(times[i + 1] > times[i]))
      throw new ShapeError(
        'times',
        'strictly increasing times',
        `times[${i + 1}] = ${times[i + 1]} after ${times[i]}`,
      );
  }
  checkLength('states', states, [T, n], ['T', 'n']);
  checkLength('cotangent', cotangent, [T, n], ['T', 'n']);
  const x: FloatArray = m > 0 ? checkLength('inputs', inputs, [T, m], ['T', 'm']) : new Float64Array(0);
  const nn = n * n;

  // Jacobians at the nodes, then the interval transitions Φ_i (operator i; the last one is zero).
  const jac = new Float64Array(T * nn);
  const f = new Float64Array(n);
  for (let i = 0; i < T; i++) field.denseJacobian(states, i * n, x, i * m, times[i], f, 0, jac, i * nn);
  const phi = new Float64Array(T * nn);
  const mid = new Float64Array(nn);
  const ws = createExpmWorkspace(n);
  for (let i = 0; i + 1 < T; i++) {
    const h = times[i + 1] - times[i];
    for (let k = 0; k < nn; k++) mid[k] = 0.5 * h * (jac[i * nn + k] + jac[(i + 1) * nn + k]);
    if (!expmInto(n, mid, 0, phi, i * nn, ws)) {
      throw new NonFiniteError(
        'adjoint transition',
        i,
        Number.NaN,
        `exp(Δt J̄) on interval ${i} is not finite`,
      );
    }
  }
  const g = cotangent instanceof Float64Array ? cotangent : Float64Array.from(cotangent);
  const lambda = new Float64Array(T * n);
  let backend = options.backend ?? createSequentialBackend();
  if (
    !backend.synchronous ||
    !supportsAffine(backend, 'float64', 'dense') ||
    !backend.capabilities.float64?.reverse
  ) {
    backend = createSequentialBackend();
  }
  const args: AffineScanArgs = {
    structure: 'dense',
    batch: 1,
    length: T,
    size: n,
    a: { data: phi },
    b: { data: g },
    out: { data: lambda },
    reverse: true,
    transpose: true,
  };
  const report = backend.affineScan(args) as ScanReport;
  for (let i = 0; i < lambda.length; i++) {
    if (lambda[i] - lambda[i] !== 0 || !report.finite)
      throw new NonFiniteError('adjointStates', i, lambda[i]);
  }

  // Trapezoidal quadrature of λᵀ∂f/∂θ and λᵀ∂f/∂x; λ just after t_i is λ_i − g_i (the jump is at t_i).
  const params = zerosLike(field.parameters ?? {});
  const gx = new Float64Array(T * m);
  const cot = new Float64Array(n);
  const discard = new Float64Array(n);
  const vjp = field.vjp.bind(field);
  for (let i = 0; i + 1 < T; i++) {
    const w = 0.5 * (times[i + 1] - times[i]);
    for (let k = 0; k < n; k++) cot[k] = w * (lambda[i * n + k] - g[i * n + k]);
    vjp(states, i * n, x, i * m, times[i], cot, 0, discard, 0, m > 0 ? gx : null, i * m, params);
    for (let k = 0; k < n; k++) cot[k] = w * lambda[(i + 1) * n + k];
    vjp(
      states,
      (i + 1) * n,
      x,
      (i + 1) * m,
      times[i + 1],
      cot,
      0,
      discard,
      0,
      m > 0 ? gx : null,
      (i + 1) * m,
      params,
    );
  }
  return {
    params,
    y0: lambda.slice(0, n),
    inputs: gx,
    adjointStates: lambda,
    order: 2,
    scheme: 'continuous adjoint, exponential midpoint transitions, trapezoidal quadrature',
    converged,
    backend: backend.name,
    seconds: (performance.now() - started) / 1000,
  };
}

/** A solved IVP, its loss and its gradients. */
export interface IvpSolveAndGradient {
  readonly solve: SolveIvpResult;
  readonly loss: number;
  readonly gradient: IvpGradientResult;
}

/**
 * `solveIVP` followed by {@link differentiateIVPTrajectory}. The cotangent is a fixed `[T][n]` array g
 * (L = Σ_i ⟨g_i, y(t_i)⟩) or a loss function of the states. Throws a ConvergenceError when a DEER method
 * did not converge (the gradient would be that of a wrong trajectory).
 *
 * @example
 * ```ts
 * import { solveIVPAndDifferentiate } from '@antler/solvers';
 * const { gradient } = solveIVPAndDifferentiate(field, y0, times, null, cotangent, { method: 'deer' });
 * gradient.params; // ∂L/∂θ of the field's parameters, second order in Δt
 * ```
 */
export function solveIVPAndDifferentiate(
  field: VectorField,
  y0: ArrayLike<number>,
  times: ArrayLike<number>,
  inputs: FloatArray | null,
  cotangentOrLoss: FloatArray | ((states: FloatArray) => { loss: number; cotangent: FloatArray }),
  options: SolveIvpOptions & IvpAdjointOptions = {},
): IvpSolveAndGradient {
  const solution = solveIVP(field, y0, times, inputs, options);
  if (!solution.converged) {
    throw new ConvergenceError(
      `solveIVP (${solution.method}) did not converge (residual ${solution.residual.toExponential(2)} after ${solution.iterations} iterations); its gradient would be that of a wrong trajectory`,
      solution,
    );
  }
  let loss = 0;
  let g: FloatArray;
  if (typeof cotangentOrLoss === 'function') {
    const out = cotangentOrLoss(solution.states);
    loss = out.loss;
    g = out.cotangent;
  } else {
    g = checkLength('cotangent', cotangentOrLoss, [times.length, field.stateSize], ['T', 'n']);
    for (let i = 0; i < g.length; i++) loss += g[i] * solution.states[i];
  }
  const gradient = differentiateIVPTrajectory(field, times, inputs, solution.states, g, options, true);
  return { solve: solution, loss, gradient };
}
