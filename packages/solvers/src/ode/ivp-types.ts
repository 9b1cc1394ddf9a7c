/** Options and result of `solveIVP`. */
import type {
  DivergencePolicy,
  DType,
  FloatArray,
  IterationRecord,
  ScanBackend,
  SolverEvent,
} from '@antler/core';

/**
 * How `solveIVP` integrates.
 *
 * - `deer`: Newton over the whole trajectory; each iteration is one dense affine scan of exact
 *   interval exponentials (exponential trapezoidal rule, order 2).
 * - `quasi-deer`: the same with the diagonal of ∂f/∂y (diagonal scan, O(T n) per iteration).
 * - `elk`: DEER damped by Levenberg–Marquardt, each step an RTS Kalman smoother (dense).
 * - `quasi-elk`: the same with the diagonal Jacobian (n independent scalar smoothers; order 2).
 * - `rk4`: sequential classical Runge–Kutta, fixed steps (`substeps` per interval).
 * - `dopri5`: sequential adaptive Dormand–Prince 5(4) with dense output at `times`.
 */
export type IvpMethod = 'deer' | 'quasi-deer' | 'elk' | 'quasi-elk' | 'rk4' | 'dopri5';

/**
 * How the DEER methods discretise the linearised ODE on each interval (both use exact matrix exponentials):
 * - `exponential-hermite` (default for `deer` and `elk`): order 4; integrates the cubic Hermite
 *   interpolant of the nonlinear remainder, using df/dt at the nodes (the field's `timeDerivative`, or
 *   finite differences unless it is `autonomous`; sampled inputs enter through their central slopes, so
 *   input-driven problems are limited by the piecewise-linear input model).
 * - `exponential-trapezoid`: order 2; linear forcing (always used by `quasi-deer` and `quasi-elk`, whose diagonal
 *   Jacobian cannot supply the (J − J̄) f term of order 4).
 */
export type OdeDiscretisation = 'exponential-hermite' | 'exponential-trapezoid';

/** Options of `solveIVP`. */
export interface SolveIvpOptions {
  /** Method; default `'deer'`. */
  readonly method?: IvpMethod;
  /**
   * Batch size B: `y0` is `[B][n]` (or `[n]`, broadcast), `inputs` `[B][T][m]`, `initialGuess` `[B][T][n]`,
   * states `[B][T][n]`. Default 1. Sequences are solved one after another (each with its own Newton
   * iteration); the result merges them.
   */
  readonly batch?: number;
  /** Element type of the states (and of the scan buffers); default `'float64'`. */
  readonly dtype?: DType;
  /**
   * Absolute tolerance: Newton stopping tolerance on max|y^{k+1} − y^k| for the DEER methods, local
   * error tolerance for dopri5. Default 1e-9 (float64), 1e-5 (float32).
   */
  readonly atol?: number;
  /** Relative tolerance (same roles as `atol`); default 1e-9 (float64), 1e-4 (float32). */
  readonly rtol?: number;
  /** Newton iteration limit of the DEER methods; default T. */
  readonly maxIter?: number;
  /** Scan backend of the DEER methods; default `createSequentialBackend()` from `@antler/scan`. */
  readonly backend?: ScanBackend;
  /** Interval discretisation of `deer`/`elk`; default `'exponential-hermite'` (order 4). */
  readonly discretisation?: OdeDiscretisation;
  /** RK4 steps per interval of `times`; default 1. */
  readonly substeps?: number;
  /** Starting trajectory `[T][n]` of the DEER methods; default y0 repeated. */
  readonly initialGuess?: FloatArray;
  /**
   * ELK damping λ, per unit time (the smoother weighs λ Δ̄² ‖s − s^k‖² against Σ‖r_i‖², Δ̄ the mean
   * spacing of `times`, i.e. observation variance σ² = 1/(λ Δ̄²)): a number (fixed), or `'adaptive'`
   * (default): start at `initialLambda`,
   * divide by 10 after a step that lowers the residual 2-norm (the Levenberg–Marquardt merit), multiply
   * by 10 and retry after one that does not.
   */
  readonly lambda?: number | 'adaptive';
  /** Starting λ of the adaptive ELK rule; default 1e-3. */
  readonly initialLambda?: number;
  /** What to do when a DEER method does not converge; default `'report'`. */
  readonly onDivergence?: DivergencePolicy;
}

/** The result of `solveIVP`. */
export interface SolveIvpResult {
  /** States `[B][T][n]` at `times` (row 0 of each sequence is its y0). */
  readonly states: FloatArray;
  /** Batch size B. */
  readonly batch: number;
  /** Per-sequence convergence. */
  readonly convergedPerSequence: readonly boolean[];
  /** Newton iterations per sequence. */
  readonly iterationsPerSequence: readonly number[];
  /** The output times. */
  readonly times: Float64Array;
  readonly dtype: DType;
  readonly method: IvpMethod;
  /** State size n. */
  readonly size: number;
  /** DEER methods: the Newton iteration met the tolerance; rk4/dopri5: the integration completed. */
  readonly converged: boolean;
  /** Newton iterations run, the largest over sequences (0 for rk4/dopri5). */
  readonly iterations: number;
  /**
   * Final max |r_i| of the discretised equations, r_i = y_{i+1} − A_i y_i − b_i with A_i, b_i
   * linearised at the returned trajectory (DEER methods; 0 for rk4/dopri5).
   */
  readonly residual: number;
  /** One record per Newton iteration (merged over sequences: max steps and residuals, summed `active`). */
  readonly history: readonly IterationRecord[];
  /** Everything a user must know (finite-difference Jacobians, non-finite values, rejections, …). */
  readonly events: readonly SolverEvent[];
  /** Vector-field evaluations. */
  readonly evaluations: number;
  /** Scan backend name (DEER methods) or `'none'`. */
  readonly backend: string;
  /** Wall time in seconds. */
  readonly seconds: number;
}
