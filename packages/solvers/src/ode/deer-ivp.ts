/**
 * DEER, quasi-DEER and ELK for ODEs: Newton iterations over the whole trajectory, each one linearising
 * f along the current guess and solving the linearised ODE on every interval at once with one affine scan
 * (or one Kalman smoother scan for ELK).
 */
import {
  allocate,
  type DType,
  type FloatArray,
  type IterationRecord,
  type ScanBackend,
  type SolverEvent,
} from '@antler/core';
import { createExpmWorkspace } from './expm.js';
import {
  denseHermiteOperator,
  denseIntervalOperator,
  diagonalIntervalOperator,
  type IntervalWorkspace,
} from './exponential-discretisation.js';
import type { OdeDiscretisation } from './ivp-types.js';
import { lineariseTrajectory } from './linearise-field.js';
import { timeDerivatives } from './time-derivative.js';
import type { VectorField } from './vector-field.js';

/** Resolved settings of {@link deerIvp}. */
export interface DeerIvpSettings {
  readonly method: 'deer' | 'quasi-deer' | 'elk' | 'quasi-elk';
  readonly dtype: DType;
  readonly atol: number;
  readonly rtol: number;
  readonly maxIter: number;
  readonly backend: ScanBackend;
  readonly initialGuess?: FloatArray;
  readonly lambda: number | 'adaptive';
  readonly initialLambda: number;
  /** Interval discretisation (quasi-DEER always uses `'exponential-trapezoid'`). */
  readonly discretisation: OdeDiscretisation;
}

/** What {@link deerIvp} returns (the caller adds timing and method metadata). */
export interface DeerIvpOutcome {
  readonly states: FloatArray;
  readonly converged: boolean;
  readonly iterations: number;
  readonly residual: number;
  readonly history: IterationRecord[];
  readonly events: SolverEvent[];
  readonly evaluations: number;
  readonly finite: boolean;
}

/** One linearisation of the whole trajectory: scan operators A_i, offsets b_i and the residual. */
interface Linearisation {
  readonly a: FloatArray;
  readonly b: FloatArray;
  maxResidual: number;
  residualNorm: number;
  /** Every |r_i| ≤ atol + rtol·|y_{i+1}|. */
  withinTolerance: boolean;
  finite: boolean;
}

/**
 * Runs DEER / quasi-DEER / ELK on dy/dt = f(y, x, t) over `times` (T points, y(times[0]) = y0).
 * States are `[T][n]` in `settings.dtype`. Arguments are assumed validated (see `solveIVP`).
 */
export function deerIvp(
  field: VectorField,
  y0: Float64Array,
  times: Float64Array,
  inputs: FloatArray,
  settings: DeerIvpSettings,
): DeerIvpOutcome {
  const n = field.stateSize;
  const T = times.length;
  const L = T - 1; // intervals = scan length
  const { dtype, backend, method } = settings;
  const structure = method === 'quasi-deer' || method === 'quasi-elk' ? 'diagonal' : 'dense';
  const damped = method === 'elk' || method === 'quasi-elk';
  const opSize = structure === 'dense' ? n * n : n;
  const events: SolverEvent[] = [];
  const history: IterationRecord[] = [];
  const states = allocate(dtype, T * n);
  for (let i = 0; i < n; i++) states[i] = y0[i];
  // The current guess in float64 (the linearisation point); its first row is always y0.
  const y = new Float64Array(T * n);
  if (settings.initialGuess) {
    y.set(settings.initialGuess);
    for (let i = 0; i < n; i++) y[i] = y0[i];
  } else {
    for (let t = 0; t < T; t++) y.set(y0, t * n);
  }
  if (L === 0) {
    return {
      states,
      converged: true,
      iterations: 0,
      residual: 0,
      history,
      events,
      evaluations: 0,
      finite: true,
    };
  }
  const f = new Float64Array(T * n);
  const jac = new Float64Array(T * opSize);
  const h = new Float64Array(T * n);
  const hermite = structure === 'dense' && settings.discretisation === 'exponential-hermite';
  const N = n + (hermite ? 4 : 2);
  const ws: IntervalWorkspace = {
    expm: createExpmWorkspace(N),
    augmented: new Float64Array(N * N),
    exponential: new Float64Array(N * N),
  };
  const ft = new Float64Array(hermite ? T * n : 0);
  const makeLin = (): Linearisation => ({
    a: allocate(dtype, L * opSize),
    b: allocate(dtype, L * n),
    maxResidual: Number.POSITIVE_INFINITY,
    residualNorm: Number.POSITIVE_INFINITY,
    withinTolerance: false,
    finite: true,
  });
  let lin = makeLin();
  let spare = damped ? makeLin() : lin;
  let evaluations = 0;
  let fdReported = false;

  /** Linearises at trajectory `traj` into `out` and computes the residual of `traj` there. */
  const linearise = (traj: Float64Array, out: Linearisation) => {
    const source = lineariseTrajectory(field, structure, times, traj, inputs, f, jac);
    evaluations += source === 'analytic' ? T : T * (1 + 2 * n);
    if (source === 'finite-difference' && !fdReported) {
      fdReported = true;
      events.push({
        kind: 'finite-difference-jacobian',
        message: `the vector field has no analytic ${structure} Jacobian; central finite differences are used (2n extra evaluations per point)`,
      });
    }
    if (hermite) evaluations += timeDerivatives(field, times, traj, inputs, ft);
    for (let t = 0; t < T && !hermite; t++) {
      for (let i = 0; i < n; i++) {
        let jy = 0;
        if (structure === 'dense')
          for (let j = 0; j < n; j++) jy += jac[t * opSize + i * n + j] * traj[t * n + j];
        else jy = jac[t * n + i] * traj[t * n + i];
        h[t * n + i] = f[t * n + i] - jy;
      }
    }
    let finite = true;
    let maxR = 0;
    let sumR = 0;
    let within = true;
    for (let t = 0; t < L; t++) {
      const dt = times[t + 1] - times[t];
      const ok = hermite
        ? denseHermiteOperator(
            n,
            dt,
            traj,
            f,
            ft,
            t * n,
            (t + 1) * n,
            jac,
            t * opSize,
            (t + 1) * opSize,
            out.a,
            t * opSize,
            out.b,
            t * n,
            ws,
          )
        : structure === 'dense'
          ? denseIntervalOperator(
              n,
              dt,
              jac,
              t * opSize,
              (t + 1) * opSize,
              h,
              t * n,
              (t + 1) * n,
              out.a,
              t * opSize,
              out.b,
              t * n,
              ws,
            )
          : diagonalIntervalOperator(
              n,
              dt,
              jac,
              t * n,
              (t + 1) * n,
              h,
              t * n,
              (t + 1) * n,
              out.a,
              t * n,
              out.b,
              t * n,
            );
      finite &&= ok;
      for (let i = 0; i < n; i++) {
        let pred = out.b[t * n + i];
        if (structure === 'dense')
          for (let j = 0; j < n; j++) pred += out.a[t * opSize + i * n + j] * traj[t * n + j];
        else pred += out.a[t * n + i] * traj[t * n + i];
        const r = traj[(t + 1) * n + i] - pred;
        const ar = Math.abs(r);
        if (!(ar <= settings.atol + settings.rtol * Math.abs(traj[(t + 1) * n + i]))) within = false;
        if (!(ar <= maxR)) maxR = ar; // NaN propagates into maxR
        sumR += r * r;
      }
    }
    out.maxResidual = maxR;
    out.residualNorm = Math.sqrt(sumR);
    out.withinTolerance = within;
    out.finite = finite && Number.isFinite(maxR);
  };

  const s0Data = allocate(dtype, n);
  s0Data.set(y0);
  const s0 = { data: s0Data };
  const next = allocate(dtype, L * n);
  const obs = allocate(dtype, L * n);
  let lambda = settings.lambda === 'adaptive' ? settings.initialLambda : settings.lambda;
  const recentNorms: number[] = [];
  // Interval residuals scale with the step Δ, so λ is taken per unit time: the smoother's penalty is
  // λ Δ̄² ‖s − s^k‖² against Σ‖r_i‖² (equivalently λ‖s − s^k‖² against Σ‖r_i/Δ̄‖²), which keeps one λ
  // meaningful across grids.
  const meanStep = Math.abs(times[T - 1] - times[0]) / L;
  linearise(y, lin);
  let converged = false;
  let iterations = 0;
  let finite = lin.finite;
  if (!finite) {
    events.push({
      kind: 'non-finite',
      iteration: 0,
      message: 'the vector field or its Jacobian is non-finite along the initial guess',
    });
  }
  while (finite && iterations < settings.maxIter) {
    iterations++;
    let report: { finite: boolean };
    if (damped) {
      for (let i = 0; i < L * n; i++) obs[i] = y[n + i];
      report = backend.kalmanScan!({
        structure,
        batch: 1,
        length: L,
        size: n,
        a: { data: lin.a },
        b: { data: lin.b },
        s0,
        y: { data: obs },
        processVariance: 1,
        observationVariance: 1 / (lambda * meanStep * meanStep),
        smooth: true,
        out: { data: next },
      }) as { finite: boolean };
    } else {
      report = backend.affineScan({
        structure,
        batch: 1,
        length: L,
        size: n,
        a: { data: lin.a },
        b: { data: lin.b },
        s0,
        out: { data: next },
      }) as { finite: boolean };
    }
    if (!report.finite) {
      finite = false;
      events.push({
        kind: 'non-finite',
        iteration: iterations,
        message: `the ${damped ? 'Kalman' : 'affine'} scan produced non-finite states`,
      });
      break;
    }
    let maxStep = 0;
    let withinTol = true;
    for (let i = 0; i < L * n; i++) {
      const v = next[i];
      const d = Math.abs(v - y[n + i]);
      if (d > maxStep) maxStep = d;
      if (d > settings.atol + settings.rtol * Math.abs(v)) withinTol = false;
    }
    const candidate = new Float64Array(y);
    for (let i = 0; i < L * n; i++) candidate[n + i] = next[i];
    if (damped) {
      linearise(candidate, spare);
      // Levenberg–Marquardt minimises Σ|r|², so the merit is the residual 2-norm, tested non-monotonically
      // (against the largest of the last accepted norms): quasi steps are not descent steps, and a strictly
      // monotone test stalls quasi-ELK in λ oscillations.
      const reference = Math.max(lin.residualNorm, ...recentNorms);
      const improves = spare.finite && (spare.residualNorm <= reference || spare.withinTolerance);
      if (settings.lambda === 'adaptive' && !improves) {
        lambda *= 10;
        events.push({
          kind: 'step-rejected',
          iteration: iterations,
          message: `ELK step raised the residual norm to ${spare.residualNorm.toExponential(2)}; λ raised to ${lambda.toExponential(2)}`,
        });
        history.push({
          iteration: iterations,
          maxStep,
          maxResidual: lin.maxResidual,
          residualNorm: lin.residualNorm,
          active: 1,
          lambda,
        });
        if (lambda > 1e12) {
          events.push({
            kind: 'diverged',
            iteration: iterations,
            message: 'ELK damping exceeded 1e12 without lowering the residual',
          });
          break;
        }
        continue;
      }
      const decreased = spare.residualNorm <= lin.residualNorm;
      recentNorms.push(lin.residualNorm);
      if (recentNorms.length > 4) recentNorms.shift();
      const swap = lin;
      lin = spare;
      spare = swap;
      if (settings.lambda === 'adaptive' && decreased) lambda = Math.max(lambda / 10, 1e-12);
    } else {
      linearise(candidate, lin);
    }
    y.set(candidate);
    finite = lin.finite;
    history.push({
      iteration: iterations,
      maxStep,
      maxResidual: lin.maxResidual,
      residualNorm: lin.residualNorm,
      active: withinTol && lin.withinTolerance ? 0 : 1,
      ...(damped ? { lambda } : {}),
    });
    if (!finite) {
      events.push({
        kind: 'non-finite',
        iteration: iterations,
        message: 'the vector field or its Jacobian is non-finite along the new iterate',
      });
      break;
    }
    // Converged: the step is within tolerance AND so is the residual of the discretised equations
    // (a damped ELK step can be small far from the solution).
    if (withinTol && lin.withinTolerance) {
      converged = true;
      break;
    }
  }
  if (!converged && finite && iterations >= settings.maxIter) {
    events.push({
      kind: 'max-iterations',
      iteration: iterations,
      message: `no convergence within ${settings.maxIter} iterations`,
    });
  }
  for (let i = n; i < T * n; i++) states[i] = y[i];
  return { states, converged, iterations, residual: lin.maxResidual, history, events, evaluations, finite };
}
