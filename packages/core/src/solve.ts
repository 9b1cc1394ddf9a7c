/**
 * Solver options and results, shared by the CPU solvers and the GPU backends' fused solvers so that
 * code moves between backends unchanged.
 */
import type { ScanBackend } from './backend.js';
import type { Cell } from './cell.js';
import type { DType, FloatArray } from './dtype.js';

/**
 * How the trajectory is found.
 *
 * - `sequential`: the plain loop (the reference; exact by construction).
 * - `jacobi`: fixed-point iteration, A_t = 0.
 * - `deer`: Newton with the dense Jacobian (quadratic convergence; O(n³) per step).
 * - `quasi-deer`: Newton with the diagonal Jacobian (O(n)).
 * - `block-deer`: Newton with the k×k block-diagonal Jacobian (cells with `blockJacobian`).
 * - `elk` / `quasi-elk`: Levenberg–Marquardt-damped DEER / quasi-DEER computed as Kalman smoothing.
 */
export type Method = 'sequential' | 'jacobi' | 'deer' | 'quasi-deer' | 'block-deer' | 'elk' | 'quasi-elk';

/** Every method, in the order reports list them. */
export const METHODS: readonly Method[] = [
  'sequential',
  'jacobi',
  'deer',
  'quasi-deer',
  'block-deer',
  'elk',
  'quasi-elk',
];

/** The starting trajectory: zeros, h0 repeated, or a given `[B][T][n]` trajectory (warm start). */
export type InitialGuess = 'zeros' | 'h0' | FloatArray;

/** Options of the ELK methods. */
export interface ElkOptions {
  /**
   * `smoother` (default): the exact Levenberg–Marquardt step (RTS smoother mean).
   * `filter`: the reference code's variant (the filter mean; equal to the LM step only at t = T).
   */
  readonly variant?: 'smoother' | 'filter';
  /** Damping λ = 1/σ² as a number, or `'adaptive'` (default) for a trust-region rule on the gain ratio. */
  readonly lambda?: number | 'adaptive';
  /** Starting λ for the adaptive rule. */
  readonly initialLambda?: number;
}

/** What to do when a sequence does not converge. */
export type DivergencePolicy = 'report' | 'throw' | 'fallback-sequential';

/** Per-iteration record of a solve. */
export interface IterationRecord {
  /** 1-based iteration number. */
  readonly iteration: number;
  /** max |s^{k} − s^{k−1}| over active sequences. */
  readonly maxStep: number;
  /** max |r_t| with r_t = s_t − f(s_{t−1}, x_t), over active sequences. */
  readonly maxResidual: number;
  /** ‖r‖₂ over active sequences. */
  readonly residualNorm: number;
  /** Sequences still iterating after this iteration. */
  readonly active: number;
  /** The damping used (ELK methods). */
  readonly lambda?: number;
  /** Sequences whose iterate was an Anderson mix this iteration (present only when acceleration ran). */
  readonly accelerated?: number;
}

/** Something a user must know about a solve. Nothing is clipped, replaced or skipped silently. */
export interface SolverEvent {
  /** What happened. */
  readonly kind:
    | 'non-finite'
    | 'clipped'
    | 'fallback-sequential'
    | 'finite-difference-jacobian'
    | 'max-iterations'
    | 'diverged'
    | 'step-rejected'
    | 'backend-fallback';
  /** Iteration (1-based) at which it happened, if any. */
  readonly iteration?: number;
  /** Batch member concerned, if one. */
  readonly sequence?: number;
  /** A sentence for humans. */
  readonly message: string;
}

/** Progress callback payload, called after every iteration. */
export interface ProgressInfo extends IterationRecord {
  /** The iteration limit. */
  readonly maxIter: number;
}

/** Options of `solve`. */
export interface SolveOptions {
  /** Method; default `'deer'`. */
  readonly method?: Method;
  /** Element type of the result; default `'float64'`. */
  readonly dtype?: DType;
  /** Batch size B (inputs are `[B][T][m]`); default 1. */
  readonly batch?: number;
  /** Sequence length T; required when the cell has no inputs (`inputSize` 0), else inferred. */
  readonly length?: number;
  /** Initial states `[B][n]` or `[n]` (broadcast); default zeros. */
  readonly h0?: FloatArray;
  /** Starting trajectory; default `'zeros'`. */
  readonly initialGuess?: InitialGuess;
  /** Absolute tolerance (default 1e-6 for float64, 1e-4 for float32). */
  readonly atol?: number;
  /** Relative tolerance (default 1e-4 for float64, 1e-3 for float32). */
  readonly rtol?: number;
  /** Iteration limit; default T (Newton is exact after T iterations in exact arithmetic). */
  readonly maxIter?: number;
  /** Scan backend; default the best CPU backend. */
  readonly backend?: ScanBackend;
  /** ELK settings. */
  readonly elk?: ElkOptions;
  /** Block size for `block-deer`; default the cell's `blockSize`. */
  readonly blockSize?: number;
  /** Divergence policy; default `'report'`. */
  readonly onDivergence?: DivergencePolicy;
  /** Clip iterates to ±clip (off by default; every clip is reported as an event). */
  readonly clip?: number;
  /**
   * Anderson acceleration of quasi-DEER's fixed-point iteration; default `'none'`. CPU solvers honour it
   * (safeguarded: a mixed iterate that raises the residual is replaced by the plain step) and count the mixed
   * iterations in {@link IterationRecord.accelerated}; device solvers may ignore it (their history then has no
   * `accelerated` field).
   */
  readonly acceleration?: 'anderson' | 'none';
  /** Past steps mixed by Anderson acceleration (1–20, default 3). */
  readonly andersonMemory?: number;
  /** Called after each iteration. */
  readonly onProgress?: (info: ProgressInfo) => void;
  /** Aborts the solve between iterations. */
  readonly signal?: AbortSignal;
}

/**
 * The result of a solve. `converged` is true only when every sequence met the tolerance on its residual
 * r_t = s_t − f(s_{t−1}, x_t) and on the last step s^k − s^{k−1} (solvers document their exact rule).
 */
export interface SolveResult {
  /** States `[B][T][n]` (s_1 … s_T; s_0 = h0 is not included). */
  readonly states: FloatArray;
  readonly dtype: DType;
  readonly method: Method;
  readonly batch: number;
  readonly length: number;
  readonly size: number;
  /** Every sequence converged. */
  readonly converged: boolean;
  /** Per-sequence convergence. */
  readonly convergedPerSequence: readonly boolean[];
  /** Iterations run (the largest over sequences). */
  readonly iterations: number;
  /** Iterations each sequence needed. */
  readonly iterationsPerSequence: readonly number[];
  /** Final max |r_t| over all sequences. */
  readonly residual: number;
  /** One record per iteration. */
  readonly history: readonly IterationRecord[];
  /** Everything the solver did that a user must know. */
  readonly events: readonly SolverEvent[];
  /** Name of the backend that ran the scans. */
  readonly backend: string;
  /** Wall time in seconds. */
  readonly seconds: number;
}

/**
 * A backend that can run a whole solve on its device for cells it recognises (the Newton loop stays on
 * the GPU). Solvers try it first and fall back to host-side linearisation when it returns null.
 */
export interface DeviceSolver {
  /** Runs the whole solve on the device, or returns null when this cell/method is not supported there. */
  solveOnDevice(cell: Cell, inputs: FloatArray, options: SolveOptions): Promise<SolveResult> | null;
}
