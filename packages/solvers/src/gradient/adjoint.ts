/**
 * Implicit differentiation at a solved trajectory. With s_t = f(s_{t−1}, x_t; θ) and a loss L(s_1 … s_T)
 * whose cotangent is g_t = ∂L/∂s_t (explicit dependence only), the adjoint
 *
 *   λ_T = g_T,   λ_t = g_t + J_{t+1}ᵀ λ_{t+1},   J_{t+1} = ∂f/∂s at (s_t, x_{t+1})
 *
 * is one reverse affine scan with transposed operators; then ∂L/∂θ = Σ_t (∂f_t/∂θ)ᵀ λ_t,
 * ∂L/∂x_t = (∂f_t/∂x_t)ᵀ λ_t and ∂L/∂s_0 = J_1ᵀ λ_1 come from one `cell.vjp` per step.
 *
 * The work is split into a preparation (Jacobians at the trajectory), the scan (synchronous or awaited) and
 * the per-step VJPs, so that {@link differentiateTrajectory} and {@link differentiateTrajectorySync} share
 * every line but the scan call.
 */
import {
  type AffineScanArgs,
  type Cell,
  checkInteger,
  checkLength,
  type FloatArray,
  type GradientMap,
  NonFiniteError,
  type ScanBackend,
  type ScanReport,
  ShapeError,
  describeValue,
  supportsAffine,
  zerosLike,
} from '@antler/core';
import { createSequentialBackend } from '@antler/scan';
import type { AdjointWorkspace } from './adjoint-workspace.js';
import { GradientUnavailableError } from './gradient-unavailable-error.js';
import type { AdjointMode, AdjointOptions, AdjointPath, GradientResult } from './types.js';

/** A checked problem: sizes and the arrays the backward pass reads. */
interface AdjointProblem {
  readonly cell: Cell;
  readonly batch: number;
  readonly length: number;
  readonly size: number;
  readonly inputSize: number;
  readonly inputs: FloatArray;
  readonly states: FloatArray;
  readonly cotangent: Float64Array;
  /** null for zero initial states. */
  readonly h0: FloatArray | null;
  /** True when h0 was given as `[n]` and broadcast over the batch. */
  readonly h0Broadcast: boolean;
  readonly mode: AdjointMode;
  readonly path: AdjointPath;
  readonly inputGradients: boolean;
  readonly converged: boolean;
  readonly started: number;
  /** What the caller must know about the choices made. */
  readonly notes: string[];
}

/** What the scan stage needs: the scan arguments and the backend to run them on. */
interface PreparedScan {
  readonly args: AffineScanArgs;
  readonly backend: ScanBackend;
  /** Why the backend asked for was not used, if it was not. */
  readonly notes: string[];
}

const NO_INPUTS = new Float64Array(0);

/** Default cap on the dense Jacobian buffer of the reverse scan (1 GiB). */
export const DEFAULT_MAX_JACOBIAN_BYTES = 2 ** 30;

const ZERO_STATE_CACHE = new Map<number, Float64Array>();

function zeroState(n: number): Float64Array {
  let z = ZERO_STATE_CACHE.get(n);
  if (z === undefined) {
    z = new Float64Array(n);
    ZERO_STATE_CACHE.set(n, z);
  }
  return z;
}

/** Validates the arguments and chooses the mode and path. */
function checkProblem(
  cell: Cell,
  inputsOrNull: FloatArray | null,
  states: FloatArray,
  cotangent: FloatArray,
  options: AdjointOptions,
  converged: boolean,
): AdjointProblem {
  const started = performance.now();
  const notes: string[] = [];
  if (!cell.vjp) {
    throw new GradientUnavailableError(cell.kind, 'the cell has no vjp, so ∂L/∂θ and ∂L/∂x cannot be formed');
  }
  const n = checkInteger(cell.stateSize, 'cell.stateSize');
  const m = checkInteger(cell.inputSize, 'cell.inputSize', 0);
  const batch = checkInteger(options.batch ?? 1, 'batch');
  // Autonomous cells (m = 0) may be given null inputs.
  let inputs: FloatArray = NO_INPUTS;
  let length: number;
  if (m > 0) {
    if (inputsOrNull instanceof Float64Array || inputsOrNull instanceof Float32Array) inputs = inputsOrNull;
    else {
      throw new ShapeError(
        'inputs',
        `a Float64Array or Float32Array of [B=${batch}][T][m=${m}]`,
        describeValue(inputsOrNull),
      );
    }
    if (inputs.length % (batch * m) !== 0 || inputs.length === 0) {
      throw new ShapeError(
        'inputs',
        `[B=${batch}][T][m=${m}] (a positive multiple of ${batch * m} elements)`,
        `length ${inputs.length}`,
      );
    }
    length = inputs.length / (batch * m);
    if (options.length !== undefined && options.length !== length) {
      throw new ShapeError('length', `${length} (inferred from inputs)`, String(options.length));
    }
  } else {
    length = checkInteger(options.length, 'length');
  }
  checkLength('states', states, [batch, length, n], ['B', 'T', 'n']);
  checkLength('cotangent', cotangent, [batch, length, n], ['B', 'T', 'n']);
  let h0: FloatArray | null = null;
  let h0Broadcast = false;
  if (options.h0 !== undefined) {
    if (options.h0.length === n && batch > 1) {
      h0Broadcast = true;
      h0 = checkLength('h0', options.h0, [n], ['n']);
    } else {
      h0 = checkLength('h0', options.h0, [batch, n], ['B', 'n']);
    }
  }
  const mode: AdjointMode = options.adjoint ?? 'exact';
  if (mode !== 'exact' && mode !== 'approximate-diagonal') {
    throw new ShapeError('adjoint', "'exact' or 'approximate-diagonal'", JSON.stringify(mode));
  }
  const pathOption = options.adjointPath ?? 'auto';
  let path: AdjointPath;
  if (mode === 'approximate-diagonal') {
    if (!cell.diagonalJacobian && !cell.denseJacobian) {
      throw new GradientUnavailableError(
        cell.kind,
        'the approximate diagonal adjoint needs diagonalJacobian or denseJacobian',
      );
    }
    path = 'diagonal-reverse-scan';
  } else if (pathOption === 'vjp-sequential') {
    path = 'vjp-sequential';
  } else if (pathOption === 'dense-reverse-scan') {
    if (!cell.denseJacobian) {
      throw new GradientUnavailableError(
        cell.kind,
        "adjointPath 'dense-reverse-scan' needs the cell's denseJacobian",
      );
    }
    path = 'dense-reverse-scan';
  } else if (pathOption === 'auto') {
    path = cell.denseJacobian ? 'dense-reverse-scan' : 'vjp-sequential';
    const bytes = batch * length * n * n * 8;
    const limit = options.maxJacobianBytes ?? DEFAULT_MAX_JACOBIAN_BYTES;
    if (path === 'dense-reverse-scan' && bytes > limit) {
      // T·B·n² Jacobians would not fit: the reverse VJP loop is exact and needs O(T·B·n) memory.
      path = 'vjp-sequential';
      notes.push(
        `dense Jacobians would take ${(bytes / 2 ** 30).toFixed(2)} GiB (> maxJacobianBytes ${(limit / 2 ** 30).toFixed(2)} GiB): the exact adjoint ran as the reverse VJP loop`,
      );
    }
  } else {
    throw new ShapeError(
      'adjointPath',
      "'auto', 'dense-reverse-scan' or 'vjp-sequential'",
      JSON.stringify(pathOption),
    );
  }
  // The adjoint runs in float64 whatever the forward dtype: gradients are summed over T steps.
  const g64 = cotangent instanceof Float64Array ? cotangent : Float64Array.from(cotangent);
  return {
    cell,
    batch,
    length,
    size: n,
    inputSize: m,
    inputs,
    states,
    cotangent: g64,
    h0,
    h0Broadcast,
    mode,
    path,
    inputGradients: options.inputGradients ?? true,
    converged,
    started,
    notes,
  };
}

/**
 * Evaluates the Jacobians the reverse scan needs at the trajectory: operator t is J_{t+1} (the step that
 * reads s_t), and the last operator is zero because λ_T has no successor.
 */
function prepareScan(
  p: AdjointProblem,
  out: Float64Array,
  backendOption: ScanBackend | undefined,
  workspace: AdjointWorkspace | undefined,
): PreparedScan {
  const { cell, batch: B, length: T, size: n, inputSize: m, inputs, states } = p;
  const dense = p.path === 'dense-reverse-scan';
  const stepSize = dense ? n * n : n;
  const a = workspace ? workspace.jacobians(B * T * stepSize) : new Float64Array(B * T * stepSize);
  const f = new Float64Array(n);
  const scratchDense = !dense && !cell.diagonalJacobian ? new Float64Array(n * n) : null;
  for (let b = 0; b < B; b++) {
    // λ_T has no successor: the last operator of each sequence is zero (the buffer may be reused).
    a.fill(0, (b * T + T - 1) * stepSize, (b * T + T) * stepSize);
    for (let t = 0; t + 1 < T; t++) {
      const hOff = (b * T + t) * n;
      const xOff = (b * T + t + 1) * m;
      const aOff = (b * T + t) * stepSize;
      if (dense) {
        cell.denseJacobian?.(states, hOff, inputs, xOff, f, 0, a, aOff);
      } else if (cell.diagonalJacobian) {
        cell.diagonalJacobian(states, hOff, inputs, xOff, f, 0, a, aOff);
      } else if (scratchDense && cell.denseJacobian) {
        cell.denseJacobian(states, hOff, inputs, xOff, f, 0, scratchDense, 0);
        for (let i = 0; i < n; i++) a[aOff + i] = scratchDense[i * n + i];
      }
    }
  }
  const structure = dense ? 'dense' : 'diagonal';
  let backend = backendOption ?? createSequentialBackend();
  const notes: string[] = [];
  if (!supportsAffine(backend, 'float64', structure) || !backend.capabilities.float64?.reverse) {
    // The adjoint must be float64; a backend without float64 reverse scans cannot run it.
    notes.push(
      `backend ${backend.name} has no float64 reverse ${structure} scan; the adjoint ran on cpu-sequential`,
    );
    backend = createSequentialBackend();
  }
  return {
    backend,
    notes,
    args: {
      structure,
      batch: B,
      length: T,
      size: n,
      a: { data: a },
      b: { data: p.cotangent },
      out: { data: out },
      reverse: true,
      transpose: true,
    },
  };
}

/**
 * Runs every per-step VJP with λ_t as the cotangent of step t; writes ∂L/∂h0 from step 1. Returns the
 * largest |vjp_h(λ_t) − (λ_{t−1} − g_{t−1})| relative to max |λ|: the VJP's h-part must reproduce the
 * reverse scan's J_tᵀ λ_t, so this checks the cell's `denseJacobian` against its `vjp` for free.
 */
function accumulateVjps(
  p: AdjointProblem,
  lambda: Float64Array,
  gradParams: GradientMap,
  gradX: Float64Array | null,
  gradH0: Float64Array,
): number {
  const { cell, batch: B, length: T, size: n, inputSize: m, inputs, states, cotangent: g } = p;
  const vjp = cell.vjp as NonNullable<Cell['vjp']>;
  const hPart = new Float64Array(n);
  const h0 = p.h0 ?? zeroState(n);
  let mismatch = 0;
  let scale = 0;
  for (let b = 0; b < B; b++) {
    const h0Off = p.h0 === null || p.h0Broadcast ? 0 : b * n;
    const gh0Off = p.h0Broadcast ? 0 : b * n;
    for (let t = 0; t < T; t++) {
      const k = b * T + t;
      if (t === 0) {
        vjp(h0, h0Off, inputs, k * m, lambda, k * n, gradH0, gh0Off, gradX, k * m, gradParams);
      } else {
        hPart.fill(0);
        vjp(states, (k - 1) * n, inputs, k * m, lambda, k * n, hPart, 0, gradX, k * m, gradParams);
        const prev = (k - 1) * n;
        for (let i = 0; i < n; i++) {
          mismatch = Math.max(mismatch, Math.abs(hPart[i] - (lambda[prev + i] - g[prev + i])));
          scale = Math.max(scale, Math.abs(lambda[prev + i]));
        }
      }
    }
  }
  return scale > 0 ? mismatch / scale : mismatch;
}

/** Backpropagation through time: λ_{t−1} = g_{t−1} + vjp_h(λ_t), every VJP also feeding ∂θ and ∂x. */
function reverseVjpLoop(
  p: AdjointProblem,
  lambda: Float64Array,
  gradParams: GradientMap,
  gradX: Float64Array | null,
  gradH0: Float64Array,
): void {
  const { cell, batch: B, length: T, size: n, inputSize: m, inputs, states, cotangent: g } = p;
  const vjp = cell.vjp as NonNullable<Cell['vjp']>;
  const h0 = p.h0 ?? zeroState(n);
  for (let b = 0; b < B; b++) {
    const last = (b * T + T - 1) * n;
    for (let i = 0; i < n; i++) lambda[last + i] = g[last + i];
    for (let t = T - 1; t >= 0; t--) {
      const k = b * T + t;
      if (t === 0) {
        const h0Off = p.h0 === null || p.h0Broadcast ? 0 : b * n;
        vjp(
          h0,
          h0Off,
          inputs,
          k * m,
          lambda,
          k * n,
          gradH0,
          p.h0Broadcast ? 0 : b * n,
          gradX,
          k * m,
          gradParams,
        );
      } else {
        const prev = (k - 1) * n;
        for (let i = 0; i < n; i++) lambda[prev + i] = g[prev + i];
        vjp(states, prev, inputs, k * m, lambda, k * n, lambda, prev, gradX, k * m, gradParams);
      }
    }
  }
}

function firstNonFiniteIndex(a: Float64Array): number {
  for (let i = 0; i < a.length; i++) {
    const v = a[i] as number;
    if (v - v !== 0) return i;
  }
  return -1;
}

/** Per-step VJPs, finiteness checks and the result object. */
function finish(
  p: AdjointProblem,
  lambda: Float64Array,
  report: ScanReport | null,
  backendName: string,
  notes: readonly string[],
): GradientResult {
  const gradParams = zerosLike(p.cell.parameters ?? {});
  const gradX =
    p.inputGradients && p.inputSize > 0 ? new Float64Array(p.batch * p.length * p.inputSize) : null;
  const gradH0 = new Float64Array(p.h0Broadcast ? p.size : p.batch * p.size);
  let consistency: number | null = null;
  const allNotes = [...notes];
  if (p.path === 'vjp-sequential') reverseVjpLoop(p, lambda, gradParams, gradX, gradH0);
  else {
    const mismatch = accumulateVjps(p, lambda, gradParams, gradX, gradH0);
    if (p.mode === 'exact') {
      consistency = mismatch;
      if (mismatch > 1e-6) {
        allNotes.push(
          `the cell's denseJacobian and vjp disagree (relative mismatch ${mismatch.toExponential(1)}): the gradient is suspect; check the cell with a finite-difference Jacobian test`,
        );
      }
    }
  }
  // Check λ itself, whatever the backend's report said: the VJP loop path has no report.
  const bad = firstNonFiniteIndex(lambda);
  if (bad >= 0 || (report !== null && !report.finite)) {
    throw new NonFiniteError(
      'adjointStates',
      bad,
      lambda[bad] as number,
      `the reverse (${p.path}) recurrence overflowed: ‖J_t‖ > 1 over a long stretch`,
    );
  }
  for (const [name, g] of [
    ['gradient of inputs', gradX ?? new Float64Array(0)],
    ['gradient of h0', gradH0],
    ...Object.entries(gradParams).map(([k, v]) => [`gradient of ${k}`, v] as const),
  ] as const) {
    const i = firstNonFiniteIndex(g);
    if (i >= 0) throw new NonFiniteError(name, i, g[i] as number);
  }
  return {
    params: gradParams,
    inputs: gradX ?? new Float64Array(0),
    h0: gradH0,
    adjointStates: lambda,
    mode: p.mode,
    exact: p.mode === 'exact',
    path: p.path,
    backend: backendName,
    converged: p.converged,
    jacobianVjpMismatch: consistency,
    notes: allNotes,
    seconds: (performance.now() - p.started) / 1000,
  };
}

/**
 * The gradient of a loss through the trajectory `states` = s_1 … s_T of `cell` driven by `inputs`, given the
 * loss's cotangent g = ∂L/∂s (`[B][T][n]`). `states` must be the solution of the recurrence (for example a
 * converged solve): the gradient is that of the true sequential model only there. Synchronous; needs a
 * synchronous backend (the default sequential CPU backend is).
 *
 * @param converged - Whether `states` came from a converged solve; copied into the result's `converged`.
 * @throws GradientUnavailableError when the cell has no `vjp` (or lacks what the chosen path needs).
 * @throws NonFiniteError when the adjoint or a gradient overflows.
 *
 * @example
 * ```ts
 * import { differentiateTrajectorySync } from '@antler/solvers';
 * // cell: any Cell with vjp (and denseJacobian for the parallel reverse scan); states from solveSync(...).
 * const grad = differentiateTrajectorySync(cell, inputs, states, cotangent, { batch: 1 });
 * grad.params['weight_hh_l0']; // ∂L/∂W_hh, row-major like cell.parameters.weight_hh_l0
 * grad.path; // 'dense-reverse-scan' (or 'vjp-sequential' for cells without a dense Jacobian)
 * ```
 */
export function differentiateTrajectorySync(
  cell: Cell,
  inputs: FloatArray | null,
  states: FloatArray,
  cotangent: FloatArray,
  options: AdjointOptions = {},
  converged = true,
): GradientResult {
  const p = checkProblem(cell, inputs, states, cotangent, options, converged);
  const lambda = new Float64Array(p.batch * p.length * p.size);
  if (p.path === 'vjp-sequential') return finish(p, lambda, null, 'none', p.notes);
  const prepared = prepareScan(p, lambda, options.backend, options.workspace);
  let backend = prepared.backend;
  if (!backend.synchronous) {
    prepared.notes.push(
      `backend ${backend.name} is asynchronous; the synchronous adjoint ran on cpu-sequential`,
    );
    backend = createSequentialBackend();
  }
  const report = backend.affineScan(prepared.args) as ScanReport;
  return finish(p, lambda, report, backend.name, [...p.notes, ...prepared.notes]);
}

/**
 * Asynchronous {@link differentiateTrajectorySync}: awaits the reverse scan, so any backend (GPU included)
 * can run it.
 *
 * @example
 * ```ts
 * import { differentiateTrajectory } from '@antler/solvers';
 * const grad = await differentiateTrajectory(cell, inputs, states, cotangent, { batch: 4, backend });
 * ```
 */
export async function differentiateTrajectory(
  cell: Cell,
  inputs: FloatArray | null,
  states: FloatArray,
  cotangent: FloatArray,
  options: AdjointOptions = {},
  converged = true,
): Promise<GradientResult> {
  const p = checkProblem(cell, inputs, states, cotangent, options, converged);
  const lambda = new Float64Array(p.batch * p.length * p.size);
  if (p.path === 'vjp-sequential') return finish(p, lambda, null, 'none', p.notes);
  const prepared = prepareScan(p, lambda, options.backend, options.workspace);
  const report = await prepared.backend.affineScan(prepared.args);
  return finish(p, lambda, report, prepared.backend.name, [...p.notes, ...prepared.notes]);
}
