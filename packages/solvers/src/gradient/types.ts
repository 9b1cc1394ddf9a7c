/**
 * Options and results of implicit differentiation through a solved trajectory (training through the
 * fixed point): the adjoint λ_t = g_t + J_{t+1}ᵀ λ_{t+1}, then per-step VJPs for ∂L/∂θ, ∂L/∂x_t, ∂L/∂h0.
 */
import type { FloatArray, GradientMap, ScanBackend } from '@antler/core';
import type { AdjointWorkspace } from './adjoint-workspace.js';

/**
 * Which adjoint is computed.
 *
 * - `exact` (default): the transposed dense Jacobians at the converged trajectory (or the cell's exact VJP).
 *   The gradient equals backpropagation through the sequential loop, whatever method solved the forward pass.
 * - `approximate-diagonal`: the reverse scan uses only diag(J_t), as the quasi-DEER reference code does.
 *   Cheaper (O(n) per step) but NOT the gradient of the loss; results are labelled `exact: false`.
 */
export type AdjointMode = 'exact' | 'approximate-diagonal';

/**
 * How the adjoint recurrence was run.
 *
 * - `dense-reverse-scan`: dense J_t from the cell at the converged trajectory, one reverse affine scan with
 *   `transpose: true` on the scan backend (parallel on parallel backends).
 * - `diagonal-reverse-scan`: diag(J_t) and one reverse diagonal scan (only for `approximate-diagonal`).
 * - `vjp-sequential`: λ_{t−1} = g_{t−1} + vjp_h(λ_t), a plain reverse loop over the cell's VJP (exact; used
 *   when the cell has no analytic dense Jacobian, or when asked for; this is backpropagation through time).
 */
export type AdjointPath = 'dense-reverse-scan' | 'diagonal-reverse-scan' | 'vjp-sequential';

/** The path choice a caller may force; `auto` picks `dense-reverse-scan` when the cell has `denseJacobian`. */
export type AdjointPathOption = 'auto' | 'dense-reverse-scan' | 'vjp-sequential';

/** Options of {@link differentiateTrajectory}. */
export interface AdjointOptions {
  /** Exact (default) or the reference's diagonal approximation. */
  readonly adjoint?: AdjointMode;
  /** Force a path for the exact adjoint; default `auto`. Ignored for `approximate-diagonal`. */
  readonly adjointPath?: AdjointPathOption;
  /** Batch size B; default 1. */
  readonly batch?: number;
  /** Sequence length T; required when the cell has no inputs, else inferred from `inputs`. */
  readonly length?: number;
  /** Initial states `[B][n]` or `[n]` (broadcast); default zeros. */
  readonly h0?: FloatArray;
  /** Scan backend for the reverse scan; default the sequential CPU backend. Must support float64 reverse scans. */
  readonly backend?: ScanBackend;
  /**
   * With `adjointPath: 'auto'`, the largest dense Jacobian buffer (B·T·n²·8 bytes) the reverse scan may
   * allocate; beyond it the exact adjoint runs as the reverse VJP loop and a note says so. Default 1 GiB.
   */
  readonly maxJacobianBytes?: number;
  /** Scratch memory reused between calls (see {@link AdjointWorkspace}). */
  readonly workspace?: AdjointWorkspace;
  /** Compute ∂L/∂inputs (default true). */
  readonly inputGradients?: boolean;
}

/** Gradients of a loss L(s_1 … s_T) with respect to everything the trajectory depends on. */
export interface GradientResult {
  /** ∂L/∂θ by parameter name, same names and row-major layout as `cell.parameters`. */
  readonly params: GradientMap;
  /** ∂L/∂x: `[B][T][m]` (empty when `inputGradients` is false or m = 0). */
  readonly inputs: Float64Array;
  /** ∂L/∂h0: `[B][n]`, or `[n]` summed over the batch when `h0` was given broadcast as `[n]`. */
  readonly h0: Float64Array;
  /** The adjoint states λ: `[B][T][n]` (λ_t = ∂L/∂s_t including every later step's dependence). */
  readonly adjointStates: Float64Array;
  /** Which adjoint was computed. */
  readonly mode: AdjointMode;
  /** True only for the exact adjoint (`mode === 'exact'`). */
  readonly exact: boolean;
  /** How it was computed. */
  readonly path: AdjointPath;
  /** Name of the backend that ran the reverse scan (`'none'` for `vjp-sequential`). */
  readonly backend: string;
  /**
   * Whether the trajectory the gradient was taken at is a converged solve. False means the gradient is
   * that of a wrong trajectory; {@link solveAndDifferentiate} throws instead unless told to report.
   */
  readonly converged: boolean;
  /**
   * For the exact dense path: max |vjp_h(λ_t) − J_tᵀ λ_t| / max |λ| — the cell's `vjp` checked against its
   * `denseJacobian` at no extra cost (≈ 1e-16 for a correct cell; a note is added above 1e-6). Null for
   * the other paths.
   */
  readonly jacobianVjpMismatch: number | null;
  /** Anything a user must know about how the gradient was computed (a backend substituted, …). */
  readonly notes: readonly string[];
  /** Wall time of the backward pass in seconds. */
  readonly seconds: number;
}
