/** `solveIVP`: one entry point for the parallel (DEER family) and sequential (RK4, dopri5) ODE solvers. */
import {
  allocate,
  BackendUnavailableError,
  ConvergenceError,
  checkDType,
  checkFinite,
  checkInteger,
  checkLength,
  describeValue,
  type FloatArray,
  type IterationRecord,
  ShapeError,
  type SolverEvent,
  supportsAffine,
  supportsKalman,
} from '@antler/core';
import { createSequentialBackend } from '@antler/scan';
import { deerIvp } from './deer-ivp.js';
import { dopri5Into } from './dopri5.js';
import type { IvpMethod, OdeDiscretisation, SolveIvpOptions, SolveIvpResult } from './ivp-types.js';
import { rk4Into } from './rk4.js';
import type { VectorField } from './vector-field.js';

const IVP_METHODS: readonly IvpMethod[] = ['deer', 'quasi-deer', 'elk', 'quasi-elk', 'rk4', 'dopri5'];

/**
 * Solves the initial-value problem dy/dt = f(y, x(t), t), y(times[0]) = y0, returning y at every one of
 * `times` (T ≥ 1 strictly monotone values). `inputs` holds x at `times`, `[T][m]` (omit when m = 0);
 * with `options.batch` = B, `y0` is `[B][n]` and `inputs` `[B][T][m]`.
 *
 * The DEER methods need a synchronous scan backend (the default is the sequential CPU backend). Their
 * discretisation uses exact matrix exponentials (exact for linear constant-coefficient systems) with an
 * order-4 Hermite forcing by default (order 2 for quasi-DEER; see {@link OdeDiscretisation}), so accuracy
 * is set by the spacing of `times`, and `atol`/`rtol` only stop the Newton iteration. `rk4` and `dopri5`
 * are the sequential baselines.
 *
 * @example
 * ```ts
 * import { solveIVP, type VectorField } from '@antler/solvers';
 * const oscillator: VectorField = {
 *   stateSize: 2,
 *   inputSize: 0,
 *   evaluate(y, yo, _x, _xo, _t, out, oo) { out[oo] = y[yo + 1]; out[oo + 1] = -y[yo]; },
 *   denseJacobian(y, yo, x, xo, t, f, fo, jac, jo) {
 *     this.evaluate(y, yo, x, xo, t, f, fo);
 *     jac.set([0, 1, -1, 0], jo);
 *   },
 * };
 * const times = Float64Array.from({ length: 100 }, (_, i) => (10 * i) / 99);
 * const result = solveIVP(oscillator, new Float64Array([1, 0]), times);
 * // result.states.subarray(198) ≈ [cos 10, −sin 10]; result.converged === true
 * ```
 */
export function solveIVP(
  field: VectorField,
  y0: ArrayLike<number>,
  times: ArrayLike<number>,
  inputs?: FloatArray | null,
  options: SolveIvpOptions = {},
): SolveIvpResult {
  const started = performance.now();
  if (!field || typeof field.evaluate !== 'function') {
    throw new ShapeError(
      'field',
      'a VectorField with stateSize, inputSize and evaluate()',
      describeValue(field),
    );
  }
  const n = checkInteger(field.stateSize, 'field.stateSize', 1);
  const m = checkInteger(field.inputSize, 'field.inputSize', 0);
  const method = options.method ?? 'deer';
  if (!IVP_METHODS.includes(method)) {
    throw new ShapeError(
      'options.method',
      IVP_METHODS.map((s) => `'${s}'`).join(' | '),
      describeValue(method),
    );
  }
  const dtype = checkDType(options.dtype ?? 'float64', 'options.dtype');
  if (!times || typeof times.length !== 'number' || times.length < 1) {
    throw new ShapeError('times', 'an array of T ≥ 1 strictly monotone times', describeValue(times));
  }
  const T = times.length;
  const t64 = Float64Array.from(times);
  checkFinite('times', t64);
  for (let i = 1; i < T; i++) {
    const d = (t64[i] - t64[i - 1]) * (t64[T - 1] - t64[0]);
    if (!(d > 0)) {
      throw new ShapeError(
        'times',
        'strictly monotone values',
        `times[${i - 1}] = ${t64[i - 1]}, times[${i}] = ${t64[i]}`,
      );
    }
  }
  const B = checkInteger(options.batch ?? 1, 'options.batch', 1);
  if (B > 1) return solveBatch(field, B, y0, t64, inputs, options, started);
  if (!y0 || y0.length !== n) {
    throw new ShapeError('y0', `[n=${n}] (${n} elements)`, y0 ? `length ${y0.length}` : describeValue(y0));
  }
  const y064 = Float64Array.from(y0);
  checkFinite('y0', y064);
  let x: FloatArray;
  if (m === 0 && (inputs === undefined || inputs === null)) x = new Float64Array(0);
  else {
    x = checkLength('inputs', inputs, [T, m], ['T', 'm']);
    checkFinite('inputs', x);
  }
  const atol = options.atol ?? (dtype === 'float64' ? 1e-9 : 1e-5);
  const rtol = options.rtol ?? (dtype === 'float64' ? 1e-9 : 1e-4);
  for (const [name, v] of [
    ['options.atol', atol],
    ['options.rtol', rtol],
  ] as const) {
    if (!(v >= 0) || !Number.isFinite(v)) throw new ShapeError(name, 'a finite number ≥ 0', describeValue(v));
  }
  const finish = (
    r: Omit<
      SolveIvpResult,
      | 'seconds'
      | 'times'
      | 'dtype'
      | 'method'
      | 'size'
      | 'batch'
      | 'convergedPerSequence'
      | 'iterationsPerSequence'
    >,
  ): SolveIvpResult => ({
    ...r,
    batch: 1,
    convergedPerSequence: [r.converged],
    iterationsPerSequence: [r.iterations],
    times: t64,
    dtype,
    method,
    size: n,
    seconds: (performance.now() - started) / 1000,
  });

  if (method === 'rk4' || method === 'dopri5') {
    const states = allocate(dtype, T * n);
    const events: SolverEvent[] = [];
    if (method === 'rk4') {
      const substeps = checkInteger(options.substeps ?? 1, 'options.substeps', 1);
      const evaluations = rk4Into(field, y064, t64, x, states, substeps);
      const idx = firstBad(states);
      if (idx >= 0)
        events.push({ kind: 'non-finite', message: `RK4 produced a non-finite state at flat index ${idx}` });
      return finish({
        states,
        converged: idx < 0,
        iterations: 0,
        residual: 0,
        history: [],
        events,
        evaluations,
        backend: 'none',
      });
    }
    const stats = dopri5Into(field, y064, t64, x, states, { atol, rtol });
    if (!stats.completed)
      events.push({ kind: 'diverged', message: `dopri5 stopped early: ${stats.failure}` });
    if (stats.rejected > 0)
      events.push({
        kind: 'step-rejected',
        message: `dopri5 rejected ${stats.rejected} of ${stats.accepted + stats.rejected} steps (error control)`,
      });
    return finish({
      states,
      converged: stats.completed,
      iterations: 0,
      residual: 0,
      history: [],
      events,
      evaluations: stats.evaluations,
      backend: 'none',
    });
  }

  const backend = options.backend ?? createSequentialBackend();
  if (!backend.synchronous) {
    throw new BackendUnavailableError(backend.name, 'solveIVP needs a synchronous scan backend');
  }
  const structure = method === 'quasi-deer' || method === 'quasi-elk' ? 'diagonal' : 'dense';
  const damped = method === 'elk' || method === 'quasi-elk';
  if (damped ? !supportsKalman(backend, dtype, structure) : !supportsAffine(backend, dtype, structure)) {
    throw new BackendUnavailableError(
      backend.name,
      `it cannot run a ${structure} ${damped ? 'Kalman' : 'affine'} scan in ${dtype}`,
    );
  }
  const maxIter = checkInteger(options.maxIter ?? Math.max(T, 1), 'options.maxIter', 1);
  if (options.initialGuess !== undefined)
    checkLength('options.initialGuess', options.initialGuess, [T, n], ['T', 'n']);
  const lambda = options.lambda ?? 'adaptive';
  if (lambda !== 'adaptive' && !(lambda > 0 && Number.isFinite(lambda))) {
    throw new ShapeError('options.lambda', "a finite number > 0 or 'adaptive'", describeValue(lambda));
  }
  const discretisation: OdeDiscretisation = options.discretisation ?? 'exponential-hermite';
  if (discretisation !== 'exponential-hermite' && discretisation !== 'exponential-trapezoid') {
    throw new ShapeError(
      'options.discretisation',
      "'exponential-hermite' | 'exponential-trapezoid'",
      describeValue(discretisation),
    );
  }
  const initialLambda = options.initialLambda ?? 1e-3;
  if (!(initialLambda > 0 && Number.isFinite(initialLambda))) {
    throw new ShapeError('options.initialLambda', 'a finite number > 0', describeValue(initialLambda));
  }
  const out = deerIvp(field, y064, t64, x, {
    method,
    dtype,
    atol,
    rtol,
    maxIter,
    backend,
    initialGuess: options.initialGuess,
    lambda,
    initialLambda,
    discretisation,
  });
  const result = finish({
    states: out.states,
    converged: out.converged,
    iterations: out.iterations,
    residual: out.residual,
    history: out.history,
    events: out.events,
    evaluations: out.evaluations,
    backend: backend.name,
  });
  if (out.converged) return result;
  const policy = options.onDivergence ?? 'report';
  if (policy === 'throw') {
    throw new ConvergenceError(
      `solveIVP(${method}) did not converge in ${out.iterations} iterations (residual ${out.residual})`,
      result,
    );
  }
  if (policy === 'fallback-sequential') {
    const states = allocate(dtype, T * n);
    const stats = dopri5Into(field, y064, t64, x, states, { atol, rtol });
    return {
      ...result,
      states,
      converged: stats.completed,
      convergedPerSequence: [stats.completed],
      evaluations: result.evaluations + stats.evaluations,
      events: [
        ...result.events,
        {
          kind: 'fallback-sequential',
          message: `${method} did not converge; the states come from dopri5 instead`,
        },
      ],
      seconds: (performance.now() - started) / 1000,
    };
  }
  return result;
}

/** Solves B sequences one after another and merges their results (see `SolveIvpOptions.batch`). */
function solveBatch(
  field: VectorField,
  B: number,
  y0: ArrayLike<number>,
  times: Float64Array,
  inputs: FloatArray | null | undefined,
  options: SolveIvpOptions,
  started: number,
): SolveIvpResult {
  const n = field.stateSize;
  const m = field.inputSize;
  const T = times.length;
  if (!y0 || (y0.length !== B * n && y0.length !== n)) {
    throw new ShapeError(
      'y0',
      `[B=${B}][n=${n}] (${B * n} elements) or [n=${n}]`,
      y0 ? `length ${y0.length}` : describeValue(y0),
    );
  }
  if (m > 0 || (inputs !== undefined && inputs !== null))
    checkLength('inputs', inputs, [B, T, m], ['B', 'T', 'm']);
  if (options.initialGuess !== undefined)
    checkLength('options.initialGuess', options.initialGuess, [B, T, n], ['B', 'T', 'n']);
  const parts: SolveIvpResult[] = [];
  for (let b = 0; b < B; b++) {
    const yb = y0.length === n ? y0 : Array.prototype.slice.call(y0, b * n, (b + 1) * n);
    const xb = inputs ? inputs.subarray(b * T * m, (b + 1) * T * m) : inputs;
    const guess = options.initialGuess?.subarray(b * T * n, (b + 1) * T * n);
    parts.push(solveIVP(field, yb, times, xb, { ...options, batch: 1, initialGuess: guess }));
  }
  const first = parts[0];
  const states = allocate(first.dtype, B * T * n);
  for (let b = 0; b < B; b++) states.set(parts[b].states, b * T * n);
  const iterations = Math.max(...parts.map((p) => p.iterations));
  const history: IterationRecord[] = [];
  for (let k = 0; k < Math.max(...parts.map((p) => p.history.length)); k++) {
    const recs = parts.map((p) => p.history[k]).filter((r) => r !== undefined);
    history.push({
      iteration: k + 1,
      maxStep: Math.max(...recs.map((r) => r.maxStep)),
      maxResidual: Math.max(...recs.map((r) => r.maxResidual)),
      residualNorm: Math.sqrt(recs.reduce((s, r) => s + r.residualNorm ** 2, 0)),
      active: recs.reduce((s, r) => s + r.active, 0),
    });
  }
  return {
    ...first,
    states,
    batch: B,
    converged: parts.every((p) => p.converged),
    convergedPerSequence: parts.map((p) => p.converged),
    iterationsPerSequence: parts.map((p) => p.iterations),
    iterations,
    residual: Math.max(...parts.map((p) => p.residual)),
    history,
    events: parts.flatMap((p, b) => p.events.map((e) => ({ ...e, sequence: b }))),
    evaluations: parts.reduce((s, p) => s + p.evaluations, 0),
    seconds: (performance.now() - started) / 1000,
  };
}

function firstBad(a: FloatArray): number {
  for (let i = 0; i < a.length; i++) if (a[i] - a[i] !== 0) return i;
  return -1;
}
