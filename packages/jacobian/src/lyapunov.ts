/**
 * Largest Lyapunov exponent along a trajectory, by renormalised tangent propagation. Gonzalez et al.
 * (2025) show it predicts how fast DEER-family methods converge: a negative exponent (contracting
 * dynamics) means few iterations, a positive one means Newton's errors grow along the sequence and
 * damping (ELK) is needed.
 */
import { type Cell, checkLength, type FloatArray } from '@antler/core';
import { createFdScratch, DEFAULT_FD_STEP, fdJvp } from './finite-difference.js';

/** Arguments of {@link largestLyapunovExponent}. */
export interface LyapunovArgs {
  readonly cell: Cell;
  /** Trajectory s_1 … s_T of one sequence, `[T][n]`. */
  readonly states: FloatArray;
  /** s_0, `[n]`. */
  readonly h0: FloatArray;
  /** Inputs `[T][m]` (null when the cell has no inputs). */
  readonly inputs: FloatArray | null;
  /** Steps to skip before averaging (lets the tangent vector align with the dominant direction; default 0). */
  readonly burnIn?: number;
}

/** Result of {@link largestLyapunovExponent}. */
export interface LyapunovEstimate {
  /** Mean log growth per step, (1/(T − burnIn)) Σ log ‖J_t v_{t−1}‖ with ‖v‖ = 1. */
  readonly exponent: number;
  /** Per-step log growth (length T). */
  readonly logGrowth: Float64Array;
}

/**
 * Estimates the largest Lyapunov exponent λ₁ of s_t = f(s_{t−1}, x_t) along a trajectory: a tangent vector
 * v is pushed through J_t = ∂f/∂s at each step (analytic dense Jacobian when the cell has it, else a
 * finite-difference JVP) and renormalised; λ₁ is the mean log of the growth factors.
 *
 * @example
 * ```ts
 * import { largestLyapunovExponent } from '@antler/jacobian';
 * // s_t = 0.5 s_{t−1}: λ₁ = log 0.5 everywhere.
 * const cell = { kind: 'half', stateSize: 1, inputSize: 0,
 *   step: (h, ho, _x, _xo, o, oo) => { o[oo] = 0.5 * h[ho]; } };
 * const est = largestLyapunovExponent({ cell, states: new Float64Array([0.5, 0.25]), h0: new Float64Array([1]), inputs: null });
 * // est.exponent ≈ Math.log(0.5)
 * ```
 */
export function largestLyapunovExponent(args: LyapunovArgs): LyapunovEstimate {
  const { cell } = args;
  const n = cell.stateSize;
  const m = cell.inputSize;
  const T = Math.floor(args.states.length / n);
  checkLength('states', args.states, [T, n], ['T', 'n']);
  checkLength('h0', args.h0, [n], ['n']);
  if (m > 0) checkLength('inputs', args.inputs, [T, m], ['T', 'm']);
  const burnIn = Math.min(args.burnIn ?? 0, Math.max(T - 1, 0));
  const x = args.inputs ?? new Float64Array(0);
  const v = new Float64Array(n).fill(1 / Math.sqrt(n));
  const w = new Float64Array(n);
  const dense = cell.denseJacobian ? new Float64Array(n * n) : null;
  const f = new Float64Array(n);
  const scratch = createFdScratch(n);
  const logGrowth = new Float64Array(T);
  let sum = 0;
  for (let t = 0; t < T; t++) {
    const h = t === 0 ? args.h0 : args.states;
    const ho = t === 0 ? 0 : (t - 1) * n;
    if (dense) {
      cell.denseJacobian?.(h, ho, x, t * m, f, 0, dense, 0);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += dense[i * n + j] * v[j];
        w[i] = s;
      }
    } else {
      fdJvp(cell, h, ho, x, t * m, v, 0, w, 0, DEFAULT_FD_STEP, scratch);
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += w[i] * w[i];
    norm = Math.sqrt(norm);
    logGrowth[t] = Math.log(norm);
    if (t >= burnIn) sum += logGrowth[t];
    if (norm === 0 || !Number.isFinite(norm)) {
      // A zero or non-finite tangent cannot be renormalised: restart from a fresh direction.
      v.fill(1 / Math.sqrt(n));
    } else {
      for (let i = 0; i < n; i++) v[i] = w[i] / norm;
    }
  }
  return { exponent: T > burnIn ? sum / (T - burnIn) : Number.NaN, logGrowth };
}

/** Arguments of {@link lyapunovSpectrum}. */
export interface LyapunovSpectrumArgs extends LyapunovArgs {
  /** How many leading exponents (1 … n; default n). */
  readonly count?: number;
}

/**
 * The `count` leading Lyapunov exponents λ₁ ≥ λ₂ ≥ … along a trajectory, by the QR method: an n×k
 * orthonormal frame Q is pushed through J_t (analytic dense Jacobian, else finite-difference JVPs) and
 * re-orthonormalised each step (modified Gram–Schmidt, Q R = J_t Q); λ_i is the mean of log R_ii.
 * Returns them in descending order of the frame (the usual ordering for a generic start).
 *
 * @example
 * ```ts
 * import { lyapunovSpectrum } from '@antler/jacobian';
 * // s_t = diag(0.9, 0.3) s_{t−1}: exponents log 0.9 and log 0.3.
 * const cell = { kind: 'diag', stateSize: 2, inputSize: 0,
 *   step: (h, ho, _x, _xo, o, oo) => { o[oo] = 0.9 * h[ho]; o[oo + 1] = 0.3 * h[ho + 1]; } };
 * const ex = lyapunovSpectrum({ cell, states: new Float64Array(20), h0: new Float64Array(2), inputs: null });
 * // ex ≈ [Math.log(0.9), Math.log(0.3)]
 * ```
 */
export function lyapunovSpectrum(args: LyapunovSpectrumArgs): Float64Array {
  const { cell } = args;
  const n = cell.stateSize;
  const m = cell.inputSize;
  const T = Math.floor(args.states.length / n);
  checkLength('states', args.states, [T, n], ['T', 'n']);
  checkLength('h0', args.h0, [n], ['n']);
  if (m > 0) checkLength('inputs', args.inputs, [T, m], ['T', 'm']);
  const k = Math.min(Math.max(1, Math.floor(args.count ?? n)), n);
  const burnIn = Math.min(args.burnIn ?? 0, Math.max(T - 1, 0));
  const x = args.inputs ?? new Float64Array(0);
  // Q: k columns of length n, column-major (column c at c·n); a generic (non-axis-aligned) start.
  const q = new Float64Array(n * k);
  for (let c = 0; c < k; c++)
    for (let i = 0; i < n; i++) q[c * n + i] = i === c ? 1 : 1e-3 * Math.sin(1 + i + 7 * c);
  orthonormalize(q, n, k, null);
  const w = new Float64Array(n * k);
  const dense = cell.denseJacobian ? new Float64Array(n * n) : null;
  const f = new Float64Array(n);
  const scratch = createFdScratch(n);
  const sums = new Float64Array(k);
  const logs = new Float64Array(k);
  for (let t = 0; t < T; t++) {
    const h = t === 0 ? args.h0 : args.states;
    const ho = t === 0 ? 0 : (t - 1) * n;
    if (dense) cell.denseJacobian?.(h, ho, x, t * m, f, 0, dense, 0);
    for (let c = 0; c < k; c++) {
      if (dense) {
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let j = 0; j < n; j++) s += dense[i * n + j] * q[c * n + j];
          w[c * n + i] = s;
        }
      } else {
        fdJvp(cell, h, ho, x, t * m, q, c * n, w, c * n, DEFAULT_FD_STEP, scratch);
      }
    }
    orthonormalize(w, n, k, logs);
    if (t >= burnIn) for (let c = 0; c < k; c++) sums[c] += logs[c];
    q.set(w);
  }
  const count = T - burnIn;
  return sums.map((s) => (count > 0 ? s / count : Number.NaN));
}

/** Modified Gram–Schmidt on k column-major columns of length n, in place; writes log of each R_ii. */
function orthonormalize(v: Float64Array, n: number, k: number, logs: Float64Array | null): void {
  for (let c = 0; c < k; c++) {
    for (let p = 0; p < c; p++) {
      let d = 0;
      for (let i = 0; i < n; i++) d += v[p * n + i] * v[c * n + i];
      for (let i = 0; i < n; i++) v[c * n + i] -= d * v[p * n + i];
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += v[c * n + i] * v[c * n + i];
    norm = Math.sqrt(norm);
    if (logs) logs[c] = Math.log(norm);
    if (norm > 0 && Number.isFinite(norm)) for (let i = 0; i < n; i++) v[c * n + i] /= norm;
  }
}
